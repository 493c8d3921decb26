/**
 * Counting semaphores, FIFO and exact under cancellation.
 *
 * A release hands its permit straight to the oldest waiter instead of bumping the counter and
 * letting the waiters race for it (Eventlet's way, which let non-blocking and timed acquires
 * barge past the queue). So while anyone waits the counter is 0 and *no* acquire — blocking,
 * timed or non-blocking — can overtake the queue: the decision is simpler to explain and
 * cannot starve a waiter. A waiter that is killed, or whose timeout or Timeout fires, leaves
 * the queue at once and never holds a permit.
 *
 * @module
 */

import { checkInteger, checkMs, describeValue } from "../errors.js";
import { getHub, type TimerHandle } from "../hub/hub.js";
import { suspend, type Waiter } from "../thread/green-thread.js";
import { type WaitEntry, WaitList } from "./wait-list.js";

/**
 * Options of `Semaphore.acquire`.
 *
 * @example
 * ```ts
 * const got = await sem.acquire({ timeout: 500 }); // false when no permit came within 500 ms
 * const now = await sem.acquire({ blocking: false }); // false at once when none is free
 * ```
 */
export interface AcquireOptions {
  /** Wait for a permit (default `true`); `false` returns `false` at once instead. */
  blocking?: boolean;
  /** Give up after this many ms and resolve `false`. `null`/`undefined`: wait forever. */
  timeout?: number | null;
}

interface Acquirer extends WaitEntry {
  waiter: Waiter<boolean>;
  timer: TimerHandle | null;
}

const TRUE = Promise.resolve(true);
const FALSE = Promise.resolve(false);

/** @internal Validates acquire options; returns the timeout (or `null`) and whether to block. */
export function readAcquireOptions(
  what: string,
  options: AcquireOptions | undefined,
): [boolean, number | null] {
  if (options === undefined) return [true, null];
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${what}: options must be an object, received ${describeValue(options)}`);
  }
  const blocking = options.blocking ?? true;
  const timeout = options.timeout ?? null;
  if (timeout !== null) {
    checkMs(`${what}: timeout`, timeout);
    if (!blocking) {
      throw new TypeError(
        `${what}: a timeout cannot be combined with blocking: false, received timeout ${timeout}`,
      );
    }
  }
  return [blocking !== false, timeout];
}

/**
 * A counting semaphore: `acquire()` takes a permit, waiting while there is none; `release()`
 * gives one back, to the oldest waiter first. Waiters are served FIFO and no acquire ever
 * overtakes them. `hold()` pairs the two for `using`.
 *
 * @throws {TypeError|RangeError} when `value` is not an integer >= 0.
 * @example
 * ```ts
 * const sem = new Semaphore(2);
 * async function job(n: number) {
 *   using _permit = await sem.hold();   // at most two jobs at once
 *   await sleep(100);
 * }
 * ```
 */
export class Semaphore {
  #counter: number;
  readonly #waiters = new WaitList<Acquirer>();

  constructor(value = 1) {
    this.#counter = checkInteger("Semaphore value", value, 0);
  }

  /** Permits available right now. */
  get counter(): number {
    return this.#counter;
  }

  /** `counter` minus the number of waiters: negative when acquirers are queued. */
  get balance(): number {
    return this.#counter - this.#waiters.size;
  }

  /** How many acquirers are waiting. */
  waiting(): number {
    return this.#waiters.size;
  }

  /** True when an acquire would have to wait. */
  locked(): boolean {
    return this.#counter <= 0;
  }

  /**
   * Takes a permit: resolves `true` at once when one is free (and nobody is queued), else
   * waits for one in FIFO order. `{ blocking: false }` resolves `false` instead of waiting;
   * `{ timeout }` resolves `false` once the time is up. A green operation: kill and Timeout
   * interrupt the wait, and the waiter leaves the queue without a permit.
   *
   * @throws {TypeError|RangeError} for a negative timeout, or a timeout with `blocking: false`.
   * @example
   * ```ts
   * if (await sem.acquire({ timeout: 500 })) {
   *   try { await work(); } finally { sem.release(); }
   * }
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    const [blocking, timeout] =
      options === undefined ? DEFAULT : readAcquireOptions("Semaphore.acquire", options);
    if (this.#counter > 0) {
      // Invariant: the counter is 0 while anyone waits (releases hand permits over), so a
      // free permit here overtakes nobody.
      this.#counter--;
      return TRUE;
    }
    if (!blocking) return FALSE;
    return suspend<boolean>((waiter) => {
      const entry: Acquirer = { dead: false, waiter, timer: null };
      this.#waiters.push(entry);
      if (timeout !== null) {
        entry.timer = getHub().schedule(timeout, () => {
          entry.timer = null;
          if (this.#waiters.remove(entry)) waiter.resolve(false);
        });
      }
      return () => {
        this.#waiters.remove(entry);
        entry.timer?.cancel();
      };
    });
  }

  /**
   * Takes a permit without waiting: returns `true` if one was free, `false` otherwise. The
   * synchronous twin of `acquire({ blocking: false })`.
   */
  tryAcquire(): boolean {
    if (this.#counter > 0) {
      this.#counter--;
      return true;
    }
    return false;
  }

  /**
   * Gives a permit back: to the oldest waiter if any (it resumes on a later turn), else to
   * the counter. Never waits.
   *
   * @example
   * ```ts
   * await sem.acquire();
   * try { await work(); } finally { sem.release(); }
   * ```
   */
  release(): void {
    for (;;) {
      const entry = this.#waiters.shift();
      if (entry === undefined) break;
      entry.timer?.cancel();
      if (entry.waiter.resolve(true)) return;
    }
    this.#counter++;
  }

  /**
   * Acquires a permit (waiting as `acquire()` does) and returns a handle that releases it
   * once, on `release()` or when disposed — made for `using`.
   *
   * @example
   * ```ts
   * {
   *   using _permit = await sem.hold();
   *   await work();
   * } // released here, even on error
   * ```
   */
  async hold(): Promise<SemaphoreHold> {
    await this.acquire();
    return new SemaphoreHold(this);
  }
}

const DEFAULT: [boolean, number | null] = [true, null];

/**
 * A permit taken by `Semaphore.hold()`: releases it once, on `release()` or disposal.
 *
 * @example
 * ```ts
 * using _permit = await sem.hold();
 * ```
 */
export class SemaphoreHold {
  #semaphore: Semaphore | null;

  /** @internal Use `Semaphore.hold()`. */
  constructor(semaphore: Semaphore) {
    this.#semaphore = semaphore;
  }

  /** True until the permit was given back. */
  get held(): boolean {
    return this.#semaphore !== null;
  }

  /** Gives the permit back; later calls do nothing. */
  release(): void {
    const semaphore = this.#semaphore;
    if (semaphore === null) return;
    this.#semaphore = null;
    semaphore.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}
