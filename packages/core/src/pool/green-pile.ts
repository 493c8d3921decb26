/**
 * `GreenPile`: spawn a batch of calls on a pool, then read their results in spawn order —
 * the dispatch pattern's building block (one pile per request, one pool for the process).
 *
 * `counter` counts calls spawned (or being spawned) and not yet taken by a reader. It is
 * incremented before the pool is asked for a slot and rolled back if that wait is
 * interrupted, and a reader that finds a spawn still waiting for its slot waits with it — so
 * a Timeout in `spawn` never leaves the pile claiming a result that will not come, and an
 * empty pile ends at once instead of hanging. Each reader takes the oldest unclaimed call
 * before it waits (and gives it back if interrupted), so several readers of one pile share
 * its results: each result reaches exactly one of them.
 *
 * @module
 */

import { checkFunction, describeValue } from "../errors.js";
import { Deque } from "../queue/deque.js";
import { type GreenThread, suspend, type Waiter } from "../thread/green-thread.js";
import { GreenPool } from "./green-pool.js";

type Fn<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Results of calls spawned on a pool, read back in the order they were spawned. Created with
 * a size (it makes its own `GreenPool`) or with a shared pool.
 *
 * @throws {TypeError|RangeError} when `sizeOrPool` is neither a `GreenPool` nor an integer >= 0.
 * @example
 * ```ts
 * const pile = new GreenPile<string>(pool);
 * for (const url of urls) await pile.spawn(fetchTitle, url);
 * for await (const title of pile) console.log(title); // in the order of urls
 * ```
 */
export class GreenPile<R> implements AsyncIterableIterator<R> {
  /** The pool the calls run on. */
  readonly pool: GreenPool;
  #counter = 0;
  readonly #threads = new Deque<GreenThread<R>>();
  // Readers waiting for a spawn that is itself still waiting for a slot.
  #readers: Array<Waiter<void>> = [];

  constructor(sizeOrPool: number | GreenPool = 1000) {
    if (sizeOrPool instanceof GreenPool) this.pool = sizeOrPool;
    else if (typeof sizeOrPool === "number") this.pool = new GreenPool(sizeOrPool);
    else {
      throw new TypeError(
        `GreenPile takes a GreenPool or a size (an integer >= 0), received ${describeValue(sizeOrPool)}`,
      );
    }
  }

  /** Calls spawned (or waiting to be) and not yet taken by a reader. */
  get counter(): number {
    return this.#counter;
  }

  /**
   * Spawns `fn(...args)` on the pool, waiting while the pool is full (a green operation);
   * its result will come out of the pile in spawn order. Interrupted while waiting, nothing
   * is spawned and `counter` is as before.
   *
   * @throws {TypeError} when `fn` is not a function.
   * @example
   * ```ts
   * await pile.spawn(fetchTitle, url);
   * ```
   */
  async spawn<A extends unknown[]>(fn: Fn<A, R>, ...args: A): Promise<void> {
    checkFunction("GreenPile.spawn: fn", fn);
    this.#counter++;
    let thread: GreenThread<R>;
    try {
      thread = await this.pool.spawn(fn, ...args);
    } catch (error) {
      this.#counter--;
      this.#wakeReaders();
      throw error;
    }
    // Its outcome is read through the pile: never report it as unobserved.
    thread.link(noop);
    this.#threads.push(thread);
    this.#wakeReaders();
  }

  /**
   * The next result in spawn order; `{ done: true }` once every spawned call was read (at
   * once for an empty pile). Rejects with a call's error at its position, after which the
   * pile goes on with the next one. A green operation. Several readers may call it at once:
   * each takes the oldest call no other reader has taken, so every result goes to exactly
   * one reader.
   *
   * @example
   * ```ts
   * const first = await pile.next();
   * if (!first.done) console.log(first.value);
   * ```
   */
  async next(): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#counter === 0) return DONE;
      // Invariant: a reader claims its thread before it waits, so two readers never wait
      // for the same call (Eventlet's pile hands each reader its own thread from a queue).
      const thread = this.#threads.shift();
      if (thread === undefined) {
        // A spawn is still waiting for its slot.
        await suspend<void>((waiter) => {
          this.#readers.push(waiter);
          return () => {
            const i = this.#readers.indexOf(waiter);
            if (i >= 0) this.#readers.splice(i, 1);
          };
        });
        continue;
      }
      this.#counter--;
      if (!thread.dead) {
        try {
          await suspend<void>((waiter) => {
            const settle = (): void => {
              waiter.resolve();
            };
            thread._addSettle(settle);
            return () => thread._removeSettle(settle);
          });
        } catch (error) {
          // Interrupted: the claim is undone, so the next reader gets this result.
          this.#threads.unshift(thread);
          this.#counter++;
          this.#wakeReaders();
          throw error;
        }
      }
      if (thread._ok) return { done: false, value: thread._value as R };
      throw thread._value;
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Reads every remaining result, in spawn order.
   *
   * @throws the first error of a call, at its position (the results after it stay in the pile).
   * @example
   * ```ts
   * const titles = await pile.collect();
   * ```
   */
  async collect(): Promise<R[]> {
    const out: R[] = [];
    for (;;) {
      const r = await this.next();
      if (r.done) return out;
      out.push(r.value);
    }
  }

  #wakeReaders(): void {
    const readers = this.#readers;
    if (readers.length === 0) return;
    this.#readers = [];
    for (const waiter of readers) waiter.resolve();
  }
}

function noop(): void {}
