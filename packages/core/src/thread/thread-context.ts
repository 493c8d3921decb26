/**
 * How a green thread's identity travels with its async continuations. Two carriers, one
 * contract (`run` a function as a thread, `get` the thread running now):
 *
 * - V8's promise hooks (`v8.promiseHooks`), the default. Tendril's threads only ever resume
 *   through promises (every green operation is one), so three small hooks — stamp each new
 *   promise with the thread that created it, restore that thread around each reaction — carry
 *   the identity. Measured against `AsyncLocalStorage` (`pnpm bench`): on Node 20, where
 *   `AsyncLocalStorage` turns on Node's async_hooks machinery (an async id and a copied store
 *   on every promise), pools ran 2–2.5x and `imap` 1.4x faster; on Node 24, where it is built
 *   on AsyncContextFrame, pools still ran 1.4x and `imap` 1.45x faster with 20% less memory.
 *   The trade-off: a raw `setTimeout` or event-emitter callback registered inside a thread
 *   runs as the main thread — the same on every Node version.
 * - `AsyncLocalStorage` (`TENDRIL_CONTEXT=als`), which also follows timers and emitters.
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
  return process.env.TENDRIL_CONTEXT === "als" ? alsContext<T>() : hookContext<T>();
}
