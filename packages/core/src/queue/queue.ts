/**
 * `Queue`: a `LightQueue` that also counts unfinished tasks, so a producer can `join()` until
 * consumers have called `taskDone()` for every item put — Python's and Eventlet's `Queue`.
 *
 * @module
 */

import { TendrilError } from "../errors.js";
import { type WaitEntry, WaitList } from "../sync/wait-list.js";
import { suspend, type Waiter } from "../thread/green-thread.js";
import { LightQueue } from "./light-queue.js";

interface Joiner extends WaitEntry {
  waiter: Waiter<void>;
}

const RESOLVED = Promise.resolve();

/**
 * A queue with task tracking: every item put counts as an unfinished task until a consumer
 * calls `taskDone()` for it; `join()` waits until none is left. Everything else is
 * `LightQueue`'s: bounded, unbounded or rendezvous (`maxsize` 0), FIFO waiters, timeouts.
 *
 * @throws {TypeError|RangeError} when `maxsize` is not an integer, `Infinity`, `null` or `undefined`.
 * @example
 * ```ts
 * const q = new Queue<string>();
 * for (let i = 0; i < 4; i++) spawn(async () => { for (;;) { await handle(await q.get()); q.taskDone(); } });
 * for (const job of jobs) await q.put(job);
 * await q.join(); // every job handled
 * ```
 */
export class Queue<T> extends LightQueue<T> {
  #unfinished = 0;
  readonly #joiners = new WaitList<Joiner>();

  /** Items put and not yet marked done with `taskDone()`. */
  get unfinishedTasks(): number {
    return this.#unfinished;
  }

  /**
   * Marks one item as processed. When no unfinished task is left, every `join()` resolves.
   *
   * @throws {TendrilError} `ERR_TENDRIL_TASK_DONE_TOO_OFTEN` when called more times than
   * items were put.
   * @example
   * ```ts
   * const job = await q.get();
   * try { await handle(job); } finally { q.taskDone(); }
   * ```
   */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new TendrilError(
        "ERR_TENDRIL_TASK_DONE_TOO_OFTEN",
        "Queue.taskDone() called too many times: more than items were put",
      );
    }
    if (--this.#unfinished === 0) {
      for (const joiner of this.#joiners.drain()) joiner.waiter.resolve();
    }
  }

  /**
   * Waits until every item put has been marked done; resolves at once when none is
   * unfinished. A green operation.
   *
   * @example
   * ```ts
   * await q.join();
   * ```
   */
  join(): Promise<void> {
    if (this.#unfinished === 0) return RESOLVED;
    return suspend<void>((waiter) => {
      const entry: Joiner = { dead: false, waiter };
      this.#joiners.push(entry);
      return () => {
        this.#joiners.remove(entry);
      };
    });
  }

  /** @internal */
  protected override _accepted(): void {
    this.#unfinished++;
  }
}
