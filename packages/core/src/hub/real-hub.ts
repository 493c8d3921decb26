/**
 * The hub on Node's own loop. One `setImmediate` drains every task queued since the last pass,
 * so spawning 100,000 threads costs one Immediate, not 100,000 (the trade-off: a pass is not
 * interleaved with I/O, but each pass only runs what was queued before it began).
 *
 * @module
 */

import { performance } from "node:perf_hooks";
import { deliverReport, report } from "./report.js";
import type { Hub, Runnable, TimerHandle } from "./types.js";

class NodeTimer implements TimerHandle {
  readonly #timer: NodeJS.Timeout;
  constructor(timer: NodeJS.Timeout) {
    this.#timer = timer;
  }
  cancel(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * The default hub: Node's event loop, `performance.now()` for time.
 *
 * @example
 * ```ts
 * const previous = setHub(new RealHub()); // Node's loop and clock, as at startup
 * // … later, put back whatever was installed before
 * setHub(previous);
 * ```
 */
export class RealHub implements Hub {
  #queue: Runnable[] = [];
  #scheduled = false;
  readonly #drain = (): void => {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    // Invariant: tasks queued while this loop runs land in the new array, so they wait for
    // the next pass (two threads that sleep(0) alternate instead of starving each other).
    for (let i = 0; i < batch.length; i++) runTask(batch[i] as Runnable);
  };

  now(): number {
    return performance.now();
  }

  callSoon(task: Runnable): void {
    this.#queue.push(task);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#drain);
    }
  }

  schedule(ms: number, fn: () => void, options?: { unref?: boolean }): TimerHandle {
    const timer = setTimeout(fn, ms);
    if (options?.unref) timer.unref();
    return new NodeTimer(timer);
  }

  reportError(error: unknown, source?: string): void {
    deliverReport(error, source);
  }
}

/** Runs one queued task; a task that throws is reported and the pass goes on. @internal */
export function runTask(task: Runnable): void {
  try {
    if (typeof task === "function") task();
    else task.run();
  } catch (error) {
    report(error, "a hub callback");
  }
}
