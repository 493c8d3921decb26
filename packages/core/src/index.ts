/**
 * `@tendril/core`: Eventlet's concurrency model for Node.js — green threads, timeouts,
 * pools, piles, queues and synchronisation, on a swappable hub.
 *
 * @module
 */

/// <reference path="./global-disposable.ts" preserve="true" />

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "./node-version.js";

/** Errors: one base class with a stable `code`, and the normal-exit error of killed threads. */
export {
  GreenThreadExit,
  TendrilError,
  type TendrilErrorCode,
  type TendrilErrorCodes,
} from "./errors.js";

/** The Node.js version gate that every Tendril package runs at import. */
export { checkNodeVersion, MINIMUM_NODE_VERSION } from "./node-version.js";

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

/** Pools: bounded concurrency — spawn on a pool, map over iterables, collect in a pile. */
export { GreenMap, type IterablesOf, type MapFn } from "./pool/green-map.js";
export { GreenPile } from "./pool/green-pile.js";
export { GreenPool } from "./pool/green-pool.js";
export {
  PooledResource,
  ResourcePool,
  type ResourcePoolOptions,
} from "./pool/resource-pool.js";

/** Queues: FIFO, LIFO and priority queues between green threads, bounded or rendezvous. */
export { QueueEmpty, QueueFull } from "./queue/errors.js";
export { LifoQueue } from "./queue/lifo-queue.js";
export { LightQueue, type QueueWaitOptions } from "./queue/light-queue.js";
export { type Comparator, PriorityQueue } from "./queue/priority-queue.js";
export { Queue } from "./queue/queue.js";

/** Synchronisation: one-shot events and FIFO semaphores. */
export { BoundedSemaphore } from "./sync/bounded-semaphore.js";
export { CappedSemaphore } from "./sync/capped-semaphore.js";
export { Event, type EventWaitOptions } from "./sync/event.js";
export { type AcquireOptions, Semaphore, SemaphoreHold } from "./sync/semaphore.js";

/** Thread-local state: a value per green thread (Eventlet's corolocal.local). */
export {
  ThreadLocal,
  type ThreadLocalOptions,
  type ThreadLocalOverride,
} from "./local/thread-local.js";
