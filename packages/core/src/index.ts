/**
 * `@tendril/core`: Eventlet's concurrency model for Node.js — green threads, timeouts,
 * pools, piles, queues and synchronisation, on a swappable hub.
 *
 * @module
 */

/** Errors: one base class with a stable `code`, and the normal-exit error of killed threads. */
export { GreenThreadExit, TendrilError } from "./errors.js";

/** The hub: the one seam through which Tendril reaches the event loop and the clock. */
export { getHub, setHub, type Hub, type Runnable, type TimerHandle } from "./hub/hub.js";
export { RealHub } from "./hub/real-hub.js";
export { setErrorReporter, type ErrorReporter } from "./hub/report.js";

/** Green threads: spawn them, wait for them, kill them, and build green operations. */
export {
  countThreads,
  formatThreads,
  getCurrent,
  GreenThread,
  green,
  kill,
  listThreads,
  setSpawnTracing,
  sleep,
  spawn,
  spawnAfter,
  spawnN,
  suspend,
  Waiter,
  type Canceler,
  type LinkFunction,
  type ThreadInfo,
} from "./thread/green-thread.js";

/** Timeouts: deadlines on the current thread, and the scoped `withTimeout`. */
export { isTimeout, Timeout, withTimeout, type WithTimeoutOptions } from "./timeout/timeout.js";

/** Debugging: find threads that hog the loop. */
export {
  detectBlocking,
  type BlockingReport,
  type DetectBlockingOptions,
} from "./debug/detect-blocking.js";
