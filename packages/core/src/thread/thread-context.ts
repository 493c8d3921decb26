/**
 * How a green thread's identity travels with its async continuations. Two carriers, one
 * contract (`run` a function as a thread, `get` the thread running now):
 *
 * - `AsyncLocalStorage`, on Node >= 24, where it is built on AsyncContextFrame and nearly free.
 *   It also follows timers and event-emitter callbacks.
 * - V8's promise hooks (`v8.promiseHooks`), on Node 20 and 22. There `AsyncLocalStorage`
 *   turns on Node's async_hooks machinery, which gives every promise in the process an async
 *   id and a copied store and roughly halves the speed of promise-heavy code. Tendril's threads
 *   only ever resume through promises (every green operation is one), so three small hooks
 *   that stamp each promise with the thread that created it, and restore that thread around
 *   each reaction, carry the identity at a fraction of the cost. The trade-off: a raw
 *   `setTimeout` or event-emitter callback registered inside a thread runs as the main thread.
 *
 * `TENDRIL_CONTEXT=als` or `=hooks` overrides the choice (for measuring both).
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { promiseHooks } from "node:v8";

/** @internal */
export interface ThreadContext<T extends object> {
  /** The carrier's name, for benchmarks and bug reports. */
  readonly kind: "als" | "hooks";
  /** Runs `fn(arg)` with `value` as the current context, synchronously. */
  run<A>(value: T, fn: (arg: A) => void, arg: A): void;
  /** The current context, or `undefined` outside any `run`. */
  get(): T | undefined;
}

function alsContext<T extends object>(): ThreadContext<T> {
  const storage = new AsyncLocalStorage<T>();
  return {
    kind: "als",
    run: (value, fn, arg) => storage.run(value, fn, arg),
    get: () => storage.getStore(),
  };
}

function hookContext<T extends object>(): ThreadContext<T> {
  const stamp = Symbol("tendril.thread");
  let current: T | undefined;
  // Invariant: before/after come in matched pairs around every reaction job, so the stack
  // unwinds to `undefined` between macrotasks and no thread identity leaks into I/O callbacks.
  const saved: Array<T | undefined> = [];
  promiseHooks.createHook({
    init(promise) {
      if (current !== undefined) (promise as unknown as Record<symbol, T>)[stamp] = current;
    },
    before(promise) {
      saved.push(current);
      current = (promise as unknown as Record<symbol, T | undefined>)[stamp];
    },
    after() {
      current = saved.pop();
    },
  });
  return {
    kind: "hooks",
    run(value, fn, arg) {
      const previous = current;
      current = value;
      try {
        fn(arg);
      } finally {
        current = previous;
      }
    },
    get: () => current,
  };
}

/** @internal Picks the carrier for this process. */
export function createThreadContext<T extends object>(): ThreadContext<T> {
  const forced = process.env.TENDRIL_CONTEXT;
  if (forced === "als") return alsContext<T>();
  if (forced === "hooks") return hookContext<T>();
  const major = Number(process.versions.node.split(".")[0]);
  return major >= 24 ? alsContext<T>() : hookContext<T>();
}
