/**
 * The worker module of the tpool suite: a task that costs almost nothing, so the suite
 * measures what the pools add around it. Both exports do the same work: `default` is what
 * `run` and piscina call, `increment` is what `execute` calls with spread arguments.
 */

export default function task(n: number): number {
  return n + 1;
}

export function increment(n: number): number {
  return n + 1;
}
