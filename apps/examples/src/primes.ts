/**
 * `primes`: Eventlet's `tpool` — CPU-heavy work on worker threads while green threads keep the
 * event loop free. Counts the primes below `--limit` in `--chunks` ranges on a `ThreadPool`
 * of `--threads` workers; a green heartbeat ticks every 100 ms meanwhile, showing the loop was
 * never blocked. Under `--timeout`, a count that overruns is cancelled: the waiting green
 * thread's `Timeout` drops the queued ranges and terminates the workers still computing.
 *
 * Run: `node dist/primes.js --limit 2000000 --threads 2`.
 *
 * @module
 */

import { isTimeout, sleep, spawn, withTimeout } from "@tendril/core";
import { ThreadPool } from "@tendril/tpool";
import { log, parseCli, runMain, usageError } from "./cli.js";

// #region count
/**
 * Counts the primes below `limit` on `pool`, one task per range, all ranges at once. The
 * tasks are green operations of the *calling* thread (`Promise.all`, not new threads), so a
 * `Timeout` or kill of that thread cancels every one of them.
 */
export async function countPrimesBelow(
  pool: ThreadPool,
  limit: number,
  chunks: number,
): Promise<number> {
  const step = Math.ceil(limit / chunks);
  const ranges: Array<[number, number]> = [];
  for (let from = 0; from < limit; from += step) ranges.push([from, Math.min(limit, from + step)]);
  // `execute` names the worker module's export: functions cannot cross threads.
  const counts = await Promise.all(
    ranges.map(([from, to]) => pool.execute<number>("countPrimes", from, to)),
  );
  return counts.reduce((a, b) => a + b, 0);
}
// #endregion count

const spec = {
  name: "primes",
  summary: "Count primes on worker threads (tpool) while the event loop stays free.",
  flags: {
    limit: {
      type: "number",
      default: 2_000_000,
      description: "count primes below N",
      valueName: "N",
    },
    threads: { type: "number", default: 2, description: "worker threads", valueName: "N" },
    chunks: {
      type: "number",
      default: 16,
      description: "ranges to split the work into",
      valueName: "N",
    },
    timeout: {
      type: "duration",
      description: "cancel the count after this long",
      valueName: "DURATION",
    },
  },
  examples: ["node dist/primes.js --limit 5000000 --threads 2 --timeout 10s"],
} as const;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(spec, argv);
  for (const name of ["limit", "threads", "chunks"] as const) {
    if (!(Number.isInteger(values[name]) && values[name] >= 1)) {
      usageError(spec.name, `--${name} must be an integer >= 1, received ${values[name]}`);
    }
  }
  // #region main
  await using pool = new ThreadPool({
    filename: new URL("./primes-tasks.js", import.meta.url),
    maxThreads: values.threads,
  });
  let ticks = 0;
  const heartbeat = spawn(async () => {
    for (;;) {
      await sleep(100);
      ticks++;
    }
  });
  try {
    const count = await withTimeout(values.timeout ?? null, () =>
      countPrimesBelow(pool, values.limit, values.chunks),
    );
    log(`${count} primes below ${values.limit.toLocaleString("en-US")}`);
    return 0;
  } catch (error) {
    if (!isTimeout(error)) throw error;
    log(`timed out after ${values.timeout} ms: the workers were stopped`);
    return 1;
  } finally {
    await heartbeat.kill();
    log(`the event loop stayed free: the heartbeat ticked ${ticks} time(s)`);
  }
  // #endregion main
}

runMain(import.meta.url, main);
