/**
 * `SocketWriter`: the writing side of a `GreenSocket` — `sendall` and its backpressure, and
 * `shutdown("write")`'s flush.
 *
 * `sendall` resolves once its bytes are in the kernel's send buffer, as Python's does: at once
 * when the write went straight through (the usual case for small messages), else when Node's
 * write callback says the chunk was flushed. A slow reader on the other side holds the writing
 * thread, not memory; and since nothing `sendall` reported as sent waits in Node's buffers,
 * `close()` can close at once without losing it. An interrupted `sendall` has handed its bytes
 * to Node's socket, which sends them unless the socket is closed first (as with Python, part
 * of them may have gone out).
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

import { getHub, suspend, type TimerHandle, type Waiter } from "@tendril/core";
import { describeValue } from "@tendril/core/validate";
import { SocketClosed, SocketTimeout } from "./errors.js";
import type { SocketState } from "./socket-state.js";

const EMPTY: Uint8Array = Buffer.alloc(0);
const RESOLVED: Promise<void> = Promise.resolve();

/** @internal The writing side of one GreenSocket. */
export class SocketWriter {
  readonly #state: SocketState;
  #pendingIndex = 0;
  // One entry per write still in Node's buffer, in write order: the sendall waiting for it
  // to reach the kernel, or null. Write callbacks come in the same order and shift it.
  #writes: Array<Waiter<void> | null> = [];
  // The timeouts of sendalls waiting for a flush; made on the first one (most sockets never
  // set a timeout, and a Map per connection is memory every idle connection would hold).
  #timers: Map<Waiter<void>, TimerHandle> | null = null;

  constructor(state: SocketState) {
    this.#state = state;
  }

  /** `sendall(data)`; see `GreenSocket.sendall`. */
  sendall(data: Uint8Array | string): Promise<void> {
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      return Promise.reject(
        new TypeError(
          `sendall: data must be a Uint8Array or a string, received ${describeValue(data)}`,
        ),
      );
    }
    const state = this.#state;
    const socket = state.socket;
    if (state.closed || state.writeShut || state.error !== null || socket.destroyed) {
      return Promise.reject(this.#sendError());
    }
    const writes = this.#writes;
    if (writes.length === 0 && socket.writableLength === 0) {
      // Fast path: nothing queued before it, so write without a completion callback and, if
      // all of it went straight into the kernel, return at once — no green operation (as in
      // Eventlet, a send that does not block does not switch). A later failure surfaces
      // through the socket's 'error' event as for any write.
      socket.write(data);
      if (socket.writableLength === 0) return RESOLVED;
      // Part of it is buffered: an empty write with a callback marks when it is flushed.
      this.#pendingIndex = writes.length;
      writes.push(null);
      socket.write(EMPTY, this.#onWritten);
      return suspend<void>(this.#waitFlushed);
    }
    const index = writes.length;
    writes.push(null);
    socket.write(data, this.#onWritten);
    if (socket.writableLength === 0) return RESOLVED;
    // Invariant: write callbacks run on a later tick, never inside write(), so `index` is
    // still this write's slot when the executor below runs (synchronously).
    this.#pendingIndex = index;
    return suspend<void>(this.#waitFlushed);
  }

  /**
   * `shutdown("write")`: flushes what was sent, then sends end-of-stream; resolves once
   * flushed. The caller has checked that the socket is not closed.
   */
  shutdown(): Promise<void> {
    const state = this.#state;
    if (state.writeShut) return suspend<void>(resolveNow);
    state.writeShut = true;
    const socket = state.socket;
    if (socket.destroyed || socket.writableFinished) return suspend<void>(resolveNow);
    return suspend<void>((waiter) => {
      const done = (): void => {
        cleanup();
        waiter.resolve();
      };
      const failed = (error: Error): void => {
        cleanup();
        waiter.reject(error);
      };
      const ms = state.timeoutMs;
      const timer =
        ms === null
          ? null
          : getHub().schedule(ms, () => {
              cleanup();
              waiter.reject(new SocketTimeout(ms, "shutdown"));
            });
      const cleanup = (): void => {
        timer?.cancel();
        socket.off("finish", done);
        socket.off("close", done);
        socket.off("error", failed);
      };
      socket.once("finish", done);
      socket.once("close", done);
      socket.once("error", failed);
      socket.end();
      return cleanup;
    });
  }

  /**
   * Fails every sendall still waiting, with `error` or (null) SocketClosed. The error is only
   * built when someone waits: every connection ends through here, and an Error's stack is costly.
   */
  rejectAll(error: Error | null): void {
    const writes = this.#writes;
    for (let i = 0; i < writes.length; i++) {
      const waiter = writes[i];
      if (waiter) {
        writes[i] = null;
        this.#forget(waiter);
        error ??= new SocketClosed("sendall");
        waiter.reject(error);
      }
    }
  }

  #sendError(): Error {
    const state = this.#state;
    if (state.closed || state.socket.destroyed) return new SocketClosed("sendall");
    if (state.writeShut) return new SocketClosed('sendall after shutdown("write")');
    return state.error as Error;
  }

  // The executor of a sendall whose bytes are still in Node's buffer: wait for the flush.
  readonly #waitFlushed = (waiter: Waiter<void>): (() => void) | undefined => {
    this.#writes[this.#pendingIndex] = waiter;
    const ms = this.#state.timeoutMs;
    if (ms !== null) {
      const timer = getHub().schedule(ms, () => {
        this.#forget(waiter);
        waiter.reject(new SocketTimeout(ms, "sendall"));
      });
      if (this.#timers === null) this.#timers = new Map();
      this.#timers.set(waiter, timer);
    }
    return () => {
      this.#forget(waiter);
    };
  };

  // Keeps the write's slot (callbacks still come for it) but nobody waits on it any more.
  #forget(waiter: Waiter<void>): void {
    const i = this.#writes.indexOf(waiter);
    if (i >= 0) this.#writes[i] = null;
    this.#cancelTimer(waiter);
  }

  #cancelTimer(waiter: Waiter<void>): void {
    const timers = this.#timers;
    const timer = timers?.get(waiter);
    if (timer !== undefined) {
      timers?.delete(waiter);
      timer.cancel();
    }
  }

  readonly #onWritten = (error?: Error | null): void => {
    const waiter = this.#writes.shift();
    if (waiter === undefined || waiter === null) return;
    this.#cancelTimer(waiter);
    if (error) waiter.reject(this.#state.error ?? error);
    else waiter.resolve();
  };
}

/** The executor of an operation that has nothing to wait for. @internal */
export function resolveNow(waiter: Waiter<void>): undefined {
  waiter.resolve();
  return undefined;
}
