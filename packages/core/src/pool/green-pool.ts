/**
 * `GreenPool`: bounded concurrency for green threads — Eventlet's pool, and the replacement
 * for p-limit and p-map.
 *
 * The hot path is one integer: a spawn with a free slot bumps the count and spawns, and the
 * thread's end (reported through the thread's owner hook, not a promise chain or a link per
 * thread) hands the slot straight to the oldest waiting spawner or gives it back. A spawner
 * that finds the pool full parks in a FIFO; being killed or timed out while parked takes it
 * out of the line without a slot. `imap`/`starmap`/`imapUnordered` (see `green-map.ts`) take
 * their slots from the same count, so `running()` and `waitall()` see their work (Eventlet
 * ran them on a hidden second pool).
 *
 * @module
 */

import { checkFunction, checkInteger, GreenThreadExit, TendrilError } from "../errors.js";
import { report } from "../hub/report.js";
import type { WaitEntry } from "../sync/wait-list.js";
import { WaitList } from "../sync/wait-list.js";
import {
  finishedThread,
  type GreenThread,
  spawnOwned,
  suspend,
  type Waiter,
} from "../thread/green-thread.js";
import { currentThread } from "../thread/operation.js";
import { isTimeout } from "../timeout/timeout.js";
import { GreenMap, type IterablesOf, type MapFn } from "./green-map.js";
import type { SlotRequest } from "./slots.js";

class Spawner implements SlotRequest {
  dead = false;
  readonly waiter: Waiter<void>;
  constructor(waiter: Waiter<void>) {
    this.waiter = waiter;
  }
  grant(): boolean {
    return this.waiter.resolve();
  }
}

interface Waitall extends WaitEntry {
  waiter: Waiter<void>;
}

type Fn<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

const RESOLVED = Promise.resolve();

// It is a `ThreadOwner` and a `SlotPool` (checked where it is passed as one); neither is
// written in an `implements` clause, since both are internal and absent from the `.d.ts`.
/**
 * A pool of at most `size` green threads. `spawn` waits for a free slot and then starts the
 * function in a new thread; `spawnN` does the same without a handle; `imap` maps a function
 * over (async) iterables with bounded concurrency and memory, results in input order.
 *
 * Re-entrant, as Eventlet's: a spawn from one of the pool's own threads while the pool is
 * full runs the function inline, in the calling thread, instead of deadlocking.
 *
 * @throws {TypeError|RangeError} when `size` is not an integer >= 0.
 * @example
 * ```ts
 * const pool = new GreenPool(100);
 * for (const url of urls) await pool.spawnN(fetchAndStore, url); // at most 100 at once
 * await pool.waitall();
 * ```
 */
export class GreenPool {
  #size: number;
  // Invariant: #active counts slots taken — running threads, plus slots just handed to a
  // parked spawner that has not spawned yet. Spawners park only while #active >= #size.
  #active = 0;
  readonly #spawners = new WaitList<SlotRequest>();
  readonly #waitall = new WaitList<Waitall>();

  constructor(size = 1000) {
    this.#size = checkInteger("GreenPool size", size, 0);
  }

  /** The maximum number of threads running at once. */
  get size(): number {
    return this.#size;
  }

  /** How many of the pool's threads are running (including `imap` work). */
  running(): number {
    return this.#active;
  }

  /** How many more threads could start now; negative after a shrinking `resize`. */
  free(): number {
    return this.#size - this.#active;
  }

  /** How many spawners are waiting for a slot. */
  waiting(): number {
    return this.#spawners.size;
  }

  /**
   * Changes the size. Growing lets waiting spawners start at once; shrinking kills nothing —
   * running threads finish, and new ones wait until `running()` is below the new size.
   *
   * @throws {TypeError|RangeError} when `size` is not an integer >= 0.
   * @example
   * ```ts
   * pool.resize(pool.size * 2);
   * ```
   */
  resize(size: number): void {
    this.#size = checkInteger("GreenPool.resize: size", size, 0);
    while (this.#active < this.#size) {
      const next = this.#spawners.shift();
      if (next === undefined) break;
      if (next.grant()) this.#active++;
    }
  }

  /**
   * Starts `fn(...args)` in a new thread of the pool, waiting (FIFO) for a free slot first,
   * and resolves to the thread: `await (await pool.spawn(fn)).wait()` for its result. A
   * green operation while it waits: kill and Timeout interrupt it, and nothing is spawned.
   * Called from one of the pool's own threads while the pool is full, it runs `fn` inline
   * and resolves to the already finished thread (an interruption of the calling thread is
   * re-thrown, not stored).
   *
   * @throws {TypeError} when `fn` is not a function.
   * @example
   * ```ts
   * const t = await pool.spawn(fetchTitle, url);
   * console.log(await t.wait());
   * ```
   */
  spawn<A extends unknown[], R>(fn: Fn<A, R>, ...args: A): Promise<GreenThread<R>> {
    checkFunction("GreenPool.spawn: fn", fn);
    if (this.#active < this.#size) {
      this.#active++;
      return Promise.resolve(spawnOwned<R>(fn as never, args, this, false, false));
    }
    if (this._owns(currentThread())) return this.#spawnInline(fn, args);
    return this.#spawnLater(fn, args);
  }

  async #spawnLater<A extends unknown[], R>(fn: Fn<A, R>, args: A): Promise<GreenThread<R>> {
    await this.#park();
    return spawnOwned<R>(fn as never, args, this, false, false);
  }

  async #spawnInline<A extends unknown[], R>(fn: Fn<A, R>, args: A): Promise<GreenThread<R>> {
    let ok = true;
    let value: unknown;
    try {
      value = await fn(...args);
    } catch (error) {
      // The function ran in the calling thread: an interruption is that thread's to handle.
      if (error instanceof GreenThreadExit || isTimeout(error)) throw error;
      ok = false;
      value = error;
    }
    return finishedThread<R>(fn as never, ok, value);
  }

  /**
   * Like `spawn`, without a handle: cheaper, and an error of `fn` goes to the error reporter
   * (see `setErrorReporter`). Resolves once the thread is spawned (or, inline, has run).
   *
   * @throws {TypeError} when `fn` is not a function.
   * @example
   * ```ts
   * for (;;) {
   *   const [socket] = await server.accept();
   *   await pool.spawnN(handle, socket);
   * }
   * ```
   */
  spawnN<A extends unknown[]>(fn: Fn<A, unknown>, ...args: A): Promise<void> {
    checkFunction("GreenPool.spawnN: fn", fn);
    if (this.#active < this.#size) {
      this.#active++;
      spawnOwned(fn as never, args, this, true, false);
      return RESOLVED;
    }
    if (this._owns(currentThread())) return this.#spawnNInline(fn, args);
    return this.#spawnNLater(fn, args);
  }

  async #spawnNLater<A extends unknown[]>(fn: Fn<A, unknown>, args: A): Promise<void> {
    await this.#park();
    spawnOwned(fn as never, args, this, true, false);
  }

  async #spawnNInline<A extends unknown[]>(fn: Fn<A, unknown>, args: A): Promise<void> {
    try {
      await fn(...args);
    } catch (error) {
      if (error instanceof GreenThreadExit || isTimeout(error)) throw error;
      report(error, `a GreenPool.spawnN function run inline (${fn.name || "anonymous"})`);
    }
  }

  /**
   * Waits until none of the pool's threads is running. A green operation.
   *
   * @throws {TendrilError} `ERR_TENDRIL_WAITALL_INSIDE_POOL` (as a rejection) when called from
   * one of the pool's own threads, which would wait for itself forever.
   * @example
   * ```ts
   * for (const job of jobs) await pool.spawnN(run, job);
   * await pool.waitall();
   * ```
   */
  waitall(): Promise<void> {
    if (this._owns(currentThread())) {
      return Promise.reject(
        new TendrilError(
          "ERR_TENDRIL_WAITALL_INSIDE_POOL",
          "GreenPool.waitall() was called from one of the pool's own threads: it would wait for itself forever",
        ),
      );
    }
    if (this.#active === 0) return RESOLVED;
    return suspend<void>((waiter) => {
      const entry: Waitall = { dead: false, waiter };
      this.#waitall.push(entry);
      return () => {
        this.#waitall.remove(entry);
      };
    });
  }

  /**
   * Maps `fn` over one or more iterables (sync or async; several are zipped, stopping at the
   * shortest), at most `size` calls at once *counted against this pool*, results yielded in
   * input order. Lazy: nothing is pulled before the first `next()`, and at most `size`
   * inputs are in flight or finished-but-unread at any time, so an endless generator is fine.
   * A call that fails throws at its position and iteration may go on. Breaking out of the
   * loop (`return()`) stops pulling and kills the calls still in flight.
   *
   * @throws {TypeError} when `fn` is not a function or an argument is not iterable.
   * @example
   * ```ts
   * for await (const body of pool.imap((url: string) => urlopen(url).then((r) => r.text()), urls)) {
   *   console.log(body.length);
   * }
   * ```
   */
  imap<A extends unknown[], R>(
    fn: MapFn<NoInfer<A>, R>,
    ...iterables: IterablesOf<A>
  ): GreenMap<R> {
    return new GreenMap<R>(this, fn as MapFn<unknown[], R>, iterables, false, true);
  }

  /**
   * `imap` over argument tuples: `fn(...args)` for each `args` of `iterable`.
   *
   * @throws {TypeError} when `fn` is not a function or `iterable` is not iterable.
   * @example
   * ```ts
   * for await (const sum of pool.starmap((a: number, b: number) => a + b, [[1, 2], [3, 4]])) console.log(sum);
   * ```
   */
  starmap<A extends unknown[], R>(
    fn: MapFn<A, R>,
    iterable: Iterable<A> | AsyncIterable<A>,
  ): GreenMap<R> {
    return new GreenMap<R>(this, fn as MapFn<unknown[], R>, [iterable], true, true);
  }

  /**
   * `imap` that yields results as they complete instead of in input order: the same bounds,
   * laziness and errors, and a slow call does not hold back the others' results.
   *
   * @throws {TypeError} when `fn` is not a function or an argument is not iterable.
   * @example
   * ```ts
   * for await (const page of pool.imapUnordered(fetchPage, urls)) index(page);
   * ```
   */
  imapUnordered<A extends unknown[], R>(
    fn: MapFn<NoInfer<A>, R>,
    ...iterables: IterablesOf<A>
  ): GreenMap<R> {
    return new GreenMap<R>(this, fn as MapFn<unknown[], R>, iterables, false, false);
  }

  /** Waits for every running thread (`waitall`), for `await using pool = new GreenPool()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.waitall();
  }

  // --- internal: slots ------------------------------------------------------------------

  #park(): Promise<void> {
    return suspend<void>((waiter) => {
      const entry = new Spawner(waiter);
      this.#spawners.push(entry);
      return () => {
        this.#spawners.remove(entry);
      };
    });
  }

  /** @internal The owner hook: one of the pool's threads ended. */
  _threadEnded(): void {
    this._release();
  }

  /** @internal Takes a slot if one is free. */
  _tryTake(): boolean {
    if (this.#active < this.#size) {
      this.#active++;
      return true;
    }
    return false;
  }

  /** @internal Parks `request` until a slot is handed to it. */
  _request(request: SlotRequest): void {
    this.#spawners.push(request);
  }

  /** @internal Withdraws a parked request. */
  _withdraw(request: SlotRequest): void {
    this.#spawners.remove(request);
  }

  /** @internal Gives a slot back: to the oldest parked spawner, else to the count. */
  _release(): void {
    if (this.#active <= this.#size) {
      for (;;) {
        const next = this.#spawners.shift();
        if (next === undefined) break;
        if (next.grant()) return;
      }
    }
    if (--this.#active === 0 && this.#waitall.size > 0) {
      for (const entry of this.#waitall.drain()) entry.waiter.resolve();
    }
  }

  /** @internal True when `thread` was spawned by this pool (or one of its maps). */
  _owns(thread: GreenThread<unknown>): boolean {
    const owner = thread._owner;
    return owner === this || (owner !== null && (owner as { _pool?: unknown })._pool === this);
  }
}
