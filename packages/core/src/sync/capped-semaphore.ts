/**
 * `CappedSemaphore`: a counter kept between 0 and a limit — acquire waits at 0, release waits
 * at the limit. Built, as Eventlet's is, from two semaphores (permits to take, room to give
 * back), so both directions inherit their FIFO order and their exactness under kill and
 * Timeout.
 *
 * @module
 */

import { checkInteger, describeValue } from "../errors.js";
import { type AcquireOptions, readAcquireOptions, Semaphore } from "./semaphore.js";

const TRUE = Promise.resolve(true);

/**
 * A semaphore whose counter never exceeds `limit`: `release()` is a green operation that
 * waits while the counter is at the limit, until someone acquires. Useful as a bounded
 * token bucket between producers (`release`) and consumers (`acquire`).
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
  readonly #lower: Semaphore;
  readonly #upper: Semaphore;

  constructor(count: number, limit: number) {
    checkInteger("CappedSemaphore limit", limit, 0);
    checkInteger("CappedSemaphore count", count, 0);
    if (count > limit) {
      throw new RangeError(
        `CappedSemaphore count must be <= limit (${limit}), received ${describeValue(count)}`,
      );
    }
    this.limit = limit;
    this.#lower = new Semaphore(count);
    this.#upper = new Semaphore(limit - count);
  }

  /** The current value, between 0 and `limit`. */
  get counter(): number {
    return this.#lower.counter;
  }

  /** `counter`, minus the acquirers waiting, plus the releasers waiting. */
  get balance(): number {
    return this.#lower.balance + this.#upper.waiting();
  }

  /** True when an acquire would wait (the counter is 0). */
  locked(): boolean {
    return this.#lower.locked();
  }

  /** True when a release would wait (the counter is at the limit). */
  bounded(): boolean {
    return this.#upper.locked();
  }

  /**
   * Decrements the counter, waiting (FIFO) while it is 0. Same options and results as
   * `Semaphore.acquire`. A green operation.
   *
   * @example
   * ```ts
   * if (await capped.acquire({ timeout: 100 })) consume();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    if (options !== undefined) readAcquireOptions("CappedSemaphore.acquire", options);
    if (this.#lower.tryAcquire()) {
      this.#upper.release();
      return TRUE;
    }
    return this.#acquireSlow(options);
  }

  async #acquireSlow(options: AcquireOptions | undefined): Promise<boolean> {
    if (!(await this.#lower.acquire(options))) return false;
    this.#upper.release();
    return true;
  }

  /**
   * Increments the counter, waiting (FIFO) while it is at the limit. Takes the same options
   * as `acquire`: `{ blocking: false }` resolves `false` instead of waiting, `{ timeout }`
   * resolves `false` once the time is up. A green operation.
   *
   * @example
   * ```ts
   * await capped.release();
   * ```
   */
  release(options?: AcquireOptions): Promise<boolean> {
    if (options !== undefined) readAcquireOptions("CappedSemaphore.release", options);
    if (this.#upper.tryAcquire()) {
      this.#lower.release();
      return TRUE;
    }
    return this.#releaseSlow(options);
  }

  async #releaseSlow(options: AcquireOptions | undefined): Promise<boolean> {
    if (!(await this.#upper.acquire(options))) return false;
    this.#lower.release();
    return true;
  }
}
