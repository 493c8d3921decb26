/**
 * `GreenMap`: the async iterator behind `GreenPool.imap`, `starmap` and `imapUnordered` (the
 * name of Eventlet's internal class for the same job).
 *
 * How it stays fast and bounded: the window of inputs pulled and not yet read is a ring of
 * threads in input order, at most the pool's size long. Each input runs in its own green
 * thread (so `getCurrent()`, Timeouts and kill work per call) whose slot is counted in the
 * pool; the thread's end is reported through the owner hook, which wakes the reader only when
 * the thread it waits for — the head of the ring — has ended. Reading a finished head is
 * synchronous: shift it, pull the next input, spawn it, and return one resolved promise. No
 * promise per input beyond the call's own and the `next()` result.
 *
 * Inputs are pulled only inside `next()` (lazily, never before the first call), in the
 * reader's thread — so a sync generator runs where the reader runs, not inside another
 * thread's completion. An async source keeps one pull in flight while the window has room.
 *
 * `return()` (a `break` out of `for await`) stops pulling, closes the sources, and kills the
 * calls still in flight, resolving once they have unwound: after the loop, nothing of the map
 * runs and its slots are back in the pool. Killing the reader while it waits in `next()` does
 * the same before the kill reaches the reader's code (`for await` does not call `return()`
 * when `next()` itself throws).
 *
 * @module
 */

import { checkFunction, describeValue, GreenThreadExit } from "../errors.js";
import { Deque } from "../queue/deque.js";
import {
  finishedThread,
  type GreenThread,
  spawnOwned,
  suspend,
  type Waiter,
} from "../thread/green-thread.js";
import { currentThread } from "../thread/operation.js";
import { isTimeout } from "../timeout/timeout.js";
import type { SlotPool, SlotRequest } from "./slots.js";

/**
 * The function `imap` maps: called with one element of each iterable.
 *
 * @example
 * ```ts
 * const double: MapFn<[number], number> = async (n) => n * 2;
 * for await (const x of new GreenPool(4).imap(double, [1, 2, 3])) console.log(x); // 2, 4, 6
 * ```
 */
export type MapFn<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

/**
 * One iterable (sync or async) per parameter of the mapped function.
 *
 * @example
 * ```ts
 * // imap's iterables are typed from the function's parameters: here [string[], number[]].
 * const pool = new GreenPool(10);
 * for await (const s of pool.imap((word: string, n: number) => word.repeat(n), ["a", "b"], [2, 3]))
 *   console.log(s); // "aa", then "bbb"
 * ```
 */
export type IterablesOf<A extends unknown[]> = {
  [K in keyof A]: Iterable<A[K]> | AsyncIterable<A[K]>;
};

// What a source yields: the next call's arguments, or END once an iterable is exhausted.
const END: unique symbol = Symbol("end");
type Pulled = unknown[] | typeof END;

/** A zipped view of the input iterables, yielding argument arrays. */
interface Source {
  readonly sync: boolean;
  next(): Pulled | Promise<Pulled>;
  close(): void | Promise<void>;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const DONE_PROMISE = Promise.resolve(DONE);

function isSyncIterable(x: unknown): x is Iterable<unknown> {
  return (
    x !== null && x !== undefined && typeof (x as Iterable<unknown>)[Symbol.iterator] === "function"
  );
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return (
    x !== null &&
    x !== undefined &&
    typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"
  );
}

function closeQuietly(it: Iterator<unknown> | AsyncIterator<unknown>): void | Promise<void> {
  try {
    const r = it.return?.();
    if (r !== undefined && typeof (r as Promise<unknown>).then === "function") {
      return (r as Promise<unknown>).then(
        () => undefined,
        () => undefined,
      );
    }
  } catch {
    // A failing return() must not hide the reason we are closing.
  }
}

function toArgs(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isSyncIterable(value)) return Array.from(value);
  throw new TypeError(
    `starmap: each element must be an array of arguments, received ${describeValue(value)}`,
  );
}

/** One sync iterable, each element the only argument (imap's common case). */
class SingleSource implements Source {
  readonly sync = true;
  readonly #it: Iterator<unknown>;
  readonly #spread: boolean;
  constructor(it: Iterator<unknown>, spread: boolean) {
    this.#it = it;
    this.#spread = spread;
  }
  next(): Pulled {
    const r = this.#it.next();
    if (r.done) return END;
    return this.#spread ? toArgs(r.value) : [r.value];
  }
  close(): void | Promise<void> {
    return closeQuietly(this.#it);
  }
}

/** Several iterables zipped; sync when all are sync. */
class ZipSource implements Source {
  readonly sync: boolean;
  readonly #its: Array<Iterator<unknown> | AsyncIterator<unknown>>;
  readonly #spread: boolean;
  constructor(
    its: Array<Iterator<unknown> | AsyncIterator<unknown>>,
    sync: boolean,
    spread: boolean,
  ) {
    this.#its = its;
    this.sync = sync;
    this.#spread = spread;
  }
  next(): Pulled | Promise<Pulled> {
    return this.sync ? this.#nextSync() : this.#nextAsync();
  }
  #nextSync(): Pulled {
    const args: unknown[] = [];
    for (const it of this.#its) {
      const r = (it as Iterator<unknown>).next();
      if (r.done) return END;
      args.push(r.value);
    }
    return this.#spread ? toArgs(args[0]) : args;
  }
  async #nextAsync(): Promise<Pulled> {
    const args: unknown[] = [];
    for (const it of this.#its) {
      const r = await it.next();
      if (r.done) return END;
      args.push(r.value);
    }
    return this.#spread ? toArgs(args[0]) : args;
  }
  close(): void | Promise<void> {
    const pending: Promise<void>[] = [];
    for (const it of this.#its) {
      const r = closeQuietly(it);
      if (r !== undefined) pending.push(r);
    }
    if (pending.length > 0) return Promise.all(pending).then(() => undefined);
  }
}

function makeSource(what: string, iterables: unknown[], spread: boolean): Source {
  if (iterables.length === 0)
    throw new TypeError(`${what} needs at least one iterable, received none`);
  let sync = true;
  const its: Array<Iterator<unknown> | AsyncIterator<unknown>> = [];
  for (let i = 0; i < iterables.length; i++) {
    const x = iterables[i];
    if (isSyncIterable(x)) continue;
    if (isAsyncIterable(x)) {
      sync = false;
      continue;
    }
    throw new TypeError(
      `${what}: argument ${i + 2} must be an iterable or async iterable, received ${describeValue(x)}`,
    );
  }
  for (const x of iterables) {
    its.push(
      isSyncIterable(x)
        ? x[Symbol.iterator]()
        : (x as AsyncIterable<unknown>)[Symbol.asyncIterator](),
    );
  }
  if (sync && its.length === 1) return new SingleSource(its[0] as Iterator<unknown>, spread);
  return new ZipSource(its, sync, spread);
}

// Also a `ThreadOwner` (checked where it is passed as one; internal, so not in `implements`).
/**
 * The async iterator returned by `imap`, `starmap` and `imapUnordered`. Iterate it with
 * `for await`; `break` stops it (see `return`). It may also be driven by hand with `next()`,
 * which is how to go on after an input's error (`for await` ends at the first throw).
 *
 * @example
 * ```ts
 * const results = pool.imap(square, [1, 2, 3]);
 * for await (const r of results) console.log(r); // 1, 4, 9
 * ```
 */
export class GreenMap<R> implements AsyncIterableIterator<R> {
  /** @internal The pool whose slots the calls use. */
  readonly _pool: SlotPool;
  readonly #fn: MapFn<unknown[], R>;
  readonly #source: Source;
  readonly #ordered: boolean;
  // Ordered: every input pulled and not yet read, in input order (live or dead threads).
  // Unordered: finished threads not yet read, in completion order.
  readonly #window = new Deque<GreenThread<unknown>>();
  // Unordered only: the threads still running.
  readonly #running: Set<GreenThread<unknown>> | null;
  #exhausted = false;
  #closed = false;
  #busy = false;
  #chain: Promise<unknown> = Promise.resolve();
  #waiter: Waiter<void> | null = null;
  // Slots the pool handed to this map while it waited for one, not yet used.
  #granted = 0;
  #request: SlotRequest | null = null;
  // An async pull in flight (it holds one slot), or null.
  #pull: Promise<void> | null = null;

  /** @internal Use `GreenPool.imap`, `starmap` or `imapUnordered`. */
  constructor(
    pool: SlotPool,
    fn: MapFn<unknown[], R>,
    iterables: unknown[],
    spread: boolean,
    ordered: boolean,
  ) {
    const what = spread
      ? "GreenPool.starmap"
      : ordered
        ? "GreenPool.imap"
        : "GreenPool.imapUnordered";
    checkFunction(`${what}: fn`, fn);
    this._pool = pool;
    this.#fn = fn;
    this.#source = makeSource(what, iterables, spread);
    this.#ordered = ordered;
    this.#running = ordered ? null : new Set();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next result (in input order for `imap`/`starmap`, completion order for
   * `imapUnordered`); rejects with an input's error at its position, after which the next
   * call goes on with the following input. A green operation while it waits.
   */
  next(): Promise<IteratorResult<R>> {
    if (this.#busy) return this.#queueNext();
    const head = this.#window.peek();
    if (head?.dead) {
      this.#window.shift();
      this.#fill(false);
      return head._ok
        ? Promise.resolve({ done: false, value: head._value as R })
        : Promise.reject(head._value);
    }
    if (this.#closed) return DONE_PROMISE;
    const p = this.#nextSlow();
    this.#chain = p;
    return p;
  }

  #queueNext(): Promise<IteratorResult<R>> {
    const next = (): Promise<IteratorResult<R>> => this.next();
    const p = this.#chain.then(next, next);
    this.#chain = p;
    return p;
  }

  async #nextSlow(): Promise<IteratorResult<R>> {
    this.#busy = true;
    const reader = currentThread();
    try {
      for (;;) {
        const head = this.#window.peek();
        if (head?.dead) {
          this.#window.shift();
          this.#fill(false);
          if (head._ok) return { done: false, value: head._value as R };
          throw head._value;
        }
        if (this.#closed) return DONE;
        this.#fill(true);
        if (this.#window.length > 0 && (this.#window.peek() as GreenThread<unknown>).dead) continue;
        if (this.#exhausted && this.#outstanding() === 0) {
          this.#closed = true;
          return DONE;
        }
        if (
          this.#request !== null &&
          this.#outstanding() === 0 &&
          this._pool._owns(currentThread())
        ) {
          // Re-entrant and starved: the pool is full of threads, one of which is us, and none
          // of the slots will come back to this map. Run one input inline (Eventlet's rule).
          await this.#runInline();
          continue;
        }
        await this.#wait();
      }
    } catch (error) {
      // A reader killed inside next() never reaches `for await`'s return(): the map would be
      // orphaned with its calls running. Its calls die with it, as they do on `break`. (A
      // Timeout leaves the map as it is: the reader may catch it and read on.)
      if (reader.signal.aborted) {
        this.#busy = false;
        await this.return();
      }
      throw error;
    } finally {
      this.#busy = false;
      // Invariant: outside next() the map holds no parked request and no unused slot, so a
      // reader that walks away (killed mid-wait, or just stops calling) cannot strand slots.
      this.#cancelRequest();
    }
  }

  /**
   * Stops the map: no more inputs are pulled, the sources are closed, and the calls still in
   * flight are killed; resolves once they have unwound. `for await` calls it on `break`.
   */
  async return(): Promise<IteratorResult<R>> {
    if (this.#closed && this.#inFlight() === 0 && this.#pull === null) return DONE;
    this.#closed = true;
    this.#exhausted = true;
    this.#cancelRequest();
    this.#wake();
    const kills: Promise<void>[] = [];
    if (this.#ordered) {
      for (let i = 0; i < this.#window.length; i++) {
        const t = this.#window.at(i) as GreenThread<unknown>;
        if (!t.dead) kills.push(t.kill());
      }
    } else {
      for (const t of this.#running as Set<GreenThread<unknown>>) kills.push(t.kill());
    }
    while (this.#window.shift() !== undefined) {}
    if (this.#pull !== null) await this.#pull;
    await Promise.all(kills);
    await this.#source.close();
    return DONE;
  }

  /** The same as `return()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  // --- the window -----------------------------------------------------------------------

  #inFlight(): number {
    return this.#ordered ? 0 : (this.#running as Set<GreenThread<unknown>>).size;
  }

  /** Inputs pulled (or being pulled) and not yet read. */
  #outstanding(): number {
    return this.#window.length + this.#inFlight() + (this.#pull !== null ? 1 : 0);
  }

  #takeSlot(request: boolean): boolean {
    if (this.#granted > 0) {
      this.#granted--;
      return true;
    }
    if (this._pool._tryTake()) return true;
    if (request && this.#request === null) {
      const request: SlotRequest = {
        dead: false,
        grant: () => {
          if (this.#request !== request) return false;
          this.#request = null;
          this.#granted++;
          this.#wake();
          return true;
        },
      };
      this.#request = request;
      this._pool._request(request);
    }
    return false;
  }

  #cancelRequest(): void {
    if (this.#request !== null) {
      this._pool._withdraw(this.#request);
      this.#request = null;
    }
    while (this.#granted > 0) {
      this.#granted--;
      this._pool._release();
    }
  }

  /**
   * Pulls inputs and spawns their calls while the window and the pool have room. With
   * `request`, a full pool parks a slot request (only done while the reader waits in next()).
   */
  #fill(request: boolean): void {
    if (this.#exhausted) return;
    const source = this.#source;
    const limit = this._pool.size;
    while (this.#pull === null && this.#outstanding() < limit) {
      if (!this.#takeSlot(request)) return;
      let pulled: Pulled | Promise<Pulled>;
      try {
        pulled = source.next();
      } catch (error) {
        this._pool._release();
        this.#sourceFailed(error);
        return;
      }
      if (!source.sync) {
        this.#pull = (pulled as Promise<Pulled>).then(
          (r) => this.#pulled(r),
          (error: unknown) => {
            this.#pull = null;
            this._pool._release();
            this.#sourceFailed(error);
            this.#wake();
          },
        );
        return;
      }
      const r = pulled as Pulled;
      if (r === END) {
        this._pool._release();
        this.#exhausted = true;
        return;
      }
      this.#start(r);
    }
  }

  #pulled(r: Pulled): void {
    this.#pull = null;
    if (r === END || this.#closed) {
      this._pool._release();
      this.#exhausted = true;
    } else {
      this.#start(r);
      this.#fill(this.#busy);
    }
    this.#wake();
  }

  #start(args: unknown[]): void {
    const t = spawnOwned(this.#fn as never, args, this, false, true) as GreenThread<unknown>;
    if (this.#ordered) this.#window.push(t);
    else (this.#running as Set<GreenThread<unknown>>).add(t);
  }

  #sourceFailed(error: unknown): void {
    this.#exhausted = true;
    // The source's error takes the next position, as a call that failed there would.
    this.#window.push(finishedThread(this.#fn as never, false, error, true));
    void this.#source.close();
  }

  async #runInline(): Promise<void> {
    const r = await this.#source.next();
    if (r === END) {
      this.#exhausted = true;
      return;
    }
    let ok = true;
    let value: unknown;
    try {
      value = await this.#fn(...r);
    } catch (error) {
      ok = false;
      value = error;
    }
    this.#window.push(finishedThread(this.#fn as never, ok, value, true));
    // The call ran in the reader's thread: an interruption is the reader's too. The input
    // keeps its place (failed with it), and the reader unwinds.
    if (!ok && (value instanceof GreenThreadExit || isTimeout(value))) throw value;
  }

  /** @internal The owner hook: one of the map's calls ended. */
  _threadEnded(thread: GreenThread<unknown>): void {
    this._pool._release();
    if (this.#ordered) {
      if (this.#waiter !== null && this.#window.peek() === thread) this.#wake();
    } else if ((this.#running as Set<GreenThread<unknown>>).delete(thread)) {
      if (!this.#closed) this.#window.push(thread);
      this.#wake();
    }
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve();
    }
  }

  #wait(): Promise<void> {
    return suspend<void>((waiter) => {
      this.#waiter = waiter;
      return () => {
        if (this.#waiter === waiter) this.#waiter = null;
      };
    });
  }
}
