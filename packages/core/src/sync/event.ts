/**
 * `Event<T>`: a one-shot value (or error) that any number of green threads can wait for —
 * Eventlet's `event.Event`. `send` never waits; it wakes every waiter, oldest first (Eventlet
 * kept them in a set, so its order was arbitrary).
 *
 * @module
 */

import { checkMs, describeValue, TendrilError } from "../errors.js";
import { getHub, type TimerHandle } from "../hub/hub.js";
import { suspend, type Waiter } from "../thread/green-thread.js";
import { type WaitEntry, WaitList } from "./wait-list.js";

const FRESH = 0;
const RESULT = 1;
const EXCEPTION = 2;

/**
 * Options of `Event.wait`.
 *
 * @example
 * ```ts
 * const value = await event.wait({ timeout: 1000 }); // undefined when not sent within 1 s
 * ```
 */
export interface EventWaitOptions {
  /** Give up after this many ms and resolve `undefined`. `null`/`undefined`: wait forever. */
  timeout?: number | null;
}

interface EventWaiter<T> extends WaitEntry {
  waiter: Waiter<T | undefined>;
  timer: TimerHandle | null;
}

/**
 * A value that arrives once. `wait()` resolves with it (at once if it was already sent) or
 * rejects with the error given to `sendException` — on every wait, not just the first.
 * `wait({ timeout })` resolves `undefined` when the time is up instead of throwing
 * (Eventlet's rule).
 *
 * @example
 * ```ts
 * const done = new Event<string>();
 * spawn(async () => { await sleep(10); done.send("ok"); });
 * console.log(await done.wait()); // "ok"
 * ```
 */
export class Event<T = void> {
  #state = FRESH;
  #value: unknown = undefined;
  readonly #waiters = new WaitList<EventWaiter<T>>();

  /**
   * Stores `value` and wakes every waiter. Never waits.
   *
   * @throws {TendrilError} `ERR_TENDRIL_EVENT_ALREADY_SENT` when the event was already sent.
   * @example
   * ```ts
   * event.send(42);
   * ```
   */
  send(value?: T): void {
    this.#settle(RESULT, value);
  }

  /**
   * Stores `error`: every `wait()`, now and later, rejects with it. Never waits.
   *
   * @throws {TendrilError} `ERR_TENDRIL_EVENT_ALREADY_SENT` when the event was already sent.
   * @example
   * ```ts
   * event.sendException(new Error("upstream failed"));
   * ```
   */
  sendException(error: unknown): void {
    this.#settle(EXCEPTION, error);
  }

  #settle(state: number, value: unknown): void {
    if (this.#state !== FRESH) {
      throw new TendrilError(
        "ERR_TENDRIL_EVENT_ALREADY_SENT",
        "Event was already sent: send()/sendException() may be called once (reset() first to reuse it)",
      );
    }
    this.#state = state;
    this.#value = value;
    for (const entry of this.#waiters.drain()) {
      entry.timer?.cancel();
      if (state === RESULT) entry.waiter.resolve(value as T);
      else entry.waiter.reject(value);
    }
  }

  /**
   * Waits for the event: resolves its value, or rejects with its error. With `{ timeout }`,
   * resolves `undefined` if nothing was sent in time. A green operation: kill and Timeout
   * interrupt it.
   *
   * @throws {TypeError|RangeError} when `timeout` is not a number >= 0.
   * @example
   * ```ts
   * const value = await event.wait({ timeout: 1000 });
   * if (value === undefined) console.log("not yet");
   * ```
   */
  wait(): Promise<T>;
  wait(options: EventWaitOptions): Promise<T | undefined>;
  wait(options?: EventWaitOptions): Promise<T | undefined> {
    let timeout: number | null = null;
    if (options !== undefined) {
      if (typeof options !== "object" || options === null) {
        throw new TypeError(
          `Event.wait: options must be an object, received ${describeValue(options)}`,
        );
      }
      if (options.timeout !== undefined && options.timeout !== null) {
        timeout = checkMs("Event.wait: timeout", options.timeout);
      }
    }
    if (this.#state === RESULT) return Promise.resolve(this.#value as T);
    if (this.#state === EXCEPTION) return Promise.reject(this.#value);
    return suspend<T | undefined>((waiter) => {
      const entry: EventWaiter<T> = { dead: false, waiter, timer: null };
      this.#waiters.push(entry);
      if (timeout !== null) {
        entry.timer = getHub().schedule(timeout, () => {
          entry.timer = null;
          if (this.#waiters.remove(entry)) waiter.resolve(undefined);
        });
      }
      return () => {
        this.#waiters.remove(entry);
        entry.timer?.cancel();
      };
    });
  }

  /** True once `send` or `sendException` was called (and not `reset`). */
  ready(): boolean {
    return this.#state !== FRESH;
  }

  /** True once a value was sent. */
  hasResult(): boolean {
    return this.#state === RESULT;
  }

  /** True once an error was sent. */
  hasException(): boolean {
    return this.#state === EXCEPTION;
  }

  /**
   * The value if the event was sent, else `notReady`; never waits.
   *
   * @throws the stored error, when `sendException` was called.
   * @example
   * ```ts
   * const v = event.poll(null); // null while nothing was sent
   * ```
   */
  poll<N = undefined>(notReady?: N): T | N {
    if (this.#state === RESULT) return this.#value as T;
    if (this.#state === EXCEPTION) throw this.#value;
    return notReady as N;
  }

  /** How many threads are waiting. */
  waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Makes a sent event fresh again so it can be sent once more. Waiters already woken keep
   * what they received. Eventlet calls this a misfeature; prefer a new `Event`.
   *
   * @throws {TendrilError} `ERR_TENDRIL_EVENT_NOT_SENT` when the event was never sent.
   * @example
   * ```ts
   * event.send(1);
   * event.reset();
   * event.send(2);
   * ```
   */
  reset(): void {
    if (this.#state === FRESH) {
      throw new TendrilError(
        "ERR_TENDRIL_EVENT_NOT_SENT",
        "Event.reset() called on an event that was never sent",
      );
    }
    this.#state = FRESH;
    this.#value = undefined;
  }
}
