/**
 * `pnpm bench echo`: the seed page's server pattern under load. One common load client (raw
 * node:net, pinned to CPU 1) opens 1000 connections, each doing 200 ping-pongs of 64 bytes
 * (100 x 50 with --quick), against echo servers pinned to CPU 0:
 * - raw `node:net` (`socket.on("data", (d) => socket.write(d))`) — the floor;
 * - Tendril's `serve` + `GreenSocket`, the handler in the blocking style of the seed page;
 * - two reference rows that split Tendril's cost: the same blocking-style loop written with
 *   bare promises (what async/await costs by itself), and that loop run in Tendril threads
 *   (what the promise hooks that carry thread identity add);
 * - Eventlet's server pattern (`listen`, accept loop, `GreenPool.spawn_n`, `recv(4096)` /
 *   `sendall`) with Debian's /usr/bin/python3 when it has eventlet.
 * Reports round trips per second, p50/p99 latency of a round trip and the server's peak RSS
 * over the timed rounds, and apart from them the ramp: the time to open the 1000 connections
 * and get one echo back on each (see echo-load.ts for why it is kept out of the rate).
 * Repeats are interleaved and the median shown.
 *
 * Target (issue 4): Tendril >= 0.9x the floor's round trips/s, with p99 within 1.2x.
 */

import {
  hasEventlet,
  median,
  printedNumber,
  printTable,
  type Row,
  runChild,
  startServerChild,
} from "../harness.js";

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const connections = quick ? 100 : 1000;
  const rounds = quick ? 50 : 200;
  const repeats = quick ? 1 : 5;
  const contenders: Array<[string, string, string[]]> = [
    ["raw node:net (floor)", "echo-server.js", ["raw"]],
    ["Tendril serve + GreenSocket (blocking style)", "echo-server.js", ["tendril"]],
    ["async/await loop, no Tendril (the language's own cost)", "echo-server.js", ["await"]],
    ["async/await loop in Tendril threads (promise hooks on)", "echo-server.js", ["await-threads"]],
  ];
  if (hasEventlet())
    contenders.push([
      "Eventlet server pattern (GreenPool.spawn_n, recv/sendall)",
      "echo_eventlet.py",
      [],
    ]);

  const results = contenders.map(() => ({
    rate: [] as number[],
    p50: [] as number[],
    p99: [] as number[],
    rss: [] as number[],
    ramp: [] as number[],
  }));
  for (let r = 0; r < repeats; r++) {
    for (const [i, [, file, args]] of contenders.entries()) {
      const server = await startServerChild(file, args, { cpus: "0" });
      let m: Record<string, number | string>;
      try {
        m = await runChild(
          "echo-load.js",
          [String(server.port), String(connections), String(rounds)],
          {
            cpus: "1",
            timeoutMs: 300_000,
          },
        );
      } finally {
        const rss = printedNumber(await server.stop(), "RSS");
        if (rss !== undefined) results[i]?.rss.push(rss);
      }
      const slot = results[i];
      if (slot) {
        slot.rate.push(Number(m.roundTripsPerSec));
        slot.p50.push(Number(m.p50Ms));
        slot.p99.push(Number(m.p99Ms));
        slot.ramp.push(Number(m.rampMs));
      }
    }
  }
  const rows: Row[] = contenders.map(([name], i) => {
    const s = results[i] as (typeof results)[number];
    return {
      name,
      "round trips/s": median(s.rate),
      "p50 ms": median(s.p50),
      "p99 ms": median(s.p99),
      "server peak RSS MB": s.rss.length > 0 ? median(s.rss) : undefined,
      "ramp ms": median(s.ramp),
    };
  });
  if (!hasEventlet()) rows.push({ name: "Eventlet (python3-eventlet not installed)" });
  printTable(
    `echo: ${connections} connections x ${rounds} ping-pongs of 64 bytes, server on CPU 0, load on CPU 1 (median of ${repeats}) — node ${process.version}`,
    rows,
    ["round trips/s", "p50 ms", "p99 ms", "server peak RSS MB", "ramp ms"],
    "round trips/s",
  );
  const [floor, tendril] = rows;
  const eventlet = rows.find((row) => row.name.startsWith("Eventlet server pattern"));
  if (floor && tendril) {
    const rate = (tendril["round trips/s"] as number) / (floor["round trips/s"] as number);
    const p99 = (tendril["p99 ms"] as number) / (floor["p99 ms"] as number);
    let line = `Tendril: ${rate.toFixed(2)}x the floor's round trips/s (target >= 0.90x), p99 ${p99.toFixed(2)}x the floor's (target <= 1.20x)`;
    if (eventlet && typeof eventlet["round trips/s"] === "number") {
      line += `, ${((tendril["round trips/s"] as number) / eventlet["round trips/s"]).toFixed(2)}x Eventlet's round trips/s`;
    }
    console.log(line);
  }
  // Each repeat runs every contender back to back, so a ratio within one repeat is immune to
  // the machine drifting between repeats; show them all, not only the medians.
  if (repeats > 1) {
    const floorRates = results[0]?.rate ?? [];
    for (const [i, [name]] of contenders.entries()) {
      if (i === 0) continue;
      const pairs = floorRates.map((r, k) => (results[i]?.rate[k] ?? 0) / r);
      const worst = Math.min(...pairs);
      console.log(
        `${name} / floor, repeat by repeat: ${pairs.map((x) => x.toFixed(2)).join(", ")} (median ${median(pairs).toFixed(2)}x, worst ${worst.toFixed(2)}x)`,
      );
    }
  }
}
