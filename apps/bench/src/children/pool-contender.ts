/**
 * One contender of the pool suite: N tiny tasks (`async () => {}`) through a concurrency
 * limit of C, each started as soon as a slot is free, all awaited. Prints tasks/s; the
 * harness adds peak RSS.
 *
 * - `floor`: a hand-written semaphore in raw Node — `await sem.acquire()` per task, the
 *   release hands the permit on. What a careful programmer writes with no library.
 * - `floor-als`: the floor with AsyncLocalStorage turned on (promise hooks on Node 20).
 * - `tendril`: `await pool.spawnN(task)` in a loop, then `waitall()` — each task a green thread.
 * - `p-limit`: `Promise.all` over `limit(task)` for every task (its documented usage).
 * - `p-queue`: `queue.add(task)` for every task, then `onIdle()` (its documented usage).
 *
 * usage: node pool-contender.js <floor|floor-als|tendril|p-limit|p-queue> <N> <C>
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { cpuNow, emit } from "../harness.js";

const [mode = "floor", nArg = "1000000", cArg = "1000"] = process.argv.slice(2);
const N = Number(nArg);
const C = Number(cArg);

let done = 0;
async function task(): Promise<void> {
  done++;
}

/** The floor's semaphore: a counter and a FIFO of resolvers with a head index. */
class HandSemaphore {
  #free: number;
  #waiters: Array<(() => void) | undefined> = [];
  #head = 0;
  constructor(n: number) {
    this.#free = n;
  }
  acquire(): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  release = (): void => {
    if (this.#head < this.#waiters.length) {
      const next = this.#waiters[this.#head] as () => void;
      this.#waiters[this.#head++] = undefined;
      if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head);
        this.#head = 0;
      }
      next();
    } else {
      this.#free++;
    }
  };
}

async function main(): Promise<void> {
  // Load only the contender's library, before the clock starts (an import can change the
  // cost of every promise: Tendril's AsyncLocalStorage enables promise hooks on Node 20).
  const { GreenPool } =
    mode === "tendril" ? await import("@tendril/core") : ({} as typeof import("@tendril/core"));
  const pLimit = mode === "p-limit" ? (await import("p-limit")).default : undefined;
  const PQueue = mode === "p-queue" ? (await import("p-queue")).default : undefined;
  if (mode === "floor-als") {
    // The floor in a process where AsyncLocalStorage is on, as it is wherever Tendril runs:
    // on Node 20 that turns on promise hooks, a cost on every promise (not on Node >= 24).
    new AsyncLocalStorage<number>().run(0, () => undefined);
  }
  // One run of n tasks. A warm-up run of N/10 goes first, untimed, for every contender alike:
  // it loads lazily imported code and lets the JIT settle, so the timed run measures the
  // steady state rather than compilation.
  async function runTasks(n: number): Promise<void> {
    if (mode === "floor" || mode === "floor-als") {
      const sem = new HandSemaphore(C);
      for (let i = 0; i < n; i++) {
        await sem.acquire();
        task().then(sem.release, sem.release);
      }
      for (let i = 0; i < C; i++) await sem.acquire();
    } else if (mode === "tendril") {
      const pool = new GreenPool(C);
      for (let i = 0; i < n; i++) await pool.spawnN(task);
      await pool.waitall();
    } else if (mode === "p-limit") {
      const limit = (pLimit as typeof import("p-limit").default)(C);
      const all = new Array<Promise<void>>(n);
      for (let i = 0; i < n; i++) all[i] = limit(task);
      await Promise.all(all);
    } else if (mode === "p-queue") {
      const queue = new (PQueue as typeof import("p-queue").default)({ concurrency: C });
      for (let i = 0; i < n; i++) void queue.add(task);
      await queue.onIdle();
    } else {
      throw new Error(`unknown mode ${mode}`);
    }
  }
  await runTasks(Math.max(1, Math.floor(N / 10)));
  done = 0;
  const t0 = performance.now();
  const c0 = cpuNow();
  await runTasks(N);
  const ms = performance.now() - t0;
  const cpuMs = cpuNow() - c0;
  if (done !== N) throw new Error(`${done} tasks ran, expected ${N}`);
  emit({ ms: Math.round(ms), cpuMs: Math.round(cpuMs), tasksPerSec: Math.round((N / ms) * 1000) });
}

await main();
