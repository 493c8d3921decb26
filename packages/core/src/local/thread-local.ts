/**
 * `ThreadLocal`: a value per green thread — Eventlet's `corolocal.local`, Python's
 * `threading.local` for green threads.
 *
 * Trade-off: the values live in a `WeakMap` keyed by the `GreenThread` that `getCurrent()`
 * returns, so the context carrier needs no new slot, a `get()` costs one map lookup, and a
 * thread's values go away with the thread object (nothing to clean up when it ends). The
 * price: the key is the whole thread, not the innermost scope, so branches of one
 * `Promise.all` inside a thread share its value — as the statements of one greenlet share
 * Eventlet's. Code outside any spawned thread is the *main* thread and shares one value.
 *
 * @module
 */

import { checkFunction, describeValue } from "../errors.js";
import type { GreenThread } from "../thread/green-thread.js";
import { currentThread } from "../thread/operation.js";

/**
 * Options of a `ThreadLocal`.
 *
 * @example
 * ```ts
 * const counters = new ThreadLocal<Map<string, number>>({ initial: () => new Map() });
 * ```
 */
export interface ThreadLocalOptions<T> {
  /**
   * Makes the value of a thread that has none yet, on its first `get()` (as a subclass'
   * `__init__` does for Eventlet's `local`). Without it, `get()` returns `undefined` there.
   */
  initial?: () => T;
}

/**
 * A value per green thread: each thread (and the main thread, for code outside any spawn)
 * sees only what it set. A spawned thread starts with nothing set — it does not inherit its
 * spawner's value — or with `initial()`'s value.
 *
 * @throws {TypeError} when `options` is not an object or `initial` is not a function.
 * @example
 * ```ts
 * const requestId = new ThreadLocal<string>();
 * async function handle(id: string) {
 *   requestId.set(id);
 *   await sleep(10);
 *   log(`${requestId.get()} done`); // this thread's id, whatever ran meanwhile
 * }
 * spawn(handle, "a");
 * spawn(handle, "b");
 * ```
 */
export class ThreadLocal<T> {
  readonly #values = new WeakMap<GreenThread<unknown>, T>();
  readonly #initial: (() => T) | undefined;

  constructor(options: ThreadLocalOptions<T> = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `ThreadLocal: options must be an object, received ${describeValue(options)}`,
      );
    }
    if (options.initial !== undefined) checkFunction("ThreadLocal: initial", options.initial);
    this.#initial = options.initial;
  }

  /**
   * The current thread's value: what it last `set()`, else `initial()`'s value (made once
   * and kept), else `undefined`.
   *
   * @example
   * ```ts
   * const user = currentUser.get();
   * ```
   */
  get(): T | undefined {
    const thread = currentThread();
    const values = this.#values;
    if (values.has(thread)) return values.get(thread);
    const initial = this.#initial;
    if (initial === undefined) return undefined;
    const value = initial();
    values.set(thread, value);
    return value;
  }

  /**
   * True when the current thread has a value (set, or made by `initial`).
   *
   * @example
   * ```ts
   * if (!currentUser.has()) currentUser.set(anonymous);
   * ```
   */
  has(): boolean {
    return this.#values.has(currentThread());
  }

  /**
   * Sets the current thread's value; other threads do not see it.
   *
   * @example
   * ```ts
   * currentUser.set(user);
   * ```
   */
  set(value: T): void {
    this.#values.set(currentThread(), value);
  }

  /**
   * Removes the current thread's value (the next `get()` calls `initial` again). Returns
   * whether there was one.
   *
   * @example
   * ```ts
   * currentUser.delete();
   * ```
   */
  delete(): boolean {
    return this.#values.delete(currentThread());
  }

  /**
   * Sets the current thread's value until the returned handle is disposed, which restores
   * what the thread had before (or nothing). Made for `using`; the restore applies to the
   * thread that made the override, wherever it is disposed.
   *
   * @example
   * ```ts
   * {
   *   using _ = logLevel.override("debug");
   *   await noisyOperation();
   * } // the previous level is back
   * ```
   */
  override(value: T): ThreadLocalOverride {
    const thread = currentThread();
    const values = this.#values;
    const had = values.has(thread);
    const previous = values.get(thread);
    values.set(thread, value);
    let restored = false;
    return {
      [Symbol.dispose]() {
        if (restored) return;
        restored = true;
        if (had) values.set(thread, previous as T);
        else values.delete(thread);
      },
    };
  }
}

/**
 * The handle `ThreadLocal.override` returns: disposing it (once; later calls do nothing)
 * restores the thread's previous value.
 *
 * @example
 * ```ts
 * using _ = local.override(42);
 * ```
 */
export interface ThreadLocalOverride extends Disposable {}
