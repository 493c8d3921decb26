/**
 * A hub whose clock moves only when told: `advance(ms)`, `runUntilIdle()`, or — with
 * `autojump` — on its own, straight to the next timer, as soon as every thread is waiting on
 * one. Tests of timeouts, pools and queues then run instantly and the same way every time
 * (trio's MockClock, tokio's `start_paused`, Effect's TestClock).
 *
 * Passes still run on Node's loop (one `setImmediate` each), so promise continuations and
 * loopback I/O interleave as they would for real; only time is virtual.
 *
 * @module
 */

import type { Hub, Runnable, TimerHandle } from "../hub/hub.js";
import { runTask } from "../hub/real-hub.js";
import { deliverReport } from "../hub/report.js";

interface VirtualTimer extends TimerHandle {
  at: number;
  seq: number;
  fn: (() => void) | null;
}

/** Options of a `VirtualHub`. */
export interface VirtualHubOptions {
  /** Jump to the next timer whenever nothing else is ready. Default `true`. */
  autojump?: boolean;
  /** The clock's starting reading. Default `0`. */
  start?: number;
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A deterministic hub for tests. Install it with `withVirtualHub` (or `setHub`).
 *
 * @example
 * ```ts
 * await withVirtualHub(async (hub) => {
 *   const t0 = hub.now();
 *   await sleep(60_000);              // returns at once: the clock jumps
 *   expect(hub.now() - t0).toBe(60_000);
 * });
 * ```
 */
export class VirtualHub implements Hub {
  #time: number;
  #seq = 0;
  #timers: VirtualTimer[] = [];
  #queue: Runnable[] = [];
  #scheduled = false;
  #idleCheck = false;
  #autojump: boolean;
  #errors: Array<{ error: unknown; source: string | undefined }> = [];

  constructor(options: VirtualHubOptions = {}) {
    this.#time = options.start ?? 0;
    this.#autojump = options.autojump ?? true;
  }

  now(): number {
    return this.#time;
  }

  /** Whether the clock jumps by itself when everything waits on a timer. */
  get autojump(): boolean {
    return this.#autojump;
  }
  set autojump(on: boolean) {
    this.#autojump = on;
    if (on) this.#wantIdleCheck();
  }

  /** Timers armed and not yet fired or cancelled. */
  pendingTimers(): number {
    return this.#timers.length;
  }

  /** Errors reported while this hub was installed (they also go to the error reporter). */
  get reportedErrors(): ReadonlyArray<{ error: unknown; source: string | undefined }> {
    return this.#errors;
  }

  callSoon(task: Runnable): void {
    this.#queue.push(task);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#drain);
    }
  }

  schedule(ms: number, fn: () => void): TimerHandle {
    const timer: VirtualTimer = {
      at: this.#time + Math.max(0, ms),
      seq: this.#seq++,
      fn,
      cancel: () => {
        if (timer.fn === null) return;
        timer.fn = null;
        const index = this.#timers.indexOf(timer);
        if (index >= 0) this.#timers.splice(index, 1);
      },
    };
    // Invariant: #timers stays sorted by (at, seq), so equal deadlines fire FIFO.
    let i = this.#timers.length;
    while (i > 0 && (this.#timers[i - 1] as VirtualTimer).at > timer.at) i--;
    this.#timers.splice(i, 0, timer);
    this.#wantIdleCheck();
    return timer;
  }

  reportError(error: unknown, source?: string): void {
    this.#errors.push({ error, source });
    deliverReport(error, source);
  }

  /**
   * Moves the clock forward by `ms`, firing every timer due on the way in order and letting
   * the threads they wake run before the next one fires.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#time + ms;
    await this.#settle();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#fireNext();
      await this.#settle();
    }
    this.#time = Math.max(this.#time, target);
    await this.#settle();
  }

  /**
   * Runs until nothing is ready and no timer is armed, jumping the clock from timer to timer.
   * Gives up after `maxSteps` timers, so a program with a periodic timer cannot hang a test.
   */
  async runUntilIdle(maxSteps = 100_000): Promise<void> {
    await this.#settle();
    for (let steps = 0; this.#timers.length > 0; steps++) {
      if (steps >= maxSteps) {
        throw new Error(`VirtualHub.runUntilIdle: still busy after ${maxSteps} timers`);
      }
      this.#fireNext();
      await this.#settle();
    }
  }

  readonly #drain = (): void => {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    for (let i = 0; i < batch.length; i++) runTask(batch[i] as Runnable);
    this.#wantIdleCheck();
  };

  #wantIdleCheck(): void {
    if (!this.#autojump || this.#idleCheck) return;
    this.#idleCheck = true;
    setImmediate(this.#onIdleCheck);
  }

  readonly #onIdleCheck = (): void => {
    this.#idleCheck = false;
    if (!this.#autojump) return;
    // Still something queued: its drain will ask again.
    if (this.#queue.length > 0 || this.#scheduled) return;
    if (this.#timers.length === 0) return;
    this.#fireNext();
    this.#wantIdleCheck();
  };

  #fireNext(): void {
    const timer = this.#timers.shift() as VirtualTimer;
    this.#time = Math.max(this.#time, timer.at);
    const fn = timer.fn;
    timer.fn = null;
    if (fn !== null) runTask(fn);
  }

  async #settle(): Promise<void> {
    // Two macrotasks: one for the continuations already queued, one for what they queue.
    do {
      await macrotask();
      await macrotask();
    } while (this.#queue.length > 0 || this.#scheduled);
  }
}
