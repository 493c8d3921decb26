/**
 * Timeouts as Eventlet has them: a deadline armed on the current thread at construction. When
 * it fires, the thread's pending green operation rejects with the `Timeout` itself (or with
 * the error it was given). A Timeout only claims its own firing, so an outer one passes
 * straight through an inner `withTimeout`.
 *
 * @module
 */

import { checkFunction, describeValue, TendrilError } from "../errors.js";
import { getHub, type TimerHandle } from "../hub/hub.js";
import { currentThread, type GreenThread, greenAt } from "../thread/green-thread.js";

/**
 * A deadline on the current green thread, armed when constructed (unless `ms` is `null` or
 * `undefined`, which never fires). When it fires, the thread's pending green operation
 * rejects with this Timeout — or with `error`, if one was given (`false` means the Timeout
 * itself, for Eventlet parity; the silent form is `withTimeout({ ms, timeoutValue })`).
 * Always cancel it when the guarded work is done; `using` does it for you.
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
  readonly #thread: GreenThread<unknown>;
  readonly #error: unknown;
  // The innermost withTimeout scope this Timeout may interrupt: scopes that enclose it are
  // left alone, so an inner deadline never tears down an outer withTimeout.
  readonly #minDepth: number;
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
    this.#thread = currentThread();
    this.#minDepth = this.#thread._scopeDepth() + 1;
    this.#error = error === false || error === undefined ? this : error;
    this.start();
  }

  /** True while the timer is armed and has not fired. */
  get pending(): boolean {
    return this.#timer !== null;
  }

  /** Arms the timer (again). Does nothing for a Timeout with no `ms`, or one already armed. */
  start(): this {
    if (this.ms === null || this.#timer !== null) return this;
    const thread = this.#thread;
    if (thread.dead) return this;
    this.#timer = getHub().schedule(this.ms, this.#fire);
    thread._addTimeout(this);
    return this;
  }

  /** Disarms the timer, and withdraws the error if it fired and was not yet delivered. */
  cancel(): void {
    const timer = this.#timer;
    if (timer !== null) {
      this.#timer = null;
      timer.cancel();
      this.#thread._removeTimeout(this);
    }
    this.#thread._retract(this.#error);
  }

  [Symbol.dispose](): void {
    this.cancel();
  }

  readonly #fire = (): void => {
    this.#timer = null;
    this.#thread._removeTimeout(this);
    this.#thread._interrupt(this.#error, false, this.#minDepth);
  };
}

/**
 * True when `error` is a Tendril `Timeout`.
 *
 * @example
 * ```ts
 * try {
 *   await withTimeout(100, () => sleep(1000));
 * } catch (error) {
 *   if (isTimeout(error)) console.log("too slow");
 *   else throw error;
 * }
 * ```
 */
export function isTimeout(error: unknown): error is Timeout {
  return error instanceof Timeout;
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
  const timeout = new Timeout(ms);
  const thread = currentThread();
  const depth = thread._moveScope(1);
  try {
    const result = fn(...args);
    if (result !== null && typeof (result as PromiseLike<R>)?.then === "function") {
      // Wait as a scope operation: interrupted by our own Timeout (or an outer one, or a
      // kill) even when fn waits on something that is not green, but not by fn's inner ones.
      return await greenAt(depth, result as PromiseLike<R>);
    }
    return result as R;
  } catch (error) {
    if (silent && error === timeout) return (msOrOptions as WithTimeoutOptions<V>).timeoutValue;
    throw error;
  } finally {
    thread._moveScope(-1);
    timeout.cancel();
  }
}
