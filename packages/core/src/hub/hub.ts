/**
 * The hub seam. Eventlet's hub is its event loop; ours is Node's, reached only through this
 * interface so that tests can swap in a `VirtualHub` whose clock moves only when told. Nothing
 * in Tendril calls `setTimeout`, `setImmediate` or `Date.now` directly (a lint rule enforces it).
 *
 * @module
 */

import { RealHub } from "./real-hub.js";
import { routeReportsTo } from "./report.js";

export { type ErrorReporter, report, setErrorReporter } from "./report.js";

/**
 * Something the hub can run on its next pass: a plain callback, or an object with `run()`.
 *
 * @example
 * ```ts
 * getHub().callSoon(() => console.log("runs on the hub's next pass"));
 * ```
 */
export type Runnable = (() => void) | { run(): void };

/**
 * A scheduled timer; `cancel()` is idempotent.
 *
 * @example
 * ```ts
 * const timer: TimerHandle = getHub().schedule(1000, () => console.log("tick"));
 * timer.cancel(); // it never fires
 * ```
 */
export interface TimerHandle {
  cancel(): void;
}

/**
 * What Tendril needs from an event loop. Implement it to run Tendril on another clock.
 *
 * @example
 * ```ts
 * const hub: Hub = getHub();
 * const timer = hub.schedule(100, () => console.log("100 ms later, on the hub's clock"));
 * hub.callSoon(() => console.log("on the next pass of the loop"));
 * timer.cancel();
 * ```
 */
export interface Hub {
  /** Monotonic time in milliseconds. Only differences between two readings mean anything. */
  now(): number;
  /**
   * Runs `task` on the hub's next pass, after every task already queued (FIFO). Tasks queued
   * while a pass runs wait for the following pass, so two threads that `sleep(0)` alternate.
   */
  callSoon(task: Runnable): void;
  /** Runs `fn` once, `ms` milliseconds from now. An unref'd timer does not keep the process alive. */
  schedule(ms: number, fn: () => void, options?: { unref?: boolean }): TimerHandle;
  /** Receives errors that nobody can wait for (`spawnN`, links, unobserved failures). */
  reportError(error: unknown, source?: string): void;
}

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
