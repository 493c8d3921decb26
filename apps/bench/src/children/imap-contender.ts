/**
 * One contender of the imap suite: an ordered map of `async (x) => x * 2` over a lazy
 * generator of N numbers at concurrency C, results consumed in input order by `for await`
 * (or collected, for the eager ones). Prints items/s; the harness adds peak RSS.
 *
 * - `floor`: a hand-written bounded ordered window — an async generator keeping at most C
 *   promises in an array, shifting them out in order. What one writes with no library.
 * - `floor-als`: the floor with AsyncLocalStorage turned on (promise hooks on Node 20).
 * - `ring`: the same with a ring and a head index instead of `shift()`: a tuned floor.
 * - `tendril`: `for await (const v of pool.imap(fn, gen()))` on a `GreenPool(C)`.
 * - `p-map-iterable`: p-map's `pMapIterable(gen(), fn, { concurrency: C })` (lazy, ordered).
 * - `p-map`: `await pMap(gen(), fn, { concurrency: C })` (collects every result).
 * - `promise-all`: `Promise.all(Array.from(gen(), fn))` — eager and unbounded.
 *
 * usage: node imap-contender.js <floor|floor-als|ring|tendril|p-map-iterable|p-map|promise-all> <N> <C>
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { cpuNow, emit } from "../harness.js";

const [mode = "floor", nArg = "2000000", cArg = "1000"] = process.argv.slice(2);
const N = Number(nArg);
const C = Number(cArg);

function* numbers(): Generator<number> {
  for (let i = 0; i < N; i++) yield i;
}

async function double(x: number): Promise<number> {
  return x * 2;
}

/** The floor: the idiomatic window — an array of at most c promises, shifted in order. */
async function* orderedWindow<T, R>(
  fn: (x: T) => Promise<R>,
  input: Iterable<T>,
  c: number,
): AsyncGenerator<R> {
  const window: Array<Promise<R>> = [];
  for (const x of input) {
    window.push(fn(x));
    if (window.length >= c) yield await (window.shift() as Promise<R>);
  }
  while (window.length > 0) yield await (window.shift() as Promise<R>);
}

/** A tuned variant: a head index instead of `shift()` (which copies a 1000-slot array). */
async function* orderedRing<T, R>(
  fn: (x: T) => Promise<R>,
  input: Iterable<T>,
  c: number,
): AsyncGenerator<R> {
  const ring = new Array<Promise<R> | undefined>(c);
  let head = 0;
  let tail = 0;
  for (const x of input) {
    ring[tail++ % c] = fn(x);
    if (tail - head === c) {
      const next = ring[head % c] as Promise<R>;
      ring[head++ % c] = undefined;
      yield await next;
    }
  }
  while (head < tail) {
    const next = ring[head % c] as Promise<R>;
    ring[head++ % c] = undefined;
    yield await next;
  }
}

async function main(): Promise<void> {
  // Load only the contender's library, before the clock starts (an import can change the
  // cost of every promise: Tendril's AsyncLocalStorage enables promise hooks on Node 20).
  const { GreenPool } =
    mode === "tendril" ? await import("@tendril/core") : ({} as typeof import("@tendril/core"));
  const { default: pMap, pMapIterable } = mode.startsWith("p-map")
    ? await import("p-map")
    : ({} as typeof import("p-map"));
  if (mode === "floor-als") {
    // The floor in a process where AsyncLocalStorage is on, as it is wherever Tendril runs:
    // on Node 20 that turns on promise hooks, a cost on every promise (not on Node >= 24).
    new AsyncLocalStorage<number>().run(0, () => undefined);
  }
  let sum = 0;
  let count = 0;
  const t0 = performance.now();
  const c0 = cpuNow();
  if (mode === "floor" || mode === "floor-als") {
    for await (const v of orderedWindow(double, numbers(), C)) {
      sum += v;
      count++;
    }
  } else if (mode === "ring") {
    for await (const v of orderedRing(double, numbers(), C)) {
      sum += v;
      count++;
    }
  } else if (mode === "tendril") {
    const pool = new GreenPool(C);
    for await (const v of pool.imap(double, numbers())) {
      sum += v;
      count++;
    }
  } else if (mode === "p-map-iterable") {
    for await (const v of pMapIterable(numbers(), double, { concurrency: C })) {
      sum += v;
      count++;
    }
  } else if (mode === "p-map") {
    for (const v of await pMap(numbers(), double, { concurrency: C })) {
      sum += v;
      count++;
    }
  } else if (mode === "promise-all") {
    for (const v of await Promise.all(Array.from(numbers(), double))) {
      sum += v;
      count++;
    }
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const ms = performance.now() - t0;
  const cpuMs = cpuNow() - c0;
  if (count !== N || sum !== N * (N - 1)) throw new Error(`got ${count} items summing to ${sum}`);
  emit({ ms: Math.round(ms), cpuMs: Math.round(cpuMs), itemsPerSec: Math.round((N / ms) * 1000) });
}

await main();
