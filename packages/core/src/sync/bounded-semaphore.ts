/**
 * `BoundedSemaphore`: a `Semaphore` that treats a release past its initial value as the bug it
 * almost always is (a double release), instead of silently widening the limit.
 *
 * @module
 */

import { TendrilError } from "../errors.js";
import { Semaphore } from "./semaphore.js";

/**
 * A semaphore that refuses to be released past its initial value, catching a double
 * release as a bug instead of silently widening the limit.
 *
 * @throws {TypeError|RangeError} when `value` is not an integer >= 0.
 * @example
 * ```ts
 * const lock = new BoundedSemaphore(1);
 * await lock.acquire();
 * lock.release();
 * lock.release(); // throws ERR_TENDRIL_SEMAPHORE_OVER_RELEASED
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** The initial value, which `counter` may never exceed. */
  readonly limit: number;

  constructor(value = 1) {
    super(value);
    this.limit = value;
  }

  /**
   * Gives a permit back, as `Semaphore.release()` does.
   *
   * @throws {TendrilError} `ERR_TENDRIL_SEMAPHORE_OVER_RELEASED` when the counter is already at
   * its initial value.
   */
  override release(): void {
    if (this.counter >= this.limit) {
      throw new TendrilError(
        "ERR_TENDRIL_SEMAPHORE_OVER_RELEASED",
        `BoundedSemaphore released too many times: its counter is already at its initial value ${this.limit}`,
      );
    }
    super.release();
  }
}
