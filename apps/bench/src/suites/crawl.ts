/**
 * `pnpm bench crawl`: the client pattern — fetch 20,000 distinct URLs (1 KiB bodies) from a
 * local keep-alive `node:http` server with 100 requests in flight, reading every body
 * (2,000 URLs with --quick). The server is pinned to CPU 0 and every crawler to CPU 1.
 *
 * Contenders: undici's `Pool` driven by 100 hand-written worker loops (the floor: the least a
 * Node crawler can do), Tendril's `GreenPool.imap` + `urlopen` (the seed page's code), undici's
 * `request` + p-map, Node's `fetch` + p-map, and Eventlet's `GreenPool.imap` with its green
 * `http.client` (keep-alive) and green `urllib` (a connection per URL) when Debian's python3
 * has eventlet. Rounds interleave the contenders, so drift on a shared machine hits all alike;
 * the table shows the median.
 */

import { spawn as spawnProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { benchRoot, hasEventlet, median, printTable, type Row, runChild } from "../harness.js";

/** Starts the origin server pinned to CPU 0 and waits for its `PORT n` line. */
function startOrigin(): Promise<{ port: number; stop(): void }> {
  const script = join(benchRoot, "dist", "children", "crawl-server.js");
  const taskset = existsSync("/usr/bin/taskset");
  const child = taskset
    ? spawnProcess("/usr/bin/taskset", ["-c", "0", process.execPath, script], {
        stdio: ["ignore", "pipe", "inherit"],
      })
    : spawnProcess(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`crawl-server did not print its port within 20 s:\n${out}`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`crawl-server exited with ${code} before listening:\n${out}`));
    });
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const match = /^PORT (\d+)$/m.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve({ port: Number(match[1]), stop: () => child.kill("SIGTERM") });
    });
  });
}

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const n = quick ? 2000 : 20_000;
  const concurrency = 100;
  const rounds = quick ? 1 : 3;
  const contenders: Array<[string, string, string[]]> = [
    ["undici Pool + hand loop (floor)", "crawl-client.js", ["undici-pool"]],
    ["Tendril GreenPool.imap + urlopen", "crawl-client.js", ["tendril-imap"]],
    ["undici request + p-map", "crawl-client.js", ["undici-request"]],
    ["Node fetch + p-map", "crawl-client.js", ["fetch"]],
  ];
  const eventlet = hasEventlet();
  if (eventlet) {
    contenders.push([
      "Eventlet imap + green http.client (keep-alive)",
      "crawl_eventlet.py",
      ["httpclient"],
    ]);
    contenders.push([
      "Eventlet imap + green urllib (no keep-alive)",
      "crawl_eventlet.py",
      ["urllib"],
    ]);
  }
  const origin = await startOrigin();
  const results = new Map<string, { rate: number[]; rss: number[] }>(
    contenders.map(([name]) => [name, { rate: [], rss: [] }]),
  );
  try {
    // Warm the origin up once (JIT, first connections).
    await runChild(
      "crawl-client.js",
      ["undici-pool", String(origin.port), String(Math.min(n, 2000)), String(concurrency)],
      { cpus: "1" },
    );
    for (let round = 0; round < rounds; round++) {
      for (const [name, file, args] of contenders) {
        // Eventlet is an order of magnitude slower: give it a tenth of the URLs.
        const count = file.endsWith(".py") ? Math.max(1000, n / 10) : n;
        const m = await runChild(
          file,
          [...args, String(origin.port), String(count), String(concurrency)],
          { cpus: "1" },
        );
        const entry = results.get(name) as { rate: number[]; rss: number[] };
        entry.rate.push(Number(m.urlsPerSec));
        entry.rss.push(Number(m.peakRssMb));
      }
    }
  } finally {
    origin.stop();
  }
  const rows: Row[] = contenders.map(([name]) => {
    const r = results.get(name) as { rate: number[]; rss: number[] };
    return { name, "URLs/s": median(r.rate), "peak RSS MB": median(r.rss) };
  });
  if (!eventlet) rows.push({ name: "Eventlet (python3-eventlet not installed)" });
  printTable(
    `crawl: ${n.toLocaleString("en-US")} URLs, 1 KiB each, ${concurrency} in flight, keep-alive origin on CPU 0, crawler on CPU 1 (median of ${rounds}) — node ${process.version}`,
    rows,
    ["URLs/s", "peak RSS MB"],
    "URLs/s",
  );
}
