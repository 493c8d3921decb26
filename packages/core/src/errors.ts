/**
 * Tendril's error vocabulary: one base class, a stable `code` per subclass, and messages that
 * say what went wrong, why, and what was received (undici's and Deno std's habit).
 *
 * @module
 */

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
  /** A stable machine-readable identifier, such as `ERR_TENDRIL_TIMEOUT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
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
