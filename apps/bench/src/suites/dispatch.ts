/**
 * `pnpm bench dispatch`: the dispatch pattern under load — the feed scraper of the seed page.
 * 50 connections POST the same 10 local feed URLs (5–20 KB RSS/Atom/RDF, 2–20 ms latency) for
 * 10 s (2 s with --quick). Contenders: the scraper written by hand with node:http + undici +
 * feedsmith (the floor), Tendril's `createFeedScraper` on `serveHttp`, and Eventlet's own feed
 * scraper (eventlet.wsgi + `import_patched('feedparser')`, and with `monkey_patch()`) when
 * Debian's python3 has eventlet and feedparser.
 *
 * Each server runs pinned to CPU 0, the load generator (autocannon) and the feed server to
 * CPU 1. Beside throughput it reports the server's CPU time per request (read from /proc: the
 * figure that stays meaningful when the machine is shared), and it measures one request with 10 slow feeds (60–240 ms): a
 * dispatcher that really fans out answers in about the slowest upstream's time.
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

const SLOWEST_UPSTREAM_MS = 240;

async function post(
  port: number,
  urls: string[],
): Promise<{ ms: number; text: string; status: number }> {
  const t0 = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: `${urls.join("\n")}\n`,
  });
  const text = await response.text();
  return { ms: performance.now() - t0, text, status: response.status };
}

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const seconds = quick ? 2 : 10;
  const connections = 50;
  const slowRepeats = quick ? 2 : 5;
  const feeds = await startServerChild("dispatch-feeds.js", [], { cpus: "1" });
  const feedUrls = Array.from({ length: 10 }, (_, n) => `http://127.0.0.1:${feeds.port}/feed/${n}`);
  const slowUrls = Array.from({ length: 10 }, (_, n) => `http://127.0.0.1:${feeds.port}/slow/${n}`);

  const contenders: Array<[string, string, string[]]> = [
    ["hand-written floor (node:http + undici + feedsmith)", "dispatch-floor.js", []],
    ["Tendril createFeedScraper on serveHttp", "dispatch-tendril.js", []],
  ];
  const eventlet = hasEventlet();
  if (eventlet) {
    contenders.push([
      "Eventlet feedscraper, import_patched (the seed)",
      "dispatch_eventlet.py",
      ["patched"],
    ]);
    contenders.push(["Eventlet feedscraper, monkey_patch()", "dispatch_eventlet.py", ["monkey"]]);
  }

  const rows: Row[] = [];
  try {
    for (const [name, file, args] of contenders) {
      const server = await startServerChild(file, args, { cpus: "0" });
      try {
        // Sanity (and warm-up): every title comes back, no error lines.
        for (let i = 0; i < 3; i++) {
          const { text, status } = await post(server.port, feedUrls);
          const lines = text.split("\n").filter(Boolean);
          if (status !== 200 || lines.length !== 10 || !lines.every((l) => l.startsWith("Feed "))) {
            throw new Error(`${name} answered ${status}:\n${text}`);
          }
        }
        // One request with 10 slow feeds, on the idle server (before the load, so no backlog).
        const slow: number[] = [];
        for (let i = 0; i < slowRepeats; i++) slow.push((await post(server.port, slowUrls)).ms);
        let cpuBefore = server.cpuMs();
        let load = await runChild(
          "dispatch-load.js",
          [`http://127.0.0.1:${server.port}/`, String(connections), String(seconds), ...feedUrls],
          { cpus: "1" },
        );
        let served = Number(load.requests);
        let fixedAmount = false;
        if (served < connections) {
          // Too slow for a timed run (its answers were still in flight when time was up):
          // send a fixed number of requests instead and time them.
          const amount = 2 * connections;
          await post(server.port, feedUrls); // let the timed run's leftovers drain first
          cpuBefore = server.cpuMs();
          load = await runChild(
            "dispatch-load.js",
            [`http://127.0.0.1:${server.port}/`, String(connections), String(seconds), ...feedUrls],
            { cpus: "1", env: { DISPATCH_AMOUNT: String(amount) } },
          );
          served = Number(load.requests);
          fixedAmount = true;
        }
        const cpuPerRequest = served > 0 ? (server.cpuMs() - cpuBefore) / served : undefined;
        const rssMb = printedNumber(await server.stop(), "RSS");
        rows.push({
          name: fixedAmount ? `${name} [${2 * connections} req, untimed]` : name,
          "req/s": Number(load.rps),
          "fetches/s": Number(load.fetchesPerSec),
          // Latency of a server that answered nothing in the run is unknown, not 0.
          "p50 ms": served > 0 ? Number(load.p50) : undefined,
          "p99 ms": served > 0 ? Number(load.p99) : undefined,
          errors: Number(load.non2xx) + Number(load.errors) + Number(load.badBodies),
          "CPU ms/req": cpuPerRequest,
          "10 slow feeds ms": median(slow),
          "RSS MB": rssMb,
        });
      } catch (error) {
        await server.stop();
        throw error;
      }
    }
  } finally {
    await feeds.stop();
  }
  if (!eventlet)
    rows.push({ name: "Eventlet (python3-eventlet or python3-feedparser not installed)" });

  printTable(
    `dispatch: feed scraper, ${connections} connections POSTing 10 local feeds each for ${seconds} s — node ${process.version}`,
    rows,
    [
      "req/s",
      "fetches/s",
      "p50 ms",
      "p99 ms",
      "errors",
      "CPU ms/req",
      "10 slow feeds ms",
      "RSS MB",
    ],
    "req/s",
  );
  const tendril = rows[1];
  const ratio = (a: Row | undefined, b: Row | undefined) =>
    a && b && typeof a["req/s"] === "number" && typeof b["req/s"] === "number" && b["req/s"] > 0
      ? `${(a["req/s"] / b["req/s"]).toFixed(2)}x`
      : "-";
  console.log(
    `Tendril req/s: ${ratio(tendril, rows[0])} the floor` +
      (eventlet
        ? `, ${ratio(tendril, rows[2])} Eventlet import_patched, ${ratio(tendril, rows[3])} Eventlet monkey_patch`
        : ""),
  );
  console.log(
    `one request with 10 slow feeds (slowest upstream ${SLOWEST_UPSTREAM_MS} ms): ` +
      rows
        .filter((r) => typeof r["10 slow feeds ms"] === "number")
        .map((r) => `${r.name.split(" (")[0]} ${Math.round(r["10 slow feeds ms"] as number)} ms`)
        .join("; "),
  );
}
