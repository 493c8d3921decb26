/**
 * `serve(listener, handler, { concurrency })`: Eventlet's `serve` — the seed page's server
 * pattern as one call. Each connection gets its own green thread running `handler(socket,
 * address)`; the socket is closed when the handler returns.
 *
 * Differences from Eventlet, on purpose:
 * - A handler that fails is *reported* (to the hub's error reporter) and the server goes on.
 *   Eventlet re-raised it in the server thread and the server died with it.
 * - An accept failure (`EMFILE`, `ENFILE`, …) is reported and retried with exponential backoff
 *   (`AcceptBackoff`: 10 ms doubling to 1 s) instead of killing the server. (Most `EMFILE`s never reach Node:
 *   libuv closes the connections it cannot keep by itself; see `GreenListener`.)
 * - `serve` owns its handler threads. It ends normally when a handler throws `StopServe` or the
 *   listener is closed: it stops accepting and *waits* for the handlers still running (a
 *   graceful drain). If `serve`'s own thread is killed or timed out, it kills the handlers,
 *   waits for them to unwind, and rethrows. So nothing outlives it, and a graceful shutdown
 *   with a deadline is `listener.close()` plus `withTimeout(ms, () => server.wait())`.
 *
 * Handlers run in a `GreenPool` — a new one of `concurrency` threads, or the caller's `pool`
 * (shared with other work, or inspected with `running()`). When the pool is full, `serve`
 * stops accepting: new connections wait in the
 * listener's queue unread (see `GreenListener`), not in memory-hungry buffers.
 *
 * @module
 */

import type { AddressInfo } from "node:net";
import {
  GreenPool,
  type GreenThread,
  GreenThreadExit,
  getHub,
  sleep,
  suspend,
  TendrilError,
  type Waiter,
} from "@tendril/core";
import { checkInteger, describeValue } from "@tendril/core/validate";
import { AcceptBackoff } from "./accept-backoff.js";
import { ListenerClosed } from "./errors.js";
import type { Accepted, GreenListener } from "./green-listener.js";
import type { GreenSocket } from "./green-socket.js";

/**
 * Thrown by a handler to end `serve` normally (it stops accepting, lets the other handlers
 * finish, and resolves).
 *
 * @example
 * ```ts
 * await serve(listener, async (sock) => {
 *   if ((await sock.readLine()) === "shutdown\n") throw new StopServe();
 * });
 * ```
 */
export class StopServe extends TendrilError {
  constructor(message = "serve was asked to stop") {
    super("ERR_TENDRIL_STOP_SERVE", message);
  }
}

/**
 * A connection handler: runs in its own green thread; the socket is closed after it.
 *
 * @example
 * ```ts
 * const echo: ServeHandler = async (sock) => {
 *   for await (const chunk of sock) await sock.sendall(chunk);
 * };
 * await serve(listener, echo);
 * ```
 */
export type ServeHandler = (socket: GreenSocket, address: AddressInfo) => unknown;

/**
 * Options of `serve`.
 *
 * @example
 * ```ts
 * await serve(listener, handle, { concurrency: 10_000 });
 * ```
 */
export interface ServeOptions {
  /** The most handlers running at once. Default 1000. */
  concurrency?: number;
  /**
   * Run handlers in this pool instead of a new one of `concurrency` threads (give one or the
   * other). Accepting stops whenever the pool has no free slot, whoever holds them.
   */
  pool?: GreenPool;
}

function describeAddress(address: AddressInfo): string {
  return address.port
    ? `${address.address}:${address.port}`
    : address.address || "a Unix socket peer";
}

/**
 * Serves connections from `listener` with `handler`, at most `concurrency` (or the pool's
 * size) at a time, until a
 * handler throws `StopServe` or the listener is closed. A green operation.
 *
 * @throws {TypeError|RangeError} for a handler that is not a function or a bad concurrency.
 * @throws {GreenThreadExit|Timeout} when `serve`'s own thread is killed or times out (after
 *   killing its handlers).
 * @example
 * ```ts
 * const listener = await listen(["0.0.0.0", 6000]);
 * await serve(listener, async (sock) => {
 *   for (;;) {
 *     const data = await sock.recv(4096);
 *     if (data.length === 0) break;
 *     await sock.sendall(data);
 *   }
 * });
 * ```
 */
export async function serve(
  listener: GreenListener,
  handler: ServeHandler,
  options: ServeOptions = {},
): Promise<void> {
  if (typeof handler !== "function") {
    throw new TypeError(`serve: handler must be a function, received ${describeValue(handler)}`);
  }
  if (listener === null || typeof listener !== "object" || typeof listener.accept !== "function") {
    throw new TypeError(
      `serve: listener must be a GreenListener, received ${describeValue(listener)}`,
    );
  }
  if (options.pool !== undefined && !(options.pool instanceof GreenPool)) {
    throw new TypeError(`serve: pool must be a GreenPool, received ${describeValue(options.pool)}`);
  }
  if (options.pool !== undefined && options.concurrency !== undefined) {
    throw new TypeError("serve: give either concurrency or pool, not both");
  }
  const pool =
    options.pool ??
    new GreenPool(checkInteger("serve: concurrency", options.concurrency ?? 1000, 1));

  // Each running handler's thread and its socket (closed by serve if the thread never ran).
  const running = new Map<GreenThread<void>, GreenSocket>();
  // The one green operation serve is waiting in, so that a handler's end (a free slot) or its
  // StopServe can wake it. A connection wait is only woken by StopServe.
  let waiting: Waiter<unknown> | null = null;
  let waitingForAccept = false;
  let stop: StopServe | null = null;

  const wake = (): void => {
    const w = waiting;
    if (w === null || (waitingForAccept && stop === null)) return;
    waiting = null;
    if (stop !== null) w.reject(stop);
    else w.resolve(undefined);
  };

  const runHandler = async (socket: GreenSocket, address: AddressInfo): Promise<void> => {
    try {
      await handler(socket, address);
    } catch (error) {
      if (error instanceof StopServe) {
        stop ??= error;
      } else if (!(error instanceof GreenThreadExit)) {
        getHub().reportError(error, `serve: the handler of ${describeAddress(address)}`);
      }
    } finally {
      try {
        await socket.close();
      } catch {
        // Closing after a kill may itself be interrupted; the socket is destroyed either way.
      }
    }
  };

  const onHandlerEnd = (thread: GreenThread<void>): void => {
    running.delete(thread);
    wake();
  };

  const park = (): Promise<unknown> =>
    suspend<unknown>((waiter) => {
      waiting = waiter;
      waitingForAccept = false;
      return () => {
        waiting = null;
      };
    });

  try {
    const backoff = new AcceptBackoff();
    while (stop === null) {
      if (pool.free() <= 0) {
        // Invariant: while the pool is full nobody calls accept, so connections queue unread.
        if (options.pool === undefined) await park();
        else await waitForSlot(pool);
        continue;
      }
      let accepted: Accepted;
      try {
        accepted = await suspend<Accepted>((waiter) => {
          waiting = waiter as Waiter<unknown>;
          waitingForAccept = true;
          const cancel = listener._acceptInto(waiter);
          return () => {
            waiting = null;
            cancel?.();
          };
        });
      } catch (error) {
        if (error === stop) break;
        if (error instanceof ListenerClosed) break;
        if (AcceptBackoff.retryable(error)) {
          getHub().reportError(error, "serve: accept (retrying)");
          await backoff.wait();
          continue;
        }
        throw error;
      }
      waiting = null;
      backoff.reset();
      const [socket, address] = accepted;
      if (stop !== null) {
        // A StopServe raced with this connection: it is not served.
        await socket.close().catch(() => undefined);
        break;
      }
      // Invariant: the pool had a free slot before accept; with a private pool it still has
      // one, so this spawn does not wait (a shared pool may make it wait for one).
      const thread = await pool.spawn(runHandler, socket, address);
      running.set(thread, socket);
      thread.link(onHandlerEnd);
    }
    // Drain: the handlers still running finish in their own time.
    while (running.size > 0) {
      try {
        await park();
      } catch (error) {
        if (error !== stop) throw error;
      }
    }
  } catch (error) {
    // serve itself was killed or timed out: its handlers go with it.
    const handlers = [...running];
    await Promise.all(handlers.map(([thread]) => thread.kill()));
    // Invariant: a handler killed before it started never closed its socket.
    for (const [, socket] of handlers) socket.raw.destroy();
    throw error;
  }
}

const noop = (): void => {};

// Waits until some thread of a shared pool ends — ours or anyone's — by queueing for a slot
// with a thread that ends at once. (A handler's StopServe ends its thread, so it wakes this.)
async function waitForSlot(pool: GreenPool): Promise<void> {
  const thread = await pool.spawn(noop);
  // Spawned inline (serve runs inside this very pool, which is full): do not spin.
  if (thread.dead) await sleep(10);
  else await thread.wait();
}
