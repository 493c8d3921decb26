/**
 * The hub's contract, apart from the hub itself, so that the arrows run one way: `hub.ts`
 * (which installs the default hub) and every hub implementation (`real-hub.ts`, the testing
 * `VirtualHub`) import this module, and it imports nothing.
 *
 * @module
 */

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
