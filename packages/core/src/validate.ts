/**
 * `@tendril/core/validate`: the argument checks every Tendril package makes, in one place, so
 * that a bad argument fails the same way wherever it is passed. The rule (API.md): a value of
 * the wrong kind is a `TypeError`, a value of the right kind out of range is a `RangeError`,
 * and the message names the argument and the value received (`describeValue`).
 *
 * A tiny module whose only import is the Node.js version gate every entry loads first.
 *
 * @module
 */

import "./node-version.js";

/**
 * Renders a received value for an error message: strings quoted (and cut at 60 characters),
 * numbers, booleans, `null` and `undefined` as written, functions by name, arrays by length,
 * other objects by their class.
 *
 * @example
 * ```ts
 * describeValue("abc");        // '"abc"'
 * describeValue(1.5);          // "1.5"
 * describeValue(new Map());    // "an instance of Map"
 * describeValue([1, 2]);       // "an array of length 2"
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "symbol") return value.toString();
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `an instance of ${name}` : "an object";
}

/**
 * Options of `checkInteger`.
 *
 * @example
 * ```ts
 * const options: CheckIntegerOptions = { allowInfinity: true };
 * checkInteger("size", Infinity, 0, options); // Infinity
 * ```
 */
export interface CheckIntegerOptions {
  /** Accept `Infinity` (for "no limit"). Default `false`. */
  allowInfinity?: boolean;
}

/**
 * Returns `value` if it is an integer >= `min` (or `Infinity` with `allowInfinity`).
 *
 * @throws {TypeError} when `value` is not a number (or is `NaN`), naming `what` and the value.
 * @throws {RangeError} when it is a number that is not such an integer.
 * @example
 * ```ts
 * const size = checkInteger("GreenPool: size", options.size, 0);
 * checkInteger("GreenPool: size", -1, 0); // RangeError: GreenPool: size must be an integer >= 0, received -1
 * ```
 */
export function checkInteger(
  what: string,
  value: unknown,
  min: number,
  options: CheckIntegerOptions = {},
): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${what} must be an integer >= ${min}, received ${describeValue(value)}`);
  }
  if (value === Number.POSITIVE_INFINITY && options.allowInfinity === true) return value;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer >= ${min}, received ${describeValue(value)}`);
  }
  return value;
}

/**
 * Returns `value` if it is a number of milliseconds >= 0 (`Infinity` is allowed: never).
 *
 * @throws {TypeError} when `value` is not a number (or is `NaN`), naming `what` and the value.
 * @throws {RangeError} when it is negative.
 * @example
 * ```ts
 * const timeout = checkMs("connect: timeout", options.timeout);
 * checkMs("connect: timeout", "5s"); // TypeError: connect: timeout must be a number of milliseconds >= 0, received "5s"
 * ```
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
 * Returns `value` if it is a number of bytes >= 0 (`Infinity` is allowed: no limit).
 *
 * @throws {TypeError} when `value` is not a number (or is `NaN`), naming `what` and the value.
 * @throws {RangeError} when it is negative or a fraction.
 * @example
 * ```ts
 * const limit = checkBytes("urlopen: maxResponseSize", init.maxResponseSize);
 * ```
 */
export function checkBytes(what: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${what} must be a number of bytes >= 0, received ${describeValue(value)}`);
  }
  if (value < 0 || (value !== Number.POSITIVE_INFINITY && !Number.isInteger(value))) {
    throw new RangeError(
      `${what} must be a number of bytes >= 0, received ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Checks that `value` is callable.
 *
 * @throws {TypeError} when it is not, naming `what` and the value.
 * @example
 * ```ts
 * checkFunction("spawn: fn", fn);
 * checkFunction("spawn: fn", 42); // TypeError: spawn: fn must be a function, received 42
 * ```
 */
// biome-ignore lint/complexity/noBannedTypes: any callable is what is being checked for.
export function checkFunction(what: string, value: unknown): asserts value is Function {
  if (typeof value !== "function") {
    throw new TypeError(`${what} must be a function, received ${describeValue(value)}`);
  }
}
