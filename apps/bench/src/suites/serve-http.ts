/**
 * `pnpm bench serve-http`: Tendril's `serveHttp` against raw `node:http` (the floor) under
 * autocannon — 100 keep-alive connections of GETs for 10 s (2 s with --quick), for a "hello
 * world" and a 16 KiB response. Contenders: raw `node:http`, `serveHttp` with green-net's
 * `Response` (the lazy one), and `serveHttp` with the platform's `Response` (to show what it
 * costs on this Node). Servers are pinned to CPU 0, autocannon to CPU 1.
 *
 * Beside requests/s and p99 latency it reports the server's CPU time per request, which a
 * busy shared machine disturbs far less than throughput.
 */

import {
  median,
  printedNumber,
  printTable,
  type Row,
  runChild,
  startServerChild,
} from "../harness.js";

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const seconds = quick ? 2 : 10;
  const connections = 100;
  const rounds = quick ? 1 : 3;
  const contenders: Array<[string, string]> = [
    ["raw node:http (floor)", "raw"],
    ["Tendril serveHttp + green-net Response", "tendril"],
    ["Tendril serveHttp + platform Response", "tendril-platform"],
  ];
  for (const size of ["hello", "16k"]) {
    const samples = new Map<
      string,
      { rps: number[]; p99: number[]; cpu: number[]; errors: number }
    >(contenders.map(([name]) => [name, { rps: [], p99: [], cpu: [], errors: 0 }]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, mode] of contenders) {
        const server = await startServerChild("serve-http-server.js", [mode, size], { cpus: "0" });
        let load: Record<string, number | string> | undefined;
        try {
          const url = `http://127.0.0.1:${server.port}/`;
          await runChild("serve-http-load.js", [url, String(connections), "1"], { cpus: "1" }); // warm-up
          server.signal("SIGUSR2");
          load = await runChild("serve-http-load.js", [url, String(connections), String(seconds)], {
            cpus: "1",
          });
        } finally {
          const cpu = printedNumber(await server.stop(), "CPU") ?? Number.NaN;
          const s = samples.get(name) as {
            rps: number[];
            p99: number[];
            cpu: number[];
            errors: number;
          };
          if (load !== undefined) {
            s.rps.push(Number(load.rps));
            s.p99.push(Number(load.p99));
            s.cpu.push(cpu / Number(load.requests));
            s.errors += Number(load.non2xx) + Number(load.errors);
          }
        }
      }
    }
    const rows: Row[] = contenders.map(([name]) => {
      const s = samples.get(name) as {
        rps: number[];
        p99: number[];
        cpu: number[];
        errors: number;
      };
      return {
        name,
        "req/s": median(s.rps),
        "p99 ms": median(s.p99),
        "CPU µs/req": median(s.cpu),
        errors: String(s.errors),
      };
    });
    printTable(
      `serve-http: ${size === "16k" ? "16 KiB" : '"hello world"'} response, autocannon ${connections} connections × ${seconds} s, server on CPU 0 (median of ${rounds}) — node ${process.version}`,
      rows,
      ["req/s", "p99 ms", "CPU µs/req", "errors"],
      "req/s",
    );
    const floor = rows[0];
    if (floor) {
      const p99 = rows.map((r) =>
        typeof r["p99 ms"] === "number" &&
        typeof floor["p99 ms"] === "number" &&
        floor["p99 ms"] > 0
          ? `${r.name}: ${(r["p99 ms"] / floor["p99 ms"]).toFixed(2)}x`
          : `${r.name}: -`,
      );
      console.log(`p99 ×floor: ${p99.join("; ")}`);
    }
  }
}
