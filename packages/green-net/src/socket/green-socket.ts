/**
 * `GreenSocket`: a `node:net` (or `node:tls`) socket that green threads use as if its calls
 * blocked — `recv`, `recvExactly`, `readLine`, `sendall` — the way the seed page's handlers do.
 *
 * This file is the public face and the lifecycle (wrapping, `shutdown`, `close`, `detach`);
 * the work is done in rooms of their own: `socket-reader.ts` (who waits for received bytes,
 * and the flow control that bounds them), `socket-writer.ts` (`sendall`'s backpressure and the
 * flush of `shutdown("write")`), `read-buffer.ts` (the bytes themselves), `socket-state.ts`
 * (what all of them consult) and `inspect-socket.ts` (how it prints).
 *
 * Every method is a green operation: kill and `Timeout` interrupt it while it waits. A call
 * that finds what it needs — buffered bytes for `recv`, room in the kernel for `sendall` —
 * returns without waiting and so is no interruption point (in Eventlet too, such a call does
 * not switch); the interruption reaches the thread at its next wait. An interrupted read
 * consumes nothing; an interrupted `sendall` has handed its bytes to Node's socket; an
 * interrupted `close` still closes.
 *
 * @module
 */

import type { Socket } from "node:net";
import { inspect } from "node:util";
import { suspend, type Waiter } from "@tendril/core";
import { checkInteger, describeValue } from "@tendril/core/validate";
import { ConcurrentRead, SocketClosed } from "./errors.js";
import { describeGreenSocket } from "./inspect-socket.js";
import { SocketReader } from "./socket-reader.js";
import { SocketState } from "./socket-state.js";
import { resolveNow, SocketWriter } from "./socket-writer.js";

/**
 * Options of a `GreenSocket`.
 *
 * @example
 * ```ts
 * const sock = new GreenSocket(net.connect(8080, "127.0.0.1"), { highWaterMark: 64 * 1024 });
 * ```
 */
export interface GreenSocketOptions {
  /**
   * Bytes buffered from the peer before the socket stops reading (the peer then waits).
   * Default 65536. A `recvExactly(n)` or `readLine` that needs more may buffer up to what it needs.
   */
  highWaterMark?: number;
}

/**
 * How `shutdown` closes a direction: `"write"` sends end-of-stream, `"read"` discards input, `"both"`.
 *
 * @example
 * ```ts
 * await sock.shutdown("write"); // the peer reads end of stream; this side can still read
 * ```
 */
export type ShutdownHow = "read" | "write" | "both";

/**
 * Options of `readLine`.
 *
 * @example
 * ```ts
 * const line = await sock.readLine({ maxLineBytes: 8192 }); // LineTooLong past 8 KiB
 * ```
 */
export interface ReadLineOptions {
  /** The longest line accepted, in bytes, counting the `"\n"`. Default 65536. */
  maxLineBytes?: number;
}

const DEFAULT_HWM = 65536;
const DEFAULT_MAX_LINE = 65536;

/**
 * A socket for green threads. Get one from `connect()`, `listener.accept()`, or wrap a connected
 * `net.Socket` yourself (`new GreenSocket(socket)`); from then on read it only through the
 * GreenSocket.
 *
 * @example
 * ```ts
 * const sock = await connect(["127.0.0.1", 6000]);
 * await sock.sendall("hello\n");
 * console.log(await sock.readLine()); // "hello\n" from an echo server
 * await sock.close();
 * ```
 */
export class GreenSocket {
  readonly #state: SocketState;
  readonly #reader: SocketReader;
  readonly #writer: SocketWriter;
  #closeWaiters: Array<Waiter<void>> | null = null;

  /**
   * Wraps a connected (or connecting) `net.Socket` or `tls.TLSSocket`. Start reading it only
   * through this object: the GreenSocket installs its own listeners and resumes the socket.
   *
   * @throws {TypeError|RangeError} when `highWaterMark` is not an integer >= 1.
   * @example
   * ```ts
   * import type { Socket } from "node:net";
   * server.on("upgrade", (req, socket) => spawn(handle, new GreenSocket(socket as Socket)));
   * ```
   */
  constructor(socket: Socket, options: GreenSocketOptions = {}) {
    if (socket === null || typeof socket !== "object" || typeof socket.write !== "function") {
      throw new TypeError(`GreenSocket: expected a net.Socket, received ${describeValue(socket)}`);
    }
    const hwm =
      options.highWaterMark === undefined
        ? DEFAULT_HWM
        : checkInteger("GreenSocket highWaterMark", options.highWaterMark, 1);
    const state = new SocketState(socket);
    this.#state = state;
    this.#reader = new SocketReader(state, hwm);
    this.#writer = new SocketWriter(state);
    socket.on("data", this.#reader.onData);
    socket.on("end", this.#reader.onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
    if (socket.destroyed) {
      state.ended = true;
      state.eof = true;
    } else socket.resume();
  }

  /**
   * How `console.log` and `util.inspect` show it — the two ends, and its state — instead of
   * the underlying socket's internals: `GreenSocket { 127.0.0.1:50312 -> 127.0.0.1:8080, buffered: 0 }`.
   */
  [inspect.custom](): string {
    return describeGreenSocket(this.#state, this.#reader.input.size);
  }

  /** The underlying `net.Socket` (or `tls.TLSSocket`), for options this class does not wrap. */
  get raw(): Socket {
    return this.#state.socket;
  }

  /** The peer's address (`undefined` for a Unix socket or once destroyed). */
  get remoteAddress(): string | undefined {
    return this.#state.socket.remoteAddress;
  }

  /** The peer's port. */
  get remotePort(): number | undefined {
    return this.#state.socket.remotePort;
  }

  /** `"IPv4"` or `"IPv6"` for TCP. */
  get remoteFamily(): string | undefined {
    return this.#state.socket.remoteFamily;
  }

  /** This side's address. */
  get localAddress(): string | undefined {
    return this.#state.socket.localAddress;
  }

  /** This side's port. */
  get localPort(): number | undefined {
    return this.#state.socket.localPort;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /** Bytes received and not yet read. */
  get bufferedAmount(): number {
    return this.#reader.input.size;
  }

  /** The timeout set by `setTimeout`, or `null`. */
  get timeout(): number | null {
    return this.#state.timeoutMs;
  }

  /**
   * Sets how long any one operation of this socket may wait (milliseconds), or `null` for no
   * limit (the default): a `recv`, `recvExactly`, `readLine`, `sendall` or `shutdown`
   * that waits longer rejects with `SocketTimeout`, and the socket stays usable (a read that
   * timed out consumed nothing). Measured on the hub's clock, so the virtual hub drives it in
   * tests. Unlike Node's `socket.setTimeout`, this is per operation, not an idle timer.
   *
   * @throws {TypeError|RangeError} when `ms` is not a number >= 0 or `null`.
   * @example
   * ```ts
   * sock.setTimeout(30_000);
   * const line = await sock.readLine(); // SocketTimeout if no full line within 30 s
   * ```
   */
  setTimeout(ms: number | null): this {
    if (ms !== null) {
      if (typeof ms !== "number" || Number.isNaN(ms)) {
        throw new TypeError(
          `GreenSocket.setTimeout: ms must be a number >= 0 or null, received ${describeValue(ms)}`,
        );
      }
      if (ms < 0) {
        throw new RangeError(
          `GreenSocket.setTimeout: ms must be a number >= 0 or null, received ${ms}`,
        );
      }
    }
    this.#state.timeoutMs = ms;
    return this;
  }

  /**
   * Turns Nagle's algorithm off (`true`, the default argument) or on, as `net.Socket.setNoDelay`.
   *
   * @example
   * ```ts
   * sock.setNoDelay(); // send small writes at once
   * ```
   */
  setNoDelay(noDelay = true): this {
    this.#state.socket.setNoDelay(noDelay);
    return this;
  }

  /**
   * Receives up to `maxBytes` bytes: whatever is buffered, or — if nothing is — the next chunk
   * that arrives. Resolves an empty array at the end of the stream (the peer shut down its
   * sending side or closed), and on every call after that.
   *
   * @throws {ConcurrentRead} when another green thread is reading this socket.
   * @throws {SocketClosed} after `close()`, or when `close()` is called while waiting.
   * @throws {SocketTimeout} when the socket's timeout (`setTimeout`) expires first.
   * @throws {Error} the system error of a broken connection (`ECONNRESET`, …).
   * @example
   * ```ts
   * for (;;) {
   *   const data = await sock.recv(4096);
   *   if (data.length === 0) break;
   *   await sock.sendall(data);
   * }
   * ```
   */
  recv(maxBytes = 65536): Promise<Uint8Array> {
    return this.#reader.recv(maxBytes);
  }

  /**
   * Receives exactly `n` bytes, waiting for as many chunks as it takes. If interrupted, it
   * consumes nothing.
   *
   * @throws {IncompleteRead} when the stream ends first (its `partial` holds what came).
   * @throws {ConcurrentRead|SocketClosed|SocketTimeout} as `recv`.
   * @example
   * ```ts
   * const header = await sock.recvExactly(4);
   * const body = await sock.recvExactly(new DataView(header.buffer, header.byteOffset).getUint32(0));
   * ```
   */
  recvExactly(n: number): Promise<Uint8Array> {
    return this.#reader.recvExactly(n);
  }

  /**
   * Receives one line, decoded as UTF-8, *with* its `"\n"` (as Python's `readline`), so that
   * the last line of a stream that does not end with a newline is still told apart from the
   * end of the stream, which resolves `""`.
   *
   * @throws {LineTooLong} when no `"\n"` comes within `maxLineBytes` bytes (the bytes stay buffered).
   * @throws {ConcurrentRead|SocketClosed|SocketTimeout} as `recv`.
   * @example
   * ```ts
   * for (let line = await sock.readLine(); line !== ""; line = await sock.readLine()) {
   *   await sock.sendall(line.toUpperCase());
   * }
   * ```
   */
  readLine(options: ReadLineOptions = {}): Promise<string> {
    return this.#reader.readLine(options.maxLineBytes ?? DEFAULT_MAX_LINE);
  }

  /**
   * Sends all of `data` (bytes, or a string as UTF-8) and resolves once all of it is in the
   * kernel's send buffer, as Python's `sendall`: at once when the write went straight through,
   * else when Node has flushed it — so a peer that reads slowly slows the sender down instead
   * of growing memory. If interrupted while waiting, the bytes stay queued in Node's socket
   * and are sent unless the socket is closed first.
   *
   * @throws {SocketClosed} after `close()` or `shutdown("write")`.
   * @throws {SocketTimeout} when the socket's timeout expires while waiting for the flush.
   * @throws {Error} the system error of a broken connection (`EPIPE`, `ECONNRESET`, …).
   * @example
   * ```ts
   * await sock.sendall(new TextEncoder().encode("ping\n"));
   * ```
   */
  sendall(data: Uint8Array | string): Promise<void> {
    return this.#writer.sendall(data);
  }

  /**
   * Shuts down one direction. `"write"` (the default) flushes what was sent and then sends
   * end-of-stream (the peer's `recv` returns empty; this side can still read) and resolves once
   * flushed. `"read"` discards what is buffered and what arrives, and makes `recv` return empty.
   *
   * @throws {SocketClosed} after `close()`.
   * @throws {SocketTimeout} when the flush outlasts the socket's timeout.
   * @example
   * ```ts
   * await sock.sendall(request);
   * await sock.shutdown("write");
   * const reply = await readAll(sock);
   * ```
   */
  shutdown(how: ShutdownHow = "write"): Promise<void> {
    if (how !== "read" && how !== "write" && how !== "both") {
      return Promise.reject(
        new TypeError(
          `shutdown: how must be "read", "write" or "both", received ${describeValue(how)}`,
        ),
      );
    }
    if (this.#state.closed) return Promise.reject(new SocketClosed("shutdown"));
    if (how !== "write") this.#reader.shut();
    if (how === "read") return suspend<void>(resolveNow);
    return this.#writer.shutdown();
  }

  /**
   * Closes the socket at once. A thread waiting in `recv` or `sendall` on it fails with
   * `SocketClosed`; buffered input is dropped. Everything `sendall` reported as sent is already
   * in the kernel, which still delivers it (as after Python's `close`). Resolves once Node has
   * released the socket; calling it again is harmless.
   *
   * @example
   * ```ts
   * try { await handle(sock); } finally { await sock.close(); }
   * ```
   */
  close(): Promise<void> {
    const state = this.#state;
    if (!state.closed) {
      state.closed = true;
      this.#reader.close();
      this.#writer.rejectAll(null);
      // Invariant: what sendall reported as sent is in the kernel, which sends it on close;
      // so closing never waits on the peer, and a socket never outlives close().
      if (!state.socket.destroyed) state.socket.destroy();
    }
    if (state.ended) return suspend<void>(resolveNow);
    return suspend<void>((waiter) => {
      if (this.#closeWaiters === null) this.#closeWaiters = [];
      this.#closeWaiters.push(waiter);
      return () => {
        const waiters = this.#closeWaiters;
        if (waiters !== null) {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
        }
      };
    });
  }

  /** `await using sock = await connect(…)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Iterates over received chunks (`recv(65536)`) until the end of the stream.
   *
   * @example
   * ```ts
   * let total = 0;
   * for await (const chunk of sock) total += chunk.length;
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.recv(65536);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  /**
   * Detaches the underlying socket from this GreenSocket and returns it (used by `wrapTls` for
   * STARTTLS-style upgrades). The GreenSocket is then closed for every use.
   *
   * @throws {ConcurrentRead} when a read is waiting on the socket.
   * @throws {SocketClosed} when it is closed, or holds received bytes nobody has read (they
   *   would be lost).
   * @internal
   */
  detach(): Socket {
    const state = this.#state;
    const socket = state.socket;
    if (state.closed) throw new SocketClosed("detach the socket");
    if (this.#reader.waiting) throw new ConcurrentRead("detach");
    const buffered = this.#reader.input.size;
    if (buffered > 0) {
      throw new SocketClosed(
        `detach the socket: ${buffered} received byte(s) have not been read and would be lost`,
      );
    }
    socket.off("data", this.#reader.onData);
    socket.off("end", this.#reader.onEnd);
    socket.off("error", this.#onError);
    socket.off("close", this.#onClose);
    socket.pause();
    state.closed = true;
    state.ended = true;
    return socket;
  }

  // ---- lifecycle: the socket's own events --------------------------------------------------

  readonly #onError = (error: Error): void => {
    const state = this.#state;
    if (state.error === null) state.error = error;
    this.#reader.wake();
    this.#writer.rejectAll(error);
  };

  readonly #onClose = (): void => {
    const state = this.#state;
    state.ended = true;
    state.eof = true;
    this.#reader.wake();
    this.#writer.rejectAll(state.error);
    const waiters = this.#closeWaiters;
    if (waiters !== null) {
      this.#closeWaiters = null;
      for (const w of waiters) w.resolve();
    }
  };
}
