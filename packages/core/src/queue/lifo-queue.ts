/**
 * `LifoQueue`: a `Queue` whose `get` returns the most recently put item (a stack), as
 * Eventlet's and Python's.
 *
 * @module
 */

import { Queue } from "./queue.js";

/**
 * A last-in, first-out queue, with everything else of `Queue` (bounds, waiting, timeouts,
 * `taskDone`/`join`).
 *
 * @throws {TypeError|RangeError} when `maxsize` is not an integer, `Infinity`, `null` or `undefined`.
 * @example
 * ```ts
 * const stack = new LifoQueue<number>();
 * stack.putNowait(1);
 * stack.putNowait(2);
 * stack.getNowait(); // 2
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  readonly #stack: T[] = [];

  /** @internal */
  protected override _qsize(): number {
    return this.#stack.length;
  }

  /** @internal */
  protected override _put(item: T): void {
    this.#stack.push(item);
  }

  /** @internal */
  protected override _get(): T {
    return this.#stack.pop() as T;
  }
}
