/**
 * One contender of the tpool suite. Two measurements on a pool of T worker threads:
 *
 * - throughput: N tiny tasks with C in flight (C = 4 × T), all awaited — tasks/s;
 * - latency: L tasks one after another (nothing else queued) — p50 and p99 round trip, µs.
 *
 * Modes:
 * - `piscina`: piscina alone (the floor) — a window of C `pool.run(i)` promises.
 * - `piscina-signal`: the same with an `AbortSignal` per task, as cancellable tasks need
 *   (what the ThreadPool passes piscina).
 * - `tendril-run`: `ThreadPool.run(i)` in the same window of C lanes.
 * - `tendril-execute`: `ThreadPool.execute("increment", i)` the same way.
 *
 * usage: node tpool-contender.js <piscina|piscina-signal|tendril-run|tendril-execute> <N> <L> <T>
 */

import { emit } from "../harness.js";

const [mode = "piscina", nArg = "20000", lArg = "2000", tArg = "2"] = process.argv.slice(2);
const N = Number(nArg);
const L = Number(lArg);
const T = Number(tArg);
const C = 4 * T;
const filename = new URL("./tpool-task.js", import.meta.url);

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

async function main(): Promise<void> {
  let call: (i: number) => Promise<unknown>;
  let throughput: () => Promise<void>;
  let close: () => Promise<void>;
  if (mode === "piscina" || mode === "piscina-signal") {
    const { Piscina } = await import("piscina");
    const pool = new Piscina({ filename: filename.href, minThreads: T, maxThreads: T });
    call =
      mode === "piscina"
        ? (i) => pool.run(i)
        : (i) => pool.run(i, { signal: new AbortController().signal });
    throughput = async () => {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < N) await call(next++);
      };
      await Promise.all(Array.from({ length: C }, lane));
    };
    close = () => pool.close();
  } else {
    const { ThreadPool } = await import("@tendril/tpool");
    const pool = new ThreadPool({ filename, minThreads: T, maxThreads: T });
    call = mode === "tendril-execute" ? (i) => pool.execute("increment", i) : (i) => pool.run(i);
    // The same C lanes as the floor, so the difference is the pool's own cost.
    throughput = async () => {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < N) await call(next++);
      };
      await Promise.all(Array.from({ length: C }, lane));
    };
    close = () => pool.close();
  }
  // Warm up: every thread started and every module loaded.
  await Promise.all(Array.from({ length: C * 4 }, (_, i) => call(i)));
  const t0 = performance.now();
  await throughput();
  const seconds = (performance.now() - t0) / 1000;
  const latencies: number[] = [];
  for (let i = 0; i < L; i++) {
    const s = performance.now();
    await call(i);
    latencies.push((performance.now() - s) * 1000);
  }
  latencies.sort((a, b) => a - b);
  await close();
  emit({
    tasksPerSec: Math.round(N / seconds),
    p50us: Math.round(percentile(latencies, 50)),
    p99us: Math.round(percentile(latencies, 99)),
  });
}

await main();
