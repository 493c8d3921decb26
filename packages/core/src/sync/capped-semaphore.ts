/**
 * `CappedSemaphore`: a counter kept between 0 and a limit — acquire waits at 0, release waits
 * at the limit. Eventlet builds it from two semaphores where each side *first* gives the other
 * side a permit and then waits on its own, so a waiting acquirer makes room for a release and
 * a waiting releaser has a value ready for an acquire: `CappedSemaphore(0, 0)` is a rendezvous,
 * never a deadlock. This file keeps those semantics in one state machine with two FIFO lines,
 * so every hand-over happens in one synchronous step and a waiter that is killed or times out
 * leaves its line without having moved the counter.
 *
 * @module
 */

import { checkInteger, describeValue } from "../errors.js";
import { getHub, type TimerHandle } from "../hub/hub.js";
import { suspend, type Waiter } from "../thread/green-thread.js";
import { type AcquireOptions, readAcquireOptions } from "./semaphore.js";
import { type WaitEntry, WaitList } from "./wait-list.js";

interface Party extends WaitEntry {
  waiter: Waiter<boolean>;
  timer: TimerHandle | null;
}

const TRUE = Promise.resolve(true);
const FALSE = Promise.resolve(false);

/**
 * A semaphore whose counter never exceeds `limit`: `release()` is a green operation that
 * waits while the counter is at the limit, until someone acquires. Useful as a bounded
 * token bucket between producers (`release`) and consumers (`acquire`). A release meets a
 * waiting acquirer directly (and an acquire a waiting releaser), so with `limit` 0 every
 * release is a hand-over to an acquirer, as on a `Queue(0)`.
 *
 * @throws {TypeError|RangeError} when `count` or `limit` is not an integer >= 0, or `count > limit`.
 * @example
 * ```ts
 * const slots = new CappedSemaphore(0, 2);
 * await slots.release();            // counter 1
 * await slots.release();            // counter 2
 * const p = slots.release();        // waits: at the limit
 * await slots.acquire();            // counter 1, and p resolves (counter 2 again)
 * ```
 */
export class CappedSemaphore {
  /** The highest value the counter may reach. */
  readonly limit: number;
  #counter: number;
  // Invariant: acquirers wait only while the counter is 0 and no releaser waits; releasers
  // wait only while the counter is at the limit and no acquirer waits. So at most one of the
  // two lines is non-empty.
  readonly #acquirers = new WaitList<Party>();
  readonly #releasers = new WaitList<Party>();

  constructor(count: number, limit: number) {
    checkInteger("CappedSemaphore limit", limit, 0);
    checkInteger("CappedSemaphore count", count, 0);
    if (count > limit) {
      throw new RangeError(
        `CappedSemaphore count must be <= limit (${limit}), received ${describeValue(count)}`,
      );
    }
    this.limit = limit;
    this.#counter = count;
  }

  /** The current value, between 0 and `limit`. */
  get counter(): number {
    return this.#counter;
  }

  /**
   * Eventlet's `balance`: the lower bound's balance minus the upper bound's, where (as in
   * Eventlet's two-semaphore build) a waiting releaser has already added to the lower bound
   * and a waiting acquirer to the upper one — that is `(counter + releasers − acquirers) −
   * (limit − counter + acquirers − releasers)`. Positive when acquires can proceed, negative
   * when acquirers wait; kept for code ported from Eventlet.
   *
   * @example
   * ```ts
   * new CappedSemaphore(2, 3).balance; // 1, as in Eventlet
   * ```
   */
  get balance(): number {
    const r = this.#releasers.size;
    const a = this.#acquirers.size;
    return this.#counter + r - a - (this.limit - this.#counter + a - r);
  }

  /** How many acquirers are waiting. */
  waiting(): number {
    return this.#acquirers.size;
  }

  /** How many releasers are waiting at the limit. */
  releasing(): number {
    return this.#releasers.size;
  }

  /** True when an acquire would wait (the counter is 0 and no releaser waits). */
  locked(): boolean {
    return this.#counter === 0 && this.#releasers.size === 0;
  }

  /** True when a release would wait (the counter is at the limit and no acquirer waits). */
  bounded(): boolean {
    return this.#counter >= this.limit && this.#acquirers.size === 0;
  }

  /**
   * Takes one from the counter, waiting (FIFO) while it is 0 — or takes a waiting releaser's
   * value directly. `{ blocking: false }` resolves `false` instead of waiting; `{ timeout }`
   * resolves `false` once the time is up. A green operation: kill and Timeout take the
   * acquirer out of the line without a value.
   *
   * @throws {TypeError|RangeError} for a negative timeout, or a timeout with `blocking: false`.
   * @example
   * ```ts
   * if (await capped.acquire({ timeout: 100 })) consume();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    const [blocking, timeout] =
      options === undefined ? DEFAULT : readAcquireOptions("CappedSemaphore.acquire", options);
    if (this.#counter > 0) {
      this.#counter--;
      // Room was made: the oldest waiting releaser puts its value in.
      if (this.#serve(this.#releasers)) this.#counter++;
      return TRUE;
    }
    // At 0 a releaser waits only when the limit is 0: take its value from hand to hand.
    if (this.#serve(this.#releasers)) return TRUE;
    if (!blocking) return FALSE;
    return this.#park(this.#acquirers, timeout);
  }

  /**
   * Takes one without waiting: `true` if it could (the counter was above 0, or a releaser was
   * waiting to hand its value over), `false` otherwise. The synchronous twin of
   * `acquire({ blocking: false })`, as `Semaphore.tryAcquire()` is.
   *
   * @example
   * ```ts
   * if (capped.tryAcquire()) consume(); else console.log("nothing to take now");
   * ```
   */
  tryAcquire(): boolean {
    if (this.#counter > 0) {
      this.#counter--;
      if (this.#serve(this.#releasers)) this.#counter++;
      return true;
    }
    return this.#serve(this.#releasers);
  }

  /**
   * Adds one without waiting: `true` if it could (an acquirer was waiting, or the counter was
   * below the limit), `false` at the limit. The synchronous twin of
   * `release({ blocking: false })`.
   *
   * @example
   * ```ts
   * if (!capped.tryRelease()) console.log("at the limit");
   * ```
   */
  tryRelease(): boolean {
    if (this.#serve(this.#acquirers)) return true;
    if (this.#counter < this.limit) {
      this.#counter++;
      return true;
    }
    return false;
  }

  /**
   * Adds one to the counter, waiting (FIFO) while it is at the limit — or hands the value to
   * a waiting acquirer directly. Takes the same options as `acquire`: `{ blocking: false }`
   * resolves `false` instead of waiting, `{ timeout }` resolves `false` once the time is up.
   * A green operation: a releaser that is killed or times out has not released.
   *
   * @throws {TypeError|RangeError} for a negative timeout, or a timeout with `blocking: false`.
   * @example
   * ```ts
   * await capped.release();
   * ```
   */
  release(options?: AcquireOptions): Promise<boolean> {
    const [blocking, timeout] =
      options === undefined ? DEFAULT : readAcquireOptions("CappedSemaphore.release", options);
    // Invariant: acquirers wait only at 0, so handing to the oldest keeps the counter exact.
    if (this.#serve(this.#acquirers)) return TRUE;
    if (this.#counter < this.limit) {
      this.#counter++;
      return TRUE;
    }
    if (!blocking) return FALSE;
    return this.#park(this.#releasers, timeout);
  }

  /** Completes the oldest live waiter of `line`; false when none is left. */
  #serve(line: WaitList<Party>): boolean {
    for (;;) {
      const party = line.shift();
      if (party === undefined) return false;
      party.timer?.cancel();
      if (party.waiter.resolve(true)) return true;
    }
  }

  #park(line: WaitList<Party>, timeout: number | null): Promise<boolean> {
    return suspend<boolean>((waiter) => {
      const entry: Party = { dead: false, waiter, timer: null };
      line.push(entry);
      if (timeout !== null) {
        entry.timer = getHub().schedule(timeout, () => {
          entry.timer = null;
          if (line.remove(entry)) waiter.resolve(false);
        });
      }
      return () => {
        line.remove(entry);
        entry.timer?.cancel();
      };
    });
  }
}

const DEFAULT: [boolean, number | null] = [true, null];
