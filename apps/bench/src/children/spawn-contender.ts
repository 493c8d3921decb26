/**
 * One contender of the spawn suite: N tasks that each yield once and return a value, all
 * waited for. Memory is the live heap (after a full GC) at the moment the last task reached
 * its yield point — every task alive and suspended — divided by N.
 *
 * usage: node spawn-contender.js <raw|tendril-spawn|tendril-spawnN|effect> <N>
 */

import { emit } from "../harness.js";

const [mode = "raw", nArg = "100000"] = process.argv.slice(2);
const N = Number(nArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

let reached = 0;
let heapAtPeak = 0;
function atYield(): void {
  if (++reached === N) {
    gc?.();
    heapAtPeak = process.memoryUsage().heapUsed;
  }
}

async function main(): Promise<void> {
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let checksum = 0;
  if (mode === "raw") {
    const task = async (i: number): Promise<number> => {
      atYield();
      await new Promise<void>((resolve) => setImmediate(resolve));
      return i;
    };
    const promises = new Array<Promise<number>>(N);
    for (let i = 0; i < N; i++) promises[i] = task(i);
    for (const v of await Promise.all(promises)) checksum += v;
  } else if (mode === "tendril-spawn") {
    const { spawn, sleep } = await import("@tendril/core");
    const task = async (i: number): Promise<number> => {
      atYield();
      await sleep(0);
      return i;
    };
    const threads = new Array(N);
    for (let i = 0; i < N; i++) threads[i] = spawn(task, i);
    for (let i = 0; i < N; i++) checksum += await threads[i].wait();
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
      if (++done === N) finish();
    };
    for (let i = 0; i < N; i++) spawnN(task, i);
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
      const fibers = new Array(N);
      for (let i = 0; i < N; i++) fibers[i] = yield* Effect.forkChild(task(i));
      let sum = 0;
      for (let i = 0; i < N; i++) sum += (yield* Fiber.join(fibers[i])) as number;
      return sum;
    });
    checksum = (await Effect.runPromise(program as never)) as number;
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  const ms = performance.now() - t0;
  const expected = (N * (N - 1)) / 2;
  if (checksum !== expected) throw new Error(`checksum ${checksum} != ${expected}`);
  emit({ ms: Math.round(ms * 10) / 10, bytesPerTask: Math.round((heapAtPeak - heap0) / N) });
}

await main();
