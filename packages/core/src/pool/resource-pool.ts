/**
 * `ResourcePool`: a bounded pool of reusable resources — connections, clients, tokens —
 * Eventlet's `pools.Pool`, `TokenPool` and `db_pool` in one class.
 *
 * Every resource is in one of four places: being created, idle, checked out, or being
 * destroyed; `size()` counts the first three and never exceeds `max`. A checkout takes an
 * idle resource (validated first, if asked), or creates one while there is room, or waits in
 * a FIFO line. A returned resource goes straight to the oldest waiter; a discarded one frees
 * its room, which goes to the oldest waiter as permission to create. Both hand-overs happen
 * in the same synchronous step as the waiter's `resolve`, which fails for a waiter that was
 * already killed or timed out — so an interrupted waiter never takes a resource or a room
 * with it. A creation whose caller is interrupted runs to its end and its resource joins the
 * pool instead of leaking.
 *
 * Trade-off: idle resources are reused newest first (a stack, Eventlet's `order_as_stack`),
 * so under light load the cold ones age out through `idleTimeoutMs` instead of all staying
 * half-used; `order: "fifo"` restores Eventlet's default rotation.
 *
 * @module
 */

import { checkFunction, checkInteger, checkMs, describeValue, TendrilError } from "../errors.js";
import { getHub, type TimerHandle } from "../hub/hub.js";
import { report } from "../hub/report.js";
import { type WaitEntry, WaitList } from "../sync/wait-list.js";
import { green, suspend, type Waiter } from "../thread/green-thread.js";

/**
 * Options of a `ResourcePool`: how to make, check and destroy a resource, and how many to keep.
 *
 * @example
 * ```ts
 * const options: ResourcePoolOptions<Redis> = {
 *   create: async () => { const r = new Redis({ lazyConnect: true }); await r.connect(); return r; },
 *   validate: (r) => r.status === "ready",
 *   destroy: (r) => r.disconnect(),
 *   max: 8,
 *   idleTimeoutMs: 30_000,
 * };
 * ```
 */
export interface ResourcePoolOptions<T> {
  /** Makes a new resource (a connection, a client…). Its error fails the checkout that asked. */
  create: () => T | PromiseLike<T>;
  /** Releases a resource for good (close the connection). Errors go to the error reporter. */
  destroy?: (resource: T) => void | PromiseLike<void>;
  /**
   * Checks an idle resource before it is handed out; `false` (or an error) destroys it and
   * the checkout goes on with another. Not called for a resource handed from one user to the
   * next waiting one.
   */
  validate?: (resource: T) => boolean | PromiseLike<boolean>;
  /** The most resources alive at once (idle, checked out or being created). Default 10. */
  max?: number;
  /** Idle resources that `idleTimeoutMs` never destroys. Default 0. */
  min?: number;
  /** Destroy a resource idle this many ms (keeping `min`). `null`/`undefined`: never. */
  idleTimeoutMs?: number | null;
  /** Which idle resource a checkout takes: the newest (`"lifo"`, default) or the oldest. */
  order?: "lifo" | "fifo";
}

/** A checkout waiting in line: handed a resource, or a room to create one in. */
interface Borrower<T> extends WaitEntry {
  waiter: Waiter<Grant<T>>;
}

type Grant<T> = { readonly resource: T } | typeof ROOM;
const ROOM: unique symbol = Symbol("room");

interface Idle<T> {
  readonly resource: T;
  timer: TimerHandle | null;
}

interface Closer extends WaitEntry {
  waiter: Waiter<void>;
}

/**
 * A bounded pool of reusable resources. `await pool.item()` checks one out as a handle made
 * for `await using` (released when the block ends, `discard()` for one that broke);
 * `acquire()`/`release()`/`discard()` do the same by hand; `use(fn)` runs `fn` with one and
 * discards it if `fn` throws. Every wait is a green operation: kill and Timeout take the
 * waiter out of the FIFO line and lose no resource.
 *
 * @throws {TypeError|RangeError} for bad options, naming the received value.
 * @example
 * ```ts
 * const pool = new ResourcePool({
 *   create: () => connect(["127.0.0.1", 6379]),
 *   destroy: (socket) => socket.close(),
 *   max: 8,
 *   idleTimeoutMs: 30_000,
 * });
 * {
 *   await using conn = await pool.item();
 *   await conn.value.sendall(ping);
 * } // back in the pool
 * await pool.close();
 * ```
 */
export class ResourcePool<T> {
  /** The most resources alive at once. */
  readonly max: number;
  /** Idle resources that `idleTimeoutMs` never destroys. */
  readonly min: number;
  readonly #create: () => T | PromiseLike<T>;
  readonly #destroy: ((resource: T) => void | PromiseLike<void>) | undefined;
  readonly #validate: ((resource: T) => boolean | PromiseLike<boolean>) | undefined;
  readonly #idleTimeout: number | null;
  readonly #lifo: boolean;
  // Invariant: #size = idle + checked out + being created, and #size <= max; borrowers wait
  // only while nothing is idle and #size >= max.
  #size = 0;
  readonly #idle: Array<Idle<T>> = [];
  readonly #out = new Set<T>();
  readonly #borrowers = new WaitList<Borrower<T>>();
  readonly #closers = new WaitList<Closer>();
  readonly #destroying = new Set<Promise<void>>();
  #closed = false;

  constructor(options: ResourcePoolOptions<T>) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `ResourcePool: options must be an object with a create function, received ${describeValue(options)}`,
      );
    }
    checkFunction("ResourcePool: create", options.create);
    if (options.destroy !== undefined) checkFunction("ResourcePool: destroy", options.destroy);
    if (options.validate !== undefined) checkFunction("ResourcePool: validate", options.validate);
    this.max = checkInteger("ResourcePool: max", options.max ?? 10, 1);
    this.min = checkInteger("ResourcePool: min", options.min ?? 0, 0);
    if (this.min > this.max) {
      throw new RangeError(
        `ResourcePool: min must be <= max (${this.max}), received ${describeValue(this.min)}`,
      );
    }
    const idle = options.idleTimeoutMs ?? null;
    this.#idleTimeout =
      idle === null || idle === Number.POSITIVE_INFINITY
        ? null
        : checkMs("ResourcePool: idleTimeoutMs", idle);
    const order = options.order ?? "lifo";
    if (order !== "lifo" && order !== "fifo") {
      throw new TypeError(
        `ResourcePool: order must be "lifo" or "fifo", received ${describeValue(order)}`,
      );
    }
    this.#lifo = order === "lifo";
    this.#create = options.create;
    this.#destroy = options.destroy;
    this.#validate = options.validate;
  }

  /** Resources alive: idle, checked out, or being created. */
  size(): number {
    return this.#size;
  }

  /** Resources idle in the pool. */
  idle(): number {
    return this.#idle.length;
  }

  /** Resources checked out. */
  inUse(): number {
    return this.#out.size;
  }

  /** Checkouts waiting in line. */
  waiting(): number {
    return this.#borrowers.size;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Checks a resource out: an idle one (validated first when `validate` is set), else a new
   * one while `size()` is below `max`, else the next one returned, waiting FIFO. Give it
   * back with `release` (or `discard` if it broke). A green operation.
   *
   * @throws {TendrilError} `ERR_TENDRIL_POOL_CLOSED` once the pool is closed (also for
   * checkouts waiting when it closes); the error of `create` when making one fails.
   * @example
   * ```ts
   * const conn = await pool.acquire();
   * try { await conn.query("select 1"); } finally { pool.release(conn); }
   * ```
   */
  async acquire(): Promise<T> {
    for (;;) {
      if (this.#closed) throw closedError();
      const idle = this.#takeIdle();
      if (idle !== undefined) {
        if (await this.#isValid(idle)) {
          if (this.#closed) {
            this.#retire(idle);
            throw closedError();
          }
          this.#out.add(idle);
          return idle;
        }
        this.#retire(idle);
        continue;
      }
      if (this.#size < this.max) {
        this.#size++;
        return this.#make();
      }
      const grant = await suspend<Grant<T>>((waiter) => {
        const entry: Borrower<T> = { dead: false, waiter };
        this.#borrowers.push(entry);
        return () => {
          this.#borrowers.remove(entry);
        };
      });
      if (grant === ROOM) return this.#make();
      // Handed over by release(): already counted as checked out.
      return grant.resource;
    }
  }

  /**
   * Gives a checked-out resource back: to the oldest waiting checkout, else to the idle set
   * (destroyed instead once the pool is closed). Never waits.
   *
   * @throws {TendrilError} `ERR_TENDRIL_POOL_NOT_CHECKED_OUT` for a resource that is not
   * checked out of this pool (released twice, or never acquired here).
   * @example
   * ```ts
   * pool.release(conn);
   * ```
   */
  release(resource: T): void {
    this.#checkIn(resource, "release");
    this.#giveBack(resource);
  }

  /**
   * Destroys a checked-out resource that broke instead of giving it back; its room goes to
   * the oldest waiting checkout, which creates a new one. Never waits (`destroy` runs on).
   *
   * @throws {TendrilError} `ERR_TENDRIL_POOL_NOT_CHECKED_OUT` as `release` does.
   * @example
   * ```ts
   * try { await conn.query(sql); pool.release(conn); }
   * catch (error) { pool.discard(conn); throw error; }
   * ```
   */
  discard(resource: T): void {
    this.#checkIn(resource, "discard");
    this.#retire(resource);
  }

  /**
   * Checks a resource out as a handle for `await using`: disposed, it is released, unless
   * `discard()` was called on it.
   *
   * @throws as `acquire` does.
   * @example
   * ```ts
   * {
   *   await using conn = await pool.item();
   *   await conn.value.query("select 1");
   * }
   * ```
   */
  async item(): Promise<PooledResource<T>> {
    return new PooledResource(this, await this.acquire());
  }

  /**
   * Runs `fn` with a checked-out resource and releases it afterwards — or discards it when
   * `fn` throws, since an error may have left it in an unknown state (a half-read reply).
   *
   * @throws what `fn` throws, or what `acquire` throws.
   * @example
   * ```ts
   * const pong = await pool.use((redis) => redis.ping());
   * ```
   */
  async use<R>(fn: (resource: T) => R | PromiseLike<R>): Promise<R> {
    const resource = await this.acquire();
    let result: R;
    try {
      result = await fn(resource);
    } catch (error) {
      this.discard(resource);
      throw error;
    }
    this.release(resource);
    return result;
  }

  /**
   * Destroys every idle resource now (Eventlet's `db_pool.clear()`); checked-out ones are
   * untouched and the pool stays open. Resolves once their `destroy` calls have finished.
   *
   * @example
   * ```ts
   * await pool.drain(); // e.g. after the server restarted: drop the stale connections
   * ```
   */
  async drain(): Promise<void> {
    for (const entry of this.#idle.splice(0)) {
      entry.timer?.cancel();
      this.#retire(entry.resource);
    }
    await this.#settleDestroys();
  }

  /**
   * Closes the pool: checkouts (waiting or new) reject with `ERR_TENDRIL_POOL_CLOSED`, idle
   * resources are destroyed, and each checked-out one is destroyed when it comes back.
   * Resolves once none is left and every `destroy` has finished. A green operation (an
   * interrupted `close` leaves the pool closed). `await using pool = …` calls it.
   *
   * @example
   * ```ts
   * await pool.close();
   * ```
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const borrower of this.#borrowers.drain()) borrower.waiter.reject(closedError());
    }
    await this.drain();
    if (this.#size > 0) {
      await suspend<void>((waiter) => {
        const entry: Closer = { dead: false, waiter };
        this.#closers.push(entry);
        return () => {
          this.#closers.remove(entry);
        };
      });
    }
    await this.#settleDestroys();
  }

  /** The same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- internals ---------------------------------------------------------------------------

  #takeIdle(): T | undefined {
    const entry = this.#lifo ? this.#idle.pop() : this.#idle.shift();
    if (entry === undefined) return undefined;
    entry.timer?.cancel();
    return entry.resource;
  }

  /** Validates an idle resource taken by the caller; interrupted, it gives it back idle. */
  async #isValid(resource: T): Promise<boolean> {
    const validate = this.#validate;
    if (validate === undefined) return true;
    let verdict: Promise<boolean>;
    try {
      verdict = Promise.resolve(validate(resource)).then(
        (ok) => ok === true,
        () => false,
      );
    } catch {
      return false;
    }
    try {
      return await green(verdict);
    } catch (error) {
      // Killed or timed out while validating: the resource was never handed out.
      this.#giveBack(resource);
      throw error;
    }
  }

  /** Creates a resource in a room already counted in #size, for the calling checkout. */
  async #make(): Promise<T> {
    // 0: creating, 1: created, 2: create failed. Set before `green` sees the outcome.
    let state = 0;
    let created: T | undefined;
    const creating = (async () => this.#create())();
    creating.then(
      (resource) => {
        state = 1;
        created = resource;
      },
      () => {
        state = 2;
      },
    );
    let resource: T;
    try {
      resource = await green(creating);
    } catch (error) {
      if (state === 2) this.#freeRoom();
      // Interrupted: the resource comes (or came) anyway, and joins the pool.
      else if (state === 1) this.#giveBack(created as T);
      else
        creating.then(
          (r) => this.#giveBack(r),
          () => this.#freeRoom(),
        );
      throw error;
    }
    if (this.#closed) {
      this.#retire(resource);
      throw closedError();
    }
    this.#out.add(resource);
    return resource;
  }

  #checkIn(resource: T, what: string): void {
    if (!this.#out.delete(resource)) {
      throw new TendrilError(
        "ERR_TENDRIL_POOL_NOT_CHECKED_OUT",
        `ResourcePool.${what}: the resource is not checked out of this pool (released twice, or never acquired here), received ${describeValue(resource)}`,
      );
    }
  }

  /** A live resource that nobody holds: to the oldest waiter, else idle (or destroyed). */
  #giveBack(resource: T): void {
    if (this.#closed) {
      this.#retire(resource);
      return;
    }
    for (;;) {
      const borrower = this.#borrowers.shift();
      if (borrower === undefined) break;
      // Invariant: counted as checked out in the same step as the hand-over.
      this.#out.add(resource);
      if (borrower.waiter.resolve({ resource })) return;
      this.#out.delete(resource);
    }
    const entry: Idle<T> = { resource, timer: null };
    this.#idle.push(entry);
    if (this.#idleTimeout !== null) {
      entry.timer = getHub().schedule(this.#idleTimeout, () => this.#expire(entry), {
        unref: true,
      });
    }
  }

  #expire(entry: Idle<T>): void {
    entry.timer = null;
    if (this.#idle.length <= this.min) return;
    const index = this.#idle.indexOf(entry);
    if (index < 0) return;
    this.#idle.splice(index, 1);
    this.#retire(entry.resource);
  }

  /** Destroys a resource nobody holds and frees its room. */
  #retire(resource: T): void {
    const destroy = this.#destroy;
    if (destroy !== undefined) {
      let done: Promise<void>;
      try {
        done = Promise.resolve(destroy(resource)).then(undefined, (error: unknown) =>
          report(error, "ResourcePool's destroy"),
        );
      } catch (error) {
        report(error, "ResourcePool's destroy");
        done = Promise.resolve();
      }
      this.#destroying.add(done);
      void done.then(() => this.#destroying.delete(done));
    }
    this.#freeRoom();
  }

  /** A room was freed: the oldest waiter may create in it, else the pool shrinks. */
  #freeRoom(): void {
    if (!this.#closed) {
      for (;;) {
        const borrower = this.#borrowers.shift();
        if (borrower === undefined) break;
        if (borrower.waiter.resolve(ROOM)) return;
      }
    }
    this.#size--;
    if (this.#size === 0 && this.#closers.size > 0) {
      for (const closer of this.#closers.drain()) closer.waiter.resolve();
    }
  }

  async #settleDestroys(): Promise<void> {
    while (this.#destroying.size > 0) await Promise.all(this.#destroying);
  }
}

function closedError(): TendrilError {
  return new TendrilError("ERR_TENDRIL_POOL_CLOSED", "the ResourcePool is closed");
}

/**
 * A resource checked out by `ResourcePool.item()`: `value` is the resource; disposing the
 * handle releases it once, unless `discard()` destroyed it first.
 *
 * @example
 * ```ts
 * await using conn = await pool.item();
 * try { await conn.value.query(sql); } catch (error) { conn.discard(); throw error; }
 * ```
 */
export class PooledResource<T> {
  /** The resource. */
  readonly value: T;
  #pool: ResourcePool<T> | null;

  /** @internal Use `ResourcePool.item()`. */
  constructor(pool: ResourcePool<T>, value: T) {
    this.#pool = pool;
    this.value = value;
  }

  /** True until the resource was released or discarded through this handle. */
  get held(): boolean {
    return this.#pool !== null;
  }

  /** Gives the resource back to the pool; later calls (and disposal) do nothing. */
  release(): void {
    const pool = this.#pool;
    if (pool === null) return;
    this.#pool = null;
    pool.release(this.value);
  }

  /** Destroys the resource (it broke) instead of giving it back; later calls do nothing. */
  discard(): void {
    const pool = this.#pool;
    if (pool === null) return;
    this.#pool = null;
    pool.discard(this.value);
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}
