/**
 * The hub seam. Eventlet's hub is its event loop; ours is Node's, reached only through this
 * interface so that tests can swap in a `VirtualHub` whose clock moves only when told. Nothing
 * in Tendril calls `setTimeout`, `setImmediate` or `Date.now` directly (a lint rule enforces it).
 *
 * @module
 */

import { RealHub } from "./real-hub.js";
import { routeReportsTo } from "./report.js";
import type { Hub } from "./types.js";

export { type ErrorReporter, setErrorReporter } from "./report.js";
export type { Hub, Runnable, TimerHandle } from "./types.js";

let current: Hub = new RealHub();

/**
 * The hub that Tendril schedules on now.
 *
 * @example
 * ```ts
 * const started = getHub().now();
 * await sleep(10);
 * console.log(getHub().now() - started >= 10);
 * ```
 */
export function getHub(): Hub {
  return current;
}

/**
 * Installs `hub` as the hub Tendril schedules on and returns the previous one. Tests use
 * `withVirtualHub` from `@tendril/core/testing`, which calls this for them.
 *
 * @example
 * ```ts
 * const previous = setHub(new VirtualHub()); // from @tendril/core/testing
 * try {
 *   await sleep(60_000); // returns at once: virtual time jumps
 * } finally {
 *   setHub(previous);
 * }
 * ```
 */
export function setHub(hub: Hub): Hub {
  const previous = current;
  current = hub;
  routeReportsTo(hub);
  return previous;
}
