/**
 * `pnpm bench crawl-redis`: the crawler on one machine vs. on a Redis frontier shared by
 * worker processes. `crawl()` from `@tendril/patterns` crawls a local site of 20,000 linked
 * pages (1 KiB of HTML each; 2,000 with --quick) with 20 fetches in flight per process:
 * in-memory in one process (the floor), then with a `RedisCrawlFrontier` with 1, 2 and 4
 * worker processes. The site runs in its own process pinned to CPU 0 when taskset exists; the
 * crawlers and `redis-server` (no persistence) are not pinned. Rounds interleave the
 * contenders, the table shows the median; a crawl's time runs from the first worker's start
 * to the last one's end. The per-URL overhead of the queue is 1/rate(Redis, 1 worker) −
 * 1/rate(in memory). "warm URLs/s" is the rate over the rest of the crawl once it has reported
 * a fifth of its pages, when every process runs compiled code. "cores busy" is the CPU time of
 * the crawlers, the site and Redis together over the crawl's time: 2.0 is all this machine has.
 */

import { spawn as spawnProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startRedisServer } from "@tendril/test-servers";
import { Redis } from "ioredis";
import { benchRoot, median, printTable, type Row, runChild } from "../harness.js";

/**
 * The share of a crawl's pages after which it counts as warm: each worker process starts cold
 * (its code interpreted until V8 compiles it), and on 2 cores N processes pay that N times.
 */
const WARM_FRACTION = 0.2;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * CPU time (user + system) process `pid` has used, in ms, from /proc (Linux, 100 ticks per
 * second); NaN where there is no /proc.
 */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function startSite(
  pages: number,
): Promise<{ port: number; pid: number | undefined; stop(): void }> {
  const script = join(benchRoot, "dist", "children", "crawl-site.js");
  const args = [script, String(pages)];
  const child = existsSync("/usr/bin/taskset")
    ? spawnProcess("/usr/bin/taskset", ["-c", "0", process.execPath, ...args], {
        stdio: ["ignore", "pipe", "inherit"],
      })
    : spawnProcess(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`crawl-site did not print its port within 20 s:\n${out}`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`crawl-site exited with ${code} before listening:\n${out}`));
    });
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const match = /^PORT (\d+)$/m.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve({ port: Number(match[1]), pid: child.pid, stop: () => child.kill("SIGTERM") });
    });
  });
}

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const pages = quick ? 2000 : 20_000;
  const concurrency = 20;
  const rounds = quick ? 1 : 3;
  const contenders: Array<[string, number]> = [
    ["in memory, 1 process (floor)", 0],
    ["Redis frontier, 1 worker", 1],
    ["Redis frontier, 2 workers", 2],
    ["Redis frontier, 4 workers", 4],
  ];
  const rates = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
  const warmRates = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
  const busy = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
  const site = await startSite(pages);
  const redis = await startRedisServer();
  const control = new Redis(redis.url);
  let runs = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, workers] of contenders) {
        const common = [String(site.port), String(pages), String(concurrency)];
        // Every worker of one crawl shares one frontier, under a name of its own.
        const frontier = `bench-${++runs}`;
        const argvs =
          workers === 0
            ? [["memory", ...common]]
            : Array.from({ length: workers }, () => ["redis", ...common, redis.url, frontier]);
        const others = () => processCpuMs(site.pid) + processCpuMs(redis.pid);
        const othersBefore = others();
        const running = Promise.all(argvs.map((argv) => runChild("crawl-redis.js", argv)));
        if (workers > 0) {
          // The workers wait at a barrier once connected; release them together.
          const ready = `bench:{${frontier}}:ready`;
          while (Number(await control.get(ready)) < workers) await delay(20);
          await control.rpush(`bench:{${frontier}}:go`, ...argvs.map(() => "go"));
        }
        const results = await running;
        const othersMs = others() - othersBefore;
        const reported = results.reduce((n, r) => n + Number(r.reported), 0);
        if (reported !== pages) {
          throw new Error(`${name}: ${reported} pages reported, expected ${pages}`);
        }
        const start = Math.min(...results.map((r) => Number(r.startedAt)));
        const ms = Math.max(...results.map((r) => Number(r.endedAt))) - start;
        rates.get(name)?.push((pages * 1000) / Math.max(1, ms));
        // Cores busy: the CPU time of the crawlers, the site and Redis over the crawl's time.
        const cpuMs = results.reduce((sum, r) => sum + Number(r.cpuMs), othersMs);
        busy.get(name)?.push(cpuMs / Math.max(1, ms));
        // The warm part: from the moment the crawl as a whole had reported WARM_FRACTION of its
        // pages to its end. Every process has compiled its hot code by then.
        const times = results
          .flatMap((r) =>
            String(r.times)
              .split(",")
              .map((t) => Number(r.startedAt) + Number(t) - start),
          )
          .sort((a, b) => a - b);
        const warmFrom = Math.floor(pages * WARM_FRACTION);
        const warmStart = times[warmFrom - 1] ?? 0;
        warmRates.get(name)?.push(((pages - warmFrom) * 1000) / Math.max(1, ms - warmStart));
      }
    }
  } finally {
    site.stop();
    control.disconnect();
    await redis.stop();
  }
  const floor = median(rates.get(contenders[0]?.[0] as string) ?? []);
  const rows: Row[] = contenders.map(([name]) => {
    const rate = median(rates.get(name) ?? []);
    return {
      name,
      "URLs/s": rate,
      "µs/URL over floor": name.includes("floor") ? 0 : 1e6 / rate - 1e6 / floor,
      "warm URLs/s": median(warmRates.get(name) ?? []),
      "cores busy": median(busy.get(name) ?? []),
    };
  });
  printTable(
    `crawl-redis: ${pages.toLocaleString("en-US")} linked pages (1 KiB), ${concurrency} fetches in flight per process, site on CPU 0 (median of ${rounds}; warm = after the first ${WARM_FRACTION * 100}% of the pages) — node ${process.version}`,
    rows,
    ["URLs/s", "µs/URL over floor", "warm URLs/s", "cores busy"],
    "URLs/s",
  );
}
