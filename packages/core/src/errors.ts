/**
 * Tendril's error vocabulary: one base class, a stable `code` per subclass, and messages that
 * say what went wrong, why, and what was received (undici's and Deno std's habit).
 *
 * @module
 */

/**
 * The registry of every `code` a `TendrilError` can carry: one key per code. Each package
 * adds its own codes to it (TypeScript declaration merging), so `TendrilErrorCode` is the
 * union of the codes of the packages a program imports, and a misspelt code in
 * `error.code === "…"` is a type error. Every code is explained on the docs' Errors page.
 *
 * @example
 * ```ts
 * // In a package built on Tendril that throws its own TendrilError:
 * declare module "@tendril/core" {
 *   interface TendrilErrorCodes { ERR_MYLIB_BROKEN: true }
 * }
 * ```
 */
export interface TendrilErrorCodes {
  /** `detectBlocking`'s report: one turn of the loop ran longer than `thresholdMs`. */
  ERR_TENDRIL_BLOCKING: true;
  /** `Event.send`/`sendException` on an event that already has a result. */
  ERR_TENDRIL_EVENT_ALREADY_SENT: true;
  /** `Event.reset` on an event that has no result yet. */
  ERR_TENDRIL_EVENT_NOT_SENT: true;
  /** `kill()` of the main thread. */
  ERR_TENDRIL_KILL_MAIN: true;
  /** `withVirtualHub`: the test body left threads or timers behind. */
  ERR_TENDRIL_LEAK: true;
  /** A Tendril package imported on a Node.js older than it supports. */
  ERR_TENDRIL_NODE_VERSION: true;
  /** `ResourcePool.acquire` on a closed pool. */
  ERR_TENDRIL_POOL_CLOSED: true;
  /** `ResourcePool.release`/`discard` of a resource the pool did not hand out. */
  ERR_TENDRIL_POOL_NOT_CHECKED_OUT: true;
  /** `getNowait`, or `get({ block: false })` / `get({ timeout })` with nothing to take (`QueueEmpty`). */
  ERR_TENDRIL_QUEUE_EMPTY: true;
  /** `putNowait`, or `put({ block: false })` / `put({ timeout })` with no room (`QueueFull`). */
  ERR_TENDRIL_QUEUE_FULL: true;
  /** `BoundedSemaphore.release` past the initial value. */
  ERR_TENDRIL_SEMAPHORE_OVER_RELEASED: true;
  /** `Queue.taskDone` called more times than items were put. */
  ERR_TENDRIL_TASK_DONE_TOO_OFTEN: true;
  /** A thread ended by `kill()` (`GreenThreadExit`): a normal exit. */
  ERR_TENDRIL_THREAD_EXIT: true;
  /** A `Timeout` (yours: `new Timeout`, `withTimeout`) fired. */
  ERR_TENDRIL_TIMEOUT: true;
  /** `GreenPool.waitall` from one of the pool's own threads (it would wait for itself). */
  ERR_TENDRIL_WAITALL_INSIDE_POOL: true;
  /** `GreenThread.wait` from the thread itself. */
  ERR_TENDRIL_WAIT_SELF: true;
}

/**
 * A stable error code: the union of the keys of `TendrilErrorCodes`, which each imported
 * Tendril package extends with its own.
 *
 * @example
 * ```ts
 * const code: TendrilErrorCode = "ERR_TENDRIL_QUEUE_EMPTY";
 * ```
 */
export type TendrilErrorCode = keyof TendrilErrorCodes;

/**
 * The base class of every error Tendril throws on purpose. `code` is stable across releases
 * and is what programs should match on; the message is for people.
 *
 * @example
 * ```ts
 * try { await queue.get({ block: false }); }
 * catch (error) { if (error instanceof TendrilError && error.code === "ERR_TENDRIL_QUEUE_EMPTY") console.log("empty"); }
 * ```
 */
export class TendrilError extends Error {
  /** A stable machine-readable identifier, such as `ERR_TENDRIL_TIMEOUT`; see `TendrilErrorCodes`. */
  readonly code: TendrilErrorCode;

  constructor(code: TendrilErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The error a killed green thread unwinds with. Ending by `GreenThreadExit` is a normal exit:
 * it is never reported. Kill is one-shot, so a thread that catches it may carry on.
 *
 * @example
 * ```ts
 * const t = spawn(() => sleep(1000));
 * await t.kill();
 * await t.wait().catch((e) => e instanceof GreenThreadExit); // true
 * ```
 */
export class GreenThreadExit extends TendrilError {
  constructor(message = "green thread was killed") {
    super("ERR_TENDRIL_THREAD_EXIT", message);
  }
}

// The argument checks live in `validate.ts` (the `@tendril/core/validate` entry), shared by
// every package; core's modules keep importing them from here.
export { checkFunction, checkInteger, checkMs, describeValue } from "./validate.js";
