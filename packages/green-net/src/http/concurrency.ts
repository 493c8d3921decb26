/**
 * The concurrency limit of the HTTP client: how many requests may be in flight at once,
 * counted from dispatch until the response body is fully read (or the request failed) —
 * which is how long a request holds a connection.
 *
 * The limit can be a number (a private `Semaphore`), any semaphore-like object with
 * `acquire()`/`release()` (share one between clients), or a core `GreenPool`: then each
 * request counts as one of the pool's threads, so a crawler's `pool.imap(urlopen, urls)` and
 * the HTTP client draw from the same budget. A request made from one of the pool's own
 * threads while the pool is full runs in that thread (the pool's re-entrancy rule), since its
 * thread already holds a slot.
 *
 * @module
 */

import { GreenPool, Semaphore } from "@tendril/core";

/**
 * What `pool` accepts: a number, a `GreenPool`, or a semaphore-like object.
 *
 * @example
 * ```ts
 * const shared = new GreenPool(20);
 * const client = new HttpClient({ pool: shared }); // or a number, or a Semaphore
 * ```
 */
export type ConcurrencyLimit =
  | number
  | GreenPool
  | { acquire(): Promise<unknown>; release(): void };

/**
 * @internal Admits requests: `enter(start, fail)` calls `start(leave)` once the request may
 * go (synchronously when nothing bounds it), or `fail(error)` when the wait was interrupted.
 * `leave()` must be called exactly once when the request is over.
 */
export interface Gate {
  enter(start: (leave: () => void) => void, fail: (error: unknown) => void): void;
}

const noop = (): void => {};

class SemaphoreGate implements Gate {
  readonly #sem: { acquire(): Promise<unknown>; release(): void };
  readonly #release: () => void;
  constructor(sem: { acquire(): Promise<unknown>; release(): void }) {
    this.#sem = sem;
    this.#release = () => sem.release();
  }
  enter(start: (leave: () => void) => void, fail: (error: unknown) => void): void {
    const sem = this.#sem;
    if (sem instanceof Semaphore && sem.tryAcquire()) {
      start(onceRelease(this.#release));
      return;
    }
    sem.acquire().then(() => start(onceRelease(this.#release)), fail);
  }
}

class PoolGate implements Gate {
  readonly #pool: GreenPool;
  constructor(pool: GreenPool) {
    this.#pool = pool;
  }
  enter(start: (leave: () => void) => void, fail: (error: unknown) => void): void {
    // The request runs in a pool thread that lives until `leave()`; run inline (pool full,
    // caller is one of its threads), it runs in the caller's thread and holds nothing extra.
    this.#pool
      .spawnN(() => new Promise<void>((resolve) => start(onceRelease(resolve))))
      .then(undefined, fail);
  }
}

function onceRelease(release: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}

/** @internal Builds the gate for a limit (`null`: unbounded). */
export function toGate(limit: ConcurrencyLimit | null | undefined, what: string): Gate | null {
  if (limit === undefined || limit === null || limit === Number.POSITIVE_INFINITY) return null;
  if (typeof limit === "number") {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`${what}: pool must be an integer >= 1, received ${limit}`);
    }
    return new SemaphoreGate(new Semaphore(limit));
  }
  if (limit instanceof GreenPool) return new PoolGate(limit);
  if (
    typeof limit === "object" &&
    typeof (limit as { acquire?: unknown }).acquire === "function" &&
    typeof (limit as { release?: unknown }).release === "function"
  ) {
    return new SemaphoreGate(limit);
  }
  throw new TypeError(
    `${what}: pool must be a number, a GreenPool or an object with acquire() and release(), received ${
      typeof limit === "object" ? (limit.constructor?.name ?? "an object") : String(limit)
    }`,
  );
}

/** @internal A gate that admits at once. */
export const OPEN_GATE: Gate = { enter: (start) => start(noop) };
