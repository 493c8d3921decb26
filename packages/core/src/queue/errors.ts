/**
 * The two errors of the queues: `QueueFull` (a put that could not or would not wait) and
 * `QueueEmpty` (a get likewise). Eventlet raises the standard library's `Full`/`Empty`, and
 * raises them — not `Timeout` — when a put's or get's own timeout expires; so do we.
 *
 * @module
 */

import { TendrilError } from "../errors.js";

/**
 * Thrown by `putNowait`, and by `put` with `{ block: false }` or once its `timeout` expired,
 * when the queue has no room (for `Queue(0)`: when no getter is waiting).
 *
 * @example
 * ```ts
 * try { queue.putNowait(item); } catch (e) { if (e instanceof QueueFull) dropOrRetry(item); }
 * ```
 */
export class QueueFull extends TendrilError {
  constructor(message = "the queue is full") {
    super("ERR_TENDRIL_QUEUE_FULL", message);
  }
}

/**
 * Thrown by `getNowait`, and by `get` with `{ block: false }` or once its `timeout` expired,
 * when the queue has no item (for `Queue(0)`: when no putter is waiting).
 *
 * @example
 * ```ts
 * const item = await queue.get({ timeout: 100 }).catch((e) => (e instanceof QueueEmpty ? null : Promise.reject(e)));
 * ```
 */
export class QueueEmpty extends TendrilError {
  constructor(message = "the queue is empty") {
    super("ERR_TENDRIL_QUEUE_EMPTY", message);
  }
}
