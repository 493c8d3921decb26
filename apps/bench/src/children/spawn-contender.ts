/**
 * One contender of the spawn suite: N tasks that each yield once and return a value, all
 * waited for. Memory is the live heap (after a full GC) at the moment the last task reached
 * its yield point — every task alive and suspended — divided by N.
 *
 * Time and memory come from separate passes, after a warm-up pass of N/10 tasks: the timed
 * pass runs no forced GC at the peak (a full collection of N suspended tasks took longer than
 * the run itself, and its noise swamped the comparison), and the memory pass is not timed.
 * Both sides are measured the same way.
 *
 * usage: node spawn-contender.js <raw|tendril-spawn|tendril-spawnN|effect> <N>
 */

import { emit } from "../harness.js";

const [mode = "raw", nArg = "100000"] = process.argv.slice(2);
const N = Number(nArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

let reached = 0;
let target = 0; // the task count at which atYield samples the heap; 0 in unsampled passes
let heapAtPeak = 0;
function atYield(): void {
  if (++reached === target) {
    gc?.();
    heapAtPeak = process.memoryUsage().heapUsed;
  }
}

// One pass of n tasks; returns the checksum.
async function pass(n: number): Promise<number> {
  let checksum = 0;
  if (mode === "raw") {
    const task = async (i: number): Promise<number> => {
      atYield();
      await new Promise<void>((resolve) => setImmediate(resolve));
      return i;
    };
    const promises = new Array<Promise<number>>(n);
    for (let i = 0; i < n; i++) promises[i] = task(i);
    for (const v of await Promise.all(promises)) checksum += v;
  } else if (mode === "tendril-spawn") {
    const { spawn, sleep } = await import("@tendril/core");
    const task = async (i: number): Promise<number> => {
      atYield();
      await sleep(0);
      return i;
    };
    const threads = new Array(n);
    for (let i = 0; i < n; i++) threads[i] = spawn(task, i);
    for (let i = 0; i < n; i++) checksum += await threads[i].wait();
  } else if (mode === "tendril-spawnN") {
    const { spawnN, sleep, Waiter } = await import("@tendril/core");
    void Waiter;
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const task = async (i: number): Promise<void> => {
      atYield();
      await sleep(0);
      checksum += i;
      if (++done === n) finish();
    };
    for (let i = 0; i < n; i++) spawnN(task, i);
    await all;
  } else if (mode === "effect") {
    const { Effect, Fiber } = await import("effect");
    const task = (i: number) =>
      Effect.gen(function* () {
        atYield();
        yield* Effect.yieldNow;
        return i;
      });
    const program = Effect.gen(function* () {
      const fibers = new Array(n);
      for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(task(i));
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (yield* Fiber.join(fibers[i])) as number;
      return sum;
    });
    checksum = (await Effect.runPromise(program as never)) as number;
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const expected = (n * (n - 1)) / 2;
  if (checksum !== expected) throw new Error(`checksum ${checksum} != ${expected}`);
  return checksum;
}

async function main(): Promise<void> {
  await pass(Math.max(1, Math.floor(N / 10))); // warm-up: load modules, let the JIT settle
  gc?.();
  const t0 = performance.now();
  await pass(N);
  const ms = performance.now() - t0;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  reached = 0;
  target = N;
  await pass(N);
  emit({ ms: Math.round(ms * 10) / 10, bytesPerTask: Math.round((heapAtPeak - heap0) / N) });
}

await main();
