/**
 * The worker module of the `primes` example: plain CPU-bound work that would block the event
 * loop if it ran there. Each export is a task a `ThreadPool` can run on a worker thread.
 *
 * @module
 */

/** Counts the primes in `[from, to)` by trial division (slow on purpose: it is the workload). */
export function countPrimes(from: number, to: number): number {
  let count = 0;
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
