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

/** Renders a received value for an error message: strings quoted, objects by their kind. */
export function describeValue(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `an instance of ${name}` : "an object";
}

/**
 * Checks that `value` is an integer >= `min` (optionally allowing `Infinity`) and throws a
 * `TypeError` for a non-number or a `RangeError` otherwise, naming `what` and the value.
 * @internal
 */
export function checkInteger(
  what: string,
  value: unknown,
  min: number,
  options: { allowInfinity?: boolean } = {},
): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${what} must be an integer >= ${min}, received ${describeValue(value)}`);
  }
  if (value === Number.POSITIVE_INFINITY && options.allowInfinity) return value;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer >= ${min}, received ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks that `value` is a finite number of milliseconds >= 0 (or null/undefined when
 * `optional`). Throws a `TypeError`/`RangeError` naming `what` and the received value.
 * @internal
 */
export function checkMs(what: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `${what} must be a number of milliseconds >= 0, received ${describeValue(value)}`,
    );
  }
  if (value < 0) {
    throw new RangeError(
      `${what} must be a number of milliseconds >= 0, received ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Checks that `fn` is callable; throws a `TypeError` naming `what` and the received value.
 * @internal
 */
export function checkFunction(what: string, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(`${what} must be a function, received ${describeValue(fn)}`);
  }
}
