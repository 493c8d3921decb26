/**
 * Timeouts as Eventlet has them, scoped as trio's cancel scopes are. A Timeout opens a cancel
 * scope nested in the current one: a `withTimeout` call's function and what it calls, or —
 * for `new Timeout` — the rest of the async function that created it and what that calls,
 * until `cancel()`/dispose. When the deadline fires, the green operations started in that
 * scope or in scopes nested in it reject with the `Timeout` itself (or with the error it was
 * given); sibling branches of a `Promise.all` and operations started before are untouched. A
 * Timeout only claims its own firing, so an outer one passes straight through an inner
 * `withTimeout`.
 *
 * @module
 */

import { checkFunction, describeValue, TendrilError } from "../errors.js";
import { getHub, type TimerHandle } from "../hub/hub.js";
import { enterScope, greenAt, leaveScope, openScope, runInScope } from "../thread/operation.js";
import type { Scope } from "../thread/scope.js";

// Set by `withTimeout` for the Timeout it constructs: the scope it has opened for its function,
// which the Timeout guards without entering it.
let scopeForNext: Scope | null = null;

/**
 * A deadline, armed when constructed (unless `ms` is `null` or `undefined`, which never
 * fires), over a new cancel scope: the rest of the async function that created it, and what
 * that function calls, until `cancel()` or dispose. When it fires, the green operations
 * pending in that scope (and scopes nested in it) reject with this Timeout — or with `error`,
 * if one was given (`false` means the Timeout itself, for Eventlet parity; the silent form is
 * `withTimeout({ ms, timeoutValue })`). If none is pending, the next one started there
 * rejects. Other branches of the same thread, and operations started before the Timeout,
 * are not touched. Always cancel it when the guarded work is done; `using` does it for you.
 *
 * Create it after the function's first `await`, or use `withTimeout`, when the function runs
 * as one branch of a `Promise.all`: before its first `await` a function still runs inside
 * its caller's synchronous job, and a scope entered there also covers what the caller starts
 * in that job (JavaScript has no hook for "the function returned").
 *
 * @throws {TypeError|RangeError} when `ms` is not a number >= 0, null or undefined.
 * @example
 * ```ts
 * using _deadline = new Timeout(500);
 * const line = await socket.readLine(); // rejects with the Timeout after 500 ms
 * ```
 */
export class Timeout extends TendrilError {
  /** The delay it was armed with, or `null` for a Timeout that never fires. */
  readonly ms: number | null;
  readonly #scope: Scope;
  // Whether the Timeout entered its scope itself (`new Timeout`) or guards a withTimeout's.
  readonly #enters: boolean;
  readonly #error: unknown;
  #timer: TimerHandle | null = null;

  constructor(ms?: number | null, error?: Error | false) {
    if (ms !== null && ms !== undefined) {
      if (typeof ms !== "number" || Number.isNaN(ms)) {
        throw new TypeError(
          `Timeout ms must be a number >= 0, null or undefined, received ${describeValue(ms)}`,
        );
      }
      if (ms < 0) {
        throw new RangeError(
          `Timeout ms must be a number >= 0, null or undefined, received ${describeValue(ms)}`,
        );
      }
    }
    super(
      "ERR_TENDRIL_TIMEOUT",
      ms === null || ms === undefined ? "timed out" : `timed out after ${ms} ms`,
    );
    this.ms = ms ?? null;
    const bound = scopeForNext;
    scopeForNext = null;
    this.#scope = bound ?? openScope();
    this.#enters = bound === null;
    this.#error = error === false || error === undefined ? this : error;
    this.start();
  }

  /** True while the timer is armed and has not fired. */
  get pending(): boolean {
    return this.#timer !== null;
  }

  /**
   * Arms the timer (again), and enters its scope again for the code that follows. Does
   * nothing for a Timeout with no `ms`, or one already armed.
   */
  start(): this {
    if (this.ms === null || this.#timer !== null) return this;
    const scope = this.#scope;
    const thread = scope.thread;
    if (thread.dead) return this;
    scope.closed = false;
    if (this.#enters) enterScope(scope);
    this.#timer = getHub().schedule(this.ms, this.#fire);
    thread._addTimeout(this);
    return this;
  }

  /**
   * Disarms the timer, withdraws the error if it fired and was not yet delivered, and leaves
   * the Timeout's scope (code that follows belongs to the enclosing one again).
   */
  cancel(): void {
    const scope = this.#scope;
    const timer = this.#timer;
    if (timer !== null) {
      this.#timer = null;
      timer.cancel();
      scope.thread._removeTimeout(this);
    }
    if (scope.pending === this.#error) {
      scope.pending = undefined;
      scope.hasPending = false;
    }
    scope.thread._retract(this.#error);
    if (this.#enters) {
      scope.closed = true;
      leaveScope(scope);
    }
  }

  [Symbol.dispose](): void {
    this.cancel();
  }

  readonly #fire = (): void => {
    this.#timer = null;
    const scope = this.#scope;
    scope.thread._removeTimeout(this);
    scope.thread._interruptScope(scope, this.#error);
  };
}

/**
 * True when `error` says a time limit passed: a `Timeout`, or any `TendrilError` whose `code`
 * ends in `_TIMEOUT` (`SocketTimeout`, `HttpTimeout`, the recipes' `CallTimeout` and
 * `DeadlineExceeded`) — or carries one as its `cause` (looked up a few levels deep), as
 * `fetch` wraps the reason of an aborted request. Not a type guard: the timeouts are several
 * classes; test `instanceof` to reach one's fields.
 *
 * @example
 * ```ts
 * try { await withTimeout(100, () => sleep(1000)); }
 * catch (error) { if (isTimeout(error)) console.log("too slow"); }
 * ```
 */
export function isTimeout(error: unknown): boolean {
  let e = error;
  for (let i = 0; i < 8 && e !== null && typeof e === "object"; i++) {
    if (e instanceof Timeout) return true;
    // Invariant: every timeout's code ends in _TIMEOUT (CONTRIBUTING.md's grid), and nothing else's does.
    if (e instanceof TendrilError && e.code.endsWith("_TIMEOUT")) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The options form of `withTimeout`: resolve `timeoutValue` instead of rejecting.
 *
 * @example
 * ```ts
 * const options: WithTimeoutOptions<null> = { ms: 2000, timeoutValue: null };
 * const body = await withTimeout(options, fetchBody, url); // null when 2 s passed first
 * ```
 */
export interface WithTimeoutOptions<V> {
  ms: number | null | undefined;
  timeoutValue: V;
}

type Fn<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;
type Call = { fn: (...args: unknown[]) => unknown; args: unknown[] };
const callWith = (call: Call): unknown => call.fn(...call.args);
const waitGreen = (promise: PromiseLike<unknown>): Promise<unknown> => greenAt(0, promise);

/**
 * Runs `fn(...args)` in the current thread under a `Timeout` of `ms`. Rejects with that
 * Timeout when it fires first (the green operation `fn` was waiting in is interrupted too);
 * in the options form, resolves `timeoutValue` instead. Only its *own* timeout is claimed: a
 * foreign one, such as an outer deadline, passes through.
 *
 * If `fn` is waiting on a promise that is not a green operation when the time comes,
 * `withTimeout` still returns on time, and that promise runs on detached.
 *
 * @throws {Timeout} when the time runs out (plain form).
 * @example
 * ```ts
 * const body = await withTimeout({ ms: 2000, timeoutValue: null }, fetchBody, url);
 * if (body === null) console.log("too slow");
 * ```
 */
export function withTimeout<A extends unknown[], R>(
  ms: number | null | undefined,
  fn: Fn<A, R>,
  ...args: A
): Promise<R>;
export function withTimeout<A extends unknown[], R, V>(
  options: WithTimeoutOptions<V>,
  fn: Fn<A, R>,
  ...args: A
): Promise<R | V>;
export async function withTimeout<A extends unknown[], R, V>(
  msOrOptions: number | null | undefined | WithTimeoutOptions<V>,
  fn: Fn<A, R>,
  ...args: A
): Promise<R | V> {
  checkFunction("withTimeout: fn", fn);
  const silent = typeof msOrOptions === "object" && msOrOptions !== null;
  const ms = silent
    ? (msOrOptions as WithTimeoutOptions<V>).ms
    : (msOrOptions as number | null | undefined);
  const scope = openScope();
  scopeForNext = scope;
  let timeout: Timeout;
  try {
    timeout = new Timeout(ms);
  } finally {
    scopeForNext = null;
  }
  try {
    const result = runInScope(scope, callWith, { fn, args } as unknown as Call);
    if (result !== null && typeof (result as PromiseLike<R>)?.then === "function") {
      // Wait as an operation of the new scope: interrupted by our own Timeout (or an outer
      // one, or a kill) even when fn waits on something that is not green, but not by the
      // deadlines of scopes fn opens inside.
      return (await runInScope(scope, waitGreen, result as PromiseLike<unknown>)) as R;
    }
    return result as R;
  } catch (error) {
    if (silent && error === timeout) return (msOrOptions as WithTimeoutOptions<V>).timeoutValue;
    throw error;
  } finally {
    scope.closed = true;
    timeout.cancel();
  }
}
