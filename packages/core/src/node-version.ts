/**
 * The Node.js version gate. Every Tendril package's entry imports this module first, so an old
 * Node.js fails at start with one clear sentence instead of deep inside a dependency (undici
 * crashes on Node 18 with "File is not defined").
 *
 * Trade-off: the check is a parse of `process.versions.node` and two integer comparisons, run
 * once at import; it compares numbers, not strings ("20.9" sorts after "20.12" as text).
 *
 * @module
 */

import { describeValue, TendrilError } from "./errors.js";

/** The oldest Node.js release Tendril supports, as `major.minor`. */
export const MINIMUM_NODE_VERSION = "20.12";

const [MIN_MAJOR, MIN_MINOR] = MINIMUM_NODE_VERSION.split(".").map(Number) as [number, number];

/**
 * Throws unless `version` is Node.js {@link MINIMUM_NODE_VERSION} or later. Tendril's entry points
 * call it at import with the running Node's version; call it yourself to check another version
 * string, or at the top of a program that should refuse old runtimes with Tendril's message.
 *
 * Outside Node.js (no `process.versions.node`) and with no argument, there is nothing to check.
 *
 * @param version A Node.js version such as `"20.12.0"` or `"v22.1.0"`; defaults to the running one.
 * @throws {TendrilError} `ERR_TENDRIL_NODE_VERSION` when the version is older than 20.12:
 * "Tendril needs Node >= 20.12, you have 18.20.8".
 * @throws {TypeError} when `version` is given but is not a version string.
 *
 * @example
 * ```ts
 * import { checkNodeVersion } from "@tendril/core";
 *
 * checkNodeVersion("22.3.0"); // fine
 * checkNodeVersion("18.20.8"); // throws: Tendril needs Node >= 20.12, you have 18.20.8
 * ```
 */
export function checkNodeVersion(version?: string): void {
  const given =
    version ??
    (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node;
  if (given === undefined && version === undefined) return;
  const match =
    typeof given === "string" ? /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(given) : null;
  if (match === null) {
    throw new TypeError(
      `checkNodeVersion: expected a Node.js version such as "20.12.0", received ${describeValue(given)}`,
    );
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major < MIN_MAJOR || (major === MIN_MAJOR && minor < MIN_MINOR)) {
    throw new TendrilError(
      "ERR_TENDRIL_NODE_VERSION",
      `Tendril needs Node >= ${MINIMUM_NODE_VERSION}, you have ${String(given).replace(/^v/, "")}`,
    );
  }
}

// Invariant: this runs before any other module of the package is evaluated (each entry imports
// this file first), so nothing that needs a newer Node.js has loaded yet.
checkNodeVersion();
