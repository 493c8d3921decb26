/**
 * The dispatch pattern: a server that is also a client of other services. One request fans
 * out to many upstream calls; the calls run on a *global* `GreenPool` (so all requests together
 * never exceed its size — "Limitations are good!") through a *per-request* `GreenPile` (so this
 * request waits for its own calls only). Around the seed's four lines this recipe adds what a
 * production dispatcher needs: a deadline for the whole request, a timeout per upstream call,
 * a cap on fan-out, and partial results — a failed upstream becomes an error entry, never a
 * failed request.
 *
 * How the deadline works: a `Timeout` on the dispatching thread bounds both the spawning (which
 * waits while the global pool is full) and the waiting. When it fires, entries that finished
 * keep their results, the rest become `DeadlineExceeded` entries, and the calls still
 * running are killed so that they give their pool slots back. Results are written by each
 * call into its own slot (not read from the pile in order), so one slow call never hides the
 * results of the fast ones behind it.
 *
 * Trade-off: killing is delivered at the call's next green operation. A call stuck in a
 * promise that is not green keeps its pool slot until that promise settles, but the request
 * is answered on time either way.
 *
 * @module
 */

import {
  GreenPile,
  GreenPool,
  type GreenThread,
  getCurrent,
  getHub,
  green,
  TendrilError,
  Timeout,
} from "@tendril/core";
import { checkFunction, checkInteger, checkMs } from "@tendril/core/validate";
import { CallTimeout } from "../call-timeout.js";

/**
 * One entry of a dispatch's results: the value, or the error, of one upstream call.
 *
 * @example
 * ```ts
 * for (const r of await dispatch(urls, fetchTitle, { pool }))
 *   console.log(r.ok ? r.value : `failed: ${r.error}`, `(${r.ms} ms)`);
 * ```
 */
export type Settled<R> =
  | { readonly ok: true; readonly value: R; readonly ms: number }
  | { readonly ok: false; readonly error: unknown; readonly ms: number };

/**
 * Options of `dispatch`. Times are in milliseconds.
 *
 * @example
 * ```ts
 * const options: DispatchOptions = { pool, deadlineMs: 2000, timeout: 1000, maxFanout: 50 };
 * const results = await dispatch(urls, fetchTitle, options);
 * ```
 */
export interface DispatchOptions {
  /**
   * The pool the calls run on. Pass one shared by every request (the point of the pattern).
   * Default: one process-wide `GreenPool(1000)`, shared by every call that passes none.
   */
  pool?: GreenPool;
  /** The whole dispatch must finish within this; unfinished calls become errors. Default: none. */
  deadlineMs?: number | null;
  /** Each call must finish within this. Default: none. */
  timeout?: number | null;
  /** At most this many items per dispatch; more is refused before any call starts. Default 100. */
  maxFanout?: number;
}

/**
 * A request that asked for more upstream calls than `maxFanout`. Nothing was started.
 * `code` is `ERR_TENDRIL_FANOUT_LIMIT`.
 *
 * @example
 * ```ts
 * async function handle(urls: string[]): Promise<Response> {
 *   try { await dispatch(urls, fetchTitle, { maxFanout: 10 }); }
 *   catch (error) { if (error instanceof FanoutLimitExceeded) return new Response(error.message, { status: 413 }); }
 *   return new Response("ok");
 * }
 * ```
 */
export class FanoutLimitExceeded extends TendrilError {
  /** The cap that was exceeded. */
  readonly limit: number;
  constructor(limit: number) {
    super(
      "ERR_TENDRIL_FANOUT_LIMIT",
      `too many upstream calls for one request: the limit is ${limit} (maxFanout)`,
    );
    this.limit = limit;
  }
}

/**
 * The error entry of a call that had not finished when the dispatch's deadline came (it was
 * killed, or never got a pool slot). `code` is `ERR_TENDRIL_DEADLINE_TIMEOUT`, and
 * `isTimeout()` is true for it.
 *
 * @example
 * ```ts
 * const [entry] = await dispatch([url], slowFetch, { deadlineMs: 100 });
 * if (entry && !entry.ok && entry.error instanceof DeadlineExceeded) console.log("too slow");
 * ```
 */
export class DeadlineExceeded extends TendrilError {
  /** The deadline, in milliseconds. */
  readonly ms: number;
  /** Whether the call had started (false: it was still waiting for a pool slot). */
  readonly started: boolean;
  constructor(deadline: number, started: boolean) {
    super(
      "ERR_TENDRIL_DEADLINE_TIMEOUT",
      started
        ? `the request's deadline of ${deadline} ms passed before this upstream call finished`
        : `the request's deadline of ${deadline} ms passed before this upstream call could start (the pool was full)`,
    );
    this.ms = deadline;
    this.started = started;
  }
}

let defaultPool: GreenPool | null = null;

/**
 * The process-wide pool `dispatch` uses when none is given: a `GreenPool(1000)` created on
 * first use. Every request shares it, which is what caps the server's outbound concurrency.
 *
 * @example
 * ```ts
 * console.log(defaultDispatchPool().free()); // 1000 when idle
 * ```
 *
 * @internal
 */
export function defaultDispatchPool(): GreenPool {
  defaultPool ??= new GreenPool(1000);
  return defaultPool;
}

function checkOptionalMs(what: string, value: unknown): number | null {
  return value === undefined || value === null ? null : checkMs(`dispatch: ${what}`, value);
}

function checkFanout(value: unknown): number {
  if (value === undefined) return 100;
  return checkInteger("dispatch: maxFanout", value, 0, { allowInfinity: true });
}

/**
 * Validates `options` as `dispatch` would, synchronously, and returns them resolved.
 * @internal
 */
export function checkDispatchOptions(options: DispatchOptions): {
  pool: GreenPool;
  deadline: number | null;
  timeout: number | null;
  maxFanout: number;
} {
  const pool = options.pool ?? defaultDispatchPool();
  if (!(pool instanceof GreenPool)) {
    throw new TypeError("dispatch: pool must be a GreenPool");
  }
  return {
    pool,
    deadline: checkOptionalMs("deadlineMs", options.deadlineMs),
    timeout: checkOptionalMs("timeout", options.timeout),
    maxFanout: checkFanout(options.maxFanout),
  };
}

function takeItems<T>(items: Iterable<T>, maxFanout: number): T[] {
  const list: T[] = [];
  for (const item of items) {
    if (list.length >= maxFanout) throw new FanoutLimitExceeded(maxFanout);
    list.push(item);
  }
  return list;
}

/**
 * Calls `fn(item, index)` for every item, concurrently, on a shared `GreenPool` through a
 * per-call `GreenPile`, and returns one `Settled` entry per item in input order: `{ ok: true,
 * value }` or `{ ok: false, error }`. It never rejects because of an upstream: a call that
 * throws, runs past `timeout` (`CallTimeout`) or is still running at `deadline`
 * (`DeadlineExceeded`, and the call is killed) yields an error entry. Each entry has
 * `ms`, the time from the dispatch's start to that entry's end.
 *
 * A green operation: killing the dispatching thread (for instance when the HTTP client went
 * away) kills every call it started.
 *
 * @throws {FanoutLimitExceeded} when `items` has more than `maxFanout` entries (nothing starts).
 * @throws {TypeError|RangeError} for a bad option.
 * @example
 * ```ts
 * const pool = new GreenPool(1000); // one for the whole server
 * const results = await dispatch(urls, fetchTitle, { pool, deadlineMs: 2000, timeout: 1000, maxFanout: 50 });
 * for (const r of results) console.log(r.ok ? r.value : `failed: ${r.error}`);
 * ```
 */
export async function dispatch<T, R>(
  items: Iterable<T>,
  fn: (item: T, index: number) => R | PromiseLike<R>,
  options: DispatchOptions = {},
): Promise<Array<Settled<R>>> {
  if (typeof fn !== "function") {
    checkFunction("dispatch: fn", fn);
  }
  const { pool, deadline, timeout, maxFanout } = checkDispatchOptions(options);
  const list = takeItems(items, maxFanout);

  const hub = getHub();
  const start = hub.now();
  const results: Array<Settled<R> | undefined> = new Array(list.length).fill(undefined);
  const started: boolean[] = new Array(list.length).fill(false);
  const running = new Set<GreenThread<unknown>>();
  let closed = false;
  let deadlineTimer: Timeout | null = null;

  // One upstream call. It never throws: the pile only tells us when every call has ended.
  const call = async (index: number): Promise<void> => {
    if (closed) return;
    started[index] = true;
    const thread = getCurrent();
    running.add(thread);
    // The Timeout is its own error; it becomes an CallTimeout only if it fires (an
    // Error per call would cost a stack capture on every call, not just the slow ones).
    const guard = timeout === null ? null : new Timeout(timeout);
    let entry: Settled<R>;
    try {
      const result = fn(list[index] as T, index);
      // green(): a Timeout or kill interrupts even a call that awaits a non-green promise.
      const value =
        result !== null && typeof (result as PromiseLike<R>)?.then === "function"
          ? await green(result as PromiseLike<R>)
          : (result as R);
      entry = { ok: true, value, ms: hub.now() - start };
    } catch (error) {
      // Run inline (a re-entrant spawn into a full pool): the deadline belongs to the dispatcher.
      if (error === deadlineTimer && deadlineTimer !== null) throw error;
      const reason =
        error === guard && guard !== null
          ? new CallTimeout(timeout as number, "the upstream call")
          : error;
      entry = { ok: false, error: reason, ms: hub.now() - start };
    } finally {
      guard?.cancel();
      running.delete(thread);
    }
    // Invariant: once the dispatch has closed (deadline or kill), late entries are dropped,
    // so the array the caller holds never changes under its feet.
    if (!closed) results[index] = entry;
  };

  const pile = new GreenPile<void>(pool);
  deadlineTimer = deadline === null ? null : new Timeout(deadline);
  try {
    for (let index = 0; index < list.length; index++) await pile.spawn(call, index);
    await pile.collect();
  } catch (error) {
    if (error !== deadlineTimer) throw error;
  } finally {
    deadlineTimer?.cancel();
    closed = true;
    // Kill what still runs, without waiting for it to unwind: the slots come back as it does.
    const self = getCurrent();
    for (const thread of running) if (thread !== self) void thread.kill();
    running.clear();
  }
  const end = hub.now() - start;
  return results.map(
    (entry, index) =>
      entry ??
      ({
        ok: false,
        error: new DeadlineExceeded(deadline ?? 0, started[index] === true),
        ms: end,
      } as const),
  );
}
