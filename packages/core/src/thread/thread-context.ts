/**
 * How the innermost cancel scope (and through it the green thread) travels with async
 * continuations. Two carriers, one contract: `run` a function under a value, `enter` a value
 * for the rest of the current job, `get` the value now.
 *
 * - `AsyncLocalStorage`, the default where Node builds it on AsyncContextFrame (Node 24 and
 *   later, or Node 22 with `--experimental-async-context-frame`). There it costs code that
 *   does not use it nothing: the frame is one pointer V8 already carries along every promise.
 *   Detected by feature, not by version: the older, async_hooks-based store has a
 *   `_propagate` method on its prototype (that is how `--no-async-context-frame` on Node 24 is
 *   recognised too).
 * - V8's promise hooks (`v8.promiseHooks`) elsewhere (Node 20, 22): stamp each new promise with
 *   the value current when it was created, restore it around each reaction. Hooks tax every
 *   promise in the process, so they are installed lazily — on the first `run` or `enter`, that
 *   is when the first green thread starts or the first Timeout or scope is created. A process
 *   that imports Tendril and never uses it pays nothing. The trade-off: a raw `setTimeout` or
 *   event-emitter callback registered inside a thread runs outside it.
 *
 * `TENDRIL_CONTEXT=als` or `TENDRIL_CONTEXT=hooks` forces either carrier.
 *
 * @module
 */

import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import { promiseHooks } from "node:v8";

/** @internal */
export interface ThreadContext<T extends object> {
  /** The carrier's name, for benchmarks and bug reports. */
  readonly kind: "als" | "hooks";
  /** Runs `fn(arg)` with `value` as the current context, synchronously, and returns its result. */
  run<A, R>(value: T, fn: (arg: A) => R, arg: A): R;
  /**
   * `run` for the start of a green thread: `fn(arg)` runs with `value` current in the root
   * async context (the one current when this carrier was created, normally empty), not in
   * whatever context the hub's pass happened to run in.
   */
  start<A, R>(value: T, fn: (arg: A) => R, arg: A): R;
  /**
   * Makes `value` current for the rest of the current synchronous job and the continuations
   * created in it (AsyncLocalStorage's `enterWith`).
   */
  enter(value: T | undefined): void;
  /** The current context, or `undefined` outside any `run`. */
  get(): T | undefined;
}

function alsContext<T extends object>(): ThreadContext<T> {
  const storage = new AsyncLocalStorage<T>();
  const run = <A, R>(value: T, fn: (arg: A) => R, arg: A): R => storage.run(value, fn, arg);
  if (!alsIsFrameBased()) {
    return {
      kind: "als",
      run,
      start: run,
      enter: (value) => storage.enterWith(value as T),
      get: () => storage.getStore(),
    };
  }
  // On AsyncContextFrame, `storage.run` builds two frames (Maps copied from the current one):
  // the thread's, and one more to put the caller's value back. A thread start needs only the
  // first: `root` switches to the root frame and back by swapping a pointer, and inside it
  // `enterWith` builds the thread's frame from the root's, which is empty in the common case.
  // The root resource is made here, at import, so that the root is not some thread's frame.
  const root = new AsyncResource("tendril.thread");
  const enterAndCall = <A, R>(value: T, fn: (arg: A) => R, arg: A): R => {
    storage.enterWith(value);
    return fn(arg);
  };
  return {
    kind: "als",
    run,
    start: <A, R>(value: T, fn: (arg: A) => R, arg: A): R =>
      root.runInAsyncScope(enterAndCall<A, R>, null, value, fn, arg),
    enter: (value) => storage.enterWith(value as T),
    get: () => storage.getStore(),
  };
}

function hookContext<T extends object>(): ThreadContext<T> {
  const stamp = Symbol("tendril.scope");
  let current: T | undefined;
  let installed = false;
  // How many `run` calls and reaction jobs enclose the code running now: 0 means the top of a
  // macrotask (or module code), where nothing would restore a value that `enter` set.
  let depth = 0;
  let resetQueued = false;
  // Invariant: before/after come in matched pairs around every reaction job, so the stack
  // unwinds to `undefined` between macrotasks and no identity leaks into I/O callbacks.
  const saved: Array<T | undefined> = [];
  const install = (): void => {
    installed = true;
    promiseHooks.createHook({
      init(promise) {
        if (current !== undefined) (promise as unknown as Record<symbol, T>)[stamp] = current;
      },
      before(promise) {
        saved.push(current);
        depth++;
        current = (promise as unknown as Record<symbol, T | undefined>)[stamp];
      },
      after() {
        depth--;
        current = saved.pop();
      },
    });
  };
  const reset = (): void => {
    resetQueued = false;
    if (depth === 0) current = undefined;
  };
  function run<A, R>(value: T, fn: (arg: A) => R, arg: A): R {
    if (!installed) install();
    const previous = current;
    current = value;
    depth++;
    try {
      return fn(arg);
    } finally {
      depth--;
      current = previous;
    }
  }
  return {
    kind: "hooks",
    run,
    start: run,
    enter(value) {
      if (!installed) install();
      current = value;
      // Entered at the top of a macrotask: undo it once the job's synchronous part is over.
      if (depth === 0 && !resetQueued) {
        resetQueued = true;
        queueMicrotask(reset);
      }
    },
    get: () => current,
  };
}

/**
 * True when this Node's `AsyncLocalStorage` rides on AsyncContextFrame (no async_hooks).
 * @internal
 */
export function alsIsFrameBased(): boolean {
  return !("_propagate" in AsyncLocalStorage.prototype);
}

/** @internal Picks the carrier for this process. */
export function createThreadContext<T extends object>(): ThreadContext<T> {
  const forced = process.env.TENDRIL_CONTEXT;
  if (forced === "als") return alsContext<T>();
  if (forced === "hooks") return hookContext<T>();
  return alsIsFrameBased() ? alsContext<T>() : hookContext<T>();
}
