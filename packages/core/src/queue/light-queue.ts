/**
 * `LightQueue`: the queue machinery every queue shares — bounded, unbounded or rendezvous
 * (`maxsize` 0), blocking and non-blocking put/get with timeouts, FIFO waiters.
 *
 * Items never wait in a queue that has a waiting getter, and putters never wait while there
 * is room: a put hands its item straight to the oldest getter, and a get that frees a slot
 * pulls the oldest putter's item in. Because the hand-over happens in the same synchronous
 * step as the waiter's `resolve` — which fails for a waiter that was already interrupted — a
 * getter or putter that is killed or times out never takes an item with it, and no item is
 * lost or delivered twice. Subclasses change only the store (`_put`/`_get`/`_qsize`): LIFO,
 * priority.
 *
 * @module
 */

import { checkMs, describeValue } from "../errors.js";
import { getHub, type TimerHandle } from "../hub/hub.js";
import { type WaitEntry, WaitList } from "../sync/wait-list.js";
import { suspend, type Waiter } from "../thread/green-thread.js";
import { Deque } from "./deque.js";
import { QueueEmpty, QueueFull } from "./errors.js";

/** Options of `put` and `get`. */
export interface QueueWaitOptions {
  /** Wait when the queue is full (put) or empty (get). Default `true`. */
  block?: boolean;
  /** With `block`, give up after this many ms with `QueueFull`/`QueueEmpty`. Default: forever. */
  timeout?: number | null;
}

interface Getter<T> extends WaitEntry {
  waiter: Waiter<T>;
  timer: TimerHandle | null;
}

interface Putter<T> extends WaitEntry {
  // Resolved true when a getter took the item from the putter's hand, false when it was stored.
  waiter: Waiter<boolean>;
  timer: TimerHandle | null;
  item: T;
}

const NONE: unique symbol = Symbol("none");
const RESOLVED = Promise.resolve();

// What #offer did with an item.
const REFUSED = 0;
const STORED = 1;
const HANDED = 2;

/**
 * Resolves on the hub's next pass: by then a getter that was just handed an item has run
 * until it waits on something pending. Deliberately not a green operation — the hand-over
 * already happened, so an interruption must not make the put look failed; it is kept for the
 * thread's next green operation instead.
 */
function afterGetterRan(): Promise<void> {
  return new Promise<void>((resolve) => getHub().callSoon(resolve));
}

function afterHandOver(handed: boolean): Promise<void> | undefined {
  return handed ? afterGetterRan() : undefined;
}

/** @internal Validates a queue's maxsize: unbounded (Infinity) for undefined, null, Infinity or < 0. */
export function readMaxsize(what: string, maxsize: unknown): number {
  if (maxsize === undefined || maxsize === null) return Number.POSITIVE_INFINITY;
  if (typeof maxsize !== "number" || Number.isNaN(maxsize)) {
    throw new TypeError(
      `${what} must be an integer, Infinity, null or undefined, received ${describeValue(maxsize)}`,
    );
  }
  if (maxsize === Number.POSITIVE_INFINITY || maxsize < 0) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(maxsize)) {
    throw new RangeError(
      `${what} must be an integer, Infinity, null or undefined, received ${describeValue(maxsize)}`,
    );
  }
  return maxsize;
}

function readWait(what: string, options: QueueWaitOptions | undefined): [boolean, number | null] {
  if (options === undefined) return [true, null];
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${what}: options must be an object, received ${describeValue(options)}`);
  }
  const timeout = options.timeout ?? null;
  if (timeout !== null) checkMs(`${what}: timeout`, timeout);
  return [options.block !== false, timeout];
}

/**
 * A queue of items between green threads, without task tracking (see `Queue` for
 * `taskDone`/`join`). `maxsize` `undefined`, `null`, `Infinity` or negative: unbounded; a
 * positive integer: `put` waits while that many items are queued; `0`: a rendezvous channel,
 * where `put` resolves only once a getter has taken the item. Waiters are served FIFO.
 * Async-iterable: `for await (const item of queue)` gets items forever (until you break).
 *
 * @throws {TypeError|RangeError} when `maxsize` is not an integer, `Infinity`, `null` or `undefined`.
 * @example
 * ```ts
 * const q = new LightQueue<string>(10);
 * spawn(async () => { for (const url of urls) await q.put(url); });
 * for await (const url of q) console.log(url);
 * ```
 */
export class LightQueue<T> {
  #maxsize: number;
  readonly #items = new Deque<T>();
  readonly #getters = new WaitList<Getter<T>>();
  readonly #putters = new WaitList<Putter<T>>();

  constructor(maxsize?: number | null) {
    this.#maxsize = readMaxsize(`${new.target.name} maxsize`, maxsize);
  }

  /** The capacity: `Infinity` when unbounded, `0` for a rendezvous channel. */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** How many items are queued. */
  qsize(): number {
    return this._qsize();
  }

  /** True when no item is queued (always true for `maxsize` 0). */
  empty(): boolean {
    return this._qsize() === 0;
  }

  /** True when a `put` would wait (always true for `maxsize` 0). */
  full(): boolean {
    return this._qsize() >= this.#maxsize;
  }

  /** How many threads are waiting in `get`. */
  getting(): number {
    return this.#getters.size;
  }

  /** How many threads are waiting in `put`. */
  putting(): number {
    return this.#putters.size;
  }

  /**
   * Changes the capacity. Growing (or `undefined`/`null`/`Infinity`) lets waiting putters in
   * at once; shrinking drops nothing — the queue stays over capacity until gets drain it.
   *
   * @throws {TypeError|RangeError} as the constructor does.
   * @example
   * ```ts
   * queue.resize(100);
   * ```
   */
  resize(maxsize: number | null | undefined): void {
    this.#maxsize = readMaxsize(`${this.constructor.name}.resize: maxsize`, maxsize);
    this.#refill();
  }

  /**
   * Adds `item`, waiting while the queue is full (FIFO among putters). `{ block: false }`
   * rejects with `QueueFull` at once instead; `{ timeout }` rejects with `QueueFull` once the
   * time is up. On a `Queue(0)` it resolves once a getter has taken the item and run on
   * (Eventlet's rendezvous: the getter goes first). A green operation: kill and Timeout
   * interrupt it while it waits, and the item is then not in the queue; once the item was
   * taken, the put has succeeded and an interruption waits for the next green operation.
   *
   * @throws {TypeError|RangeError} when `timeout` is not a number >= 0.
   * @example
   * ```ts
   * await queue.put(job, { timeout: 1000 }); // QueueFull if no room within a second
   * ```
   */
  put(item: T, options?: QueueWaitOptions): Promise<void> {
    const [block, timeout] =
      options === undefined ? DEFAULT : readWait(`${this.constructor.name}.put`, options);
    const offered = this.#offer(item);
    if (offered === HANDED && this.#maxsize === 0) return afterGetterRan();
    if (offered !== REFUSED) return RESOLVED;
    if (!block) return Promise.reject(new QueueFull());
    return suspend<boolean>((waiter) => {
      const entry: Putter<T> = { dead: false, waiter, timer: null, item };
      this.#putters.push(entry);
      if (timeout !== null) {
        entry.timer = getHub().schedule(timeout, () => {
          entry.timer = null;
          if (this.#putters.remove(entry))
            waiter.reject(new QueueFull(`the queue stayed full for ${timeout} ms`));
        });
      }
      return () => {
        this.#putters.remove(entry);
        entry.timer?.cancel();
      };
    }).then(afterHandOver);
  }

  /**
   * Adds `item` without waiting: to a waiting getter, or into free room.
   *
   * @throws {QueueFull} when the queue is full (for `maxsize` 0: when no getter is waiting).
   * @example
   * ```ts
   * queue.putNowait(event);
   * ```
   */
  putNowait(item: T): void {
    if (this.#offer(item) === REFUSED) throw new QueueFull();
  }

  /**
   * Removes and returns the next item, waiting while there is none (FIFO among getters).
   * `{ block: false }` rejects with `QueueEmpty` at once instead; `{ timeout }` rejects with
   * `QueueEmpty` once the time is up. A green operation: a getter that is killed or times out
   * never takes an item with it.
   *
   * @throws {TypeError|RangeError} when `timeout` is not a number >= 0.
   * @example
   * ```ts
   * const job = await queue.get({ timeout: 5000 });
   * ```
   */
  get(options?: QueueWaitOptions): Promise<T> {
    const [block, timeout] =
      options === undefined ? DEFAULT : readWait(`${this.constructor.name}.get`, options);
    const item = this.#take();
    if (item !== NONE) return Promise.resolve(item);
    if (!block) return Promise.reject(new QueueEmpty());
    return suspend<T>((waiter) => {
      const entry: Getter<T> = { dead: false, waiter, timer: null };
      this.#getters.push(entry);
      if (timeout !== null) {
        entry.timer = getHub().schedule(timeout, () => {
          entry.timer = null;
          if (this.#getters.remove(entry))
            waiter.reject(new QueueEmpty(`the queue stayed empty for ${timeout} ms`));
        });
      }
      return () => {
        this.#getters.remove(entry);
        entry.timer?.cancel();
      };
    });
  }

  /**
   * Removes and returns the next item without waiting (on a `Queue(0)`, a waiting putter's).
   *
   * @throws {QueueEmpty} when there is none.
   * @example
   * ```ts
   * const item = queue.empty() ? null : queue.getNowait();
   * ```
   */
  getNowait(): T {
    const item = this.#take();
    if (item === NONE) throw new QueueEmpty();
    return item;
  }

  /** Gets items forever, as `get()` does; `break` (or kill) ends the loop. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) yield await this.get();
  }

  // --- the store, for subclasses ---------------------------------------------------------

  /** @internal How many items the store holds. */
  protected _qsize(): number {
    return this.#items.length;
  }

  /** @internal Stores `item`. */
  protected _put(item: T): void {
    this.#items.push(item);
  }

  /** @internal Removes the next item from a non-empty store. */
  protected _get(): T {
    return this.#items.shift() as T;
  }

  /** @internal Called once for every item the queue accepts (stored or handed over). */
  protected _accepted(): void {}

  // --- the hand-over ---------------------------------------------------------------------

  #offer(item: T): typeof REFUSED | typeof STORED | typeof HANDED {
    // Invariant: getters wait only while the store is empty, so handing the item to the
    // oldest getter keeps FIFO order.
    for (;;) {
      const getter = this.#getters.shift();
      if (getter === undefined) break;
      getter.timer?.cancel();
      if (getter.waiter.resolve(item)) {
        this._accepted();
        return HANDED;
      }
    }
    if (this._qsize() < this.#maxsize) {
      this._put(item);
      this._accepted();
      return STORED;
    }
    return REFUSED;
  }

  #take(): T | typeof NONE {
    if (this._qsize() > 0) {
      const item = this._get();
      this.#refill();
      return item;
    }
    // Invariant: with an empty store, putters wait only on a rendezvous queue (maxsize 0).
    for (;;) {
      const putter = this.#putters.shift();
      if (putter === undefined) return NONE;
      putter.timer?.cancel();
      if (putter.waiter.resolve(true)) {
        this._accepted();
        return putter.item;
      }
    }
  }

  #refill(): void {
    while (this.#putters.size > 0 && this._qsize() < this.#maxsize) {
      const putter = this.#putters.shift() as Putter<T>;
      putter.timer?.cancel();
      if (putter.waiter.resolve(false)) {
        this._put(putter.item);
        this._accepted();
      }
    }
  }
}

const DEFAULT: [boolean, number | null] = [true, null];
