/**
 * `pnpm bench tpool`: what `@tendril/tpool` adds to piscina. On a pool of 2 worker threads,
 * 20,000 tiny tasks with 8 in flight (2,000 with --quick) give tasks/s, and 2,000 tasks one at
 * a time (200) give the round-trip latency. piscina alone is the floor; `ThreadPool.run` and
 * `ThreadPool.execute` are the contenders. Each runs in its own process; repeats are
 * interleaved and the median is shown.
 */

import { median, printTable, type Row, runChild } from "../harness.js";

const THREADS = 2;

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const n = quick ? 2000 : 20_000;
  const l = quick ? 200 : 2000;
  const repeats = quick ? 1 : 3;
  const contenders: Array<[string, string]> = [
    ["piscina alone: run (floor)", "piscina"],
    ["piscina alone: run with an AbortSignal per task", "piscina-signal"],
    ["Tendril ThreadPool.run (green)", "tendril-run"],
    ["Tendril ThreadPool.execute (named export, spread args)", "tendril-execute"],
  ];
  const metrics = ["tasksPerSec", "p50us", "p99us"] as const;
  const values = contenders.map(() => metrics.map(() => [] as number[]));
  for (let r = 0; r < repeats; r++) {
    for (const [i, [, mode]] of contenders.entries()) {
      const m = await runChild("tpool-contender.js", [mode, String(n), String(l), String(THREADS)]);
      for (const [j, metric] of metrics.entries()) values[i]?.[j]?.push(Number(m[metric]));
    }
  }
  const rows: Row[] = contenders.map(([name], i) => ({
    name,
    "tasks/s": median(values[i]?.[0] as number[]),
    "p50 µs": median(values[i]?.[1] as number[]),
    "p99 µs": median(values[i]?.[2] as number[]),
  }));
  printTable(
    `tpool: ${THREADS} worker threads, ${n.toLocaleString("en-US")} tiny tasks 8 in flight, then ${l.toLocaleString("en-US")} one at a time (median of ${repeats}) — node ${process.version}`,
    rows,
    ["tasks/s", "p50 µs", "p99 µs"],
    "tasks/s",
  );
}
