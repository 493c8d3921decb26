/**
 * `GreenSocket`: a `node:net` (or `node:tls`) socket that green threads use as if its calls
 * blocked — `recv`, `recvExactly`, `readLine`, `sendall` — the way the seed page's handlers do.
 *
 * How it reads: the socket runs in flowing mode into a small buffer (`ReadBuffer`, in
 * `read-buffer.ts`, which owns the bytes; this file owns who waits for them). A `recv` that
 * finds bytes returns them at once; one that finds none parks a single reader slot that the
 * next `'data'` event fills directly (no copy, no extra turn). When the buffer reaches its
 * high-water mark (64 KiB by default) the socket is paused, so a handler that reads slowly
 * makes the *peer* wait, never this process buffer without bound; draining it resumes the
 * socket. How it writes: `sendall` resolves once its bytes are in the kernel, as Python's
 * does — at once when the write went straight through (the usual case for small messages),
 * else when Node's write callback says the chunk was flushed. A slow reader on the other side
 * holds the writing thread, not memory; and since nothing `sendall` reported as sent waits in
 * Node's buffers, `close()` can close at once without losing it.
 *
 * Every method is a green operation: kill and `Timeout` interrupt it while it waits. A call
 * that finds what it needs — buffered bytes for `recv`, room in the kernel for `sendall` —
 * returns without waiting and so is no interruption point (in Eventlet too, such a call does
 * not switch); the interruption reaches the thread at its next wait. An interrupted read
 * consumes nothing (bytes that arrive later stay buffered for the next read); an interrupted
 * `sendall` has handed its bytes to Node's socket, which sends them unless the socket is
 * closed first (as with Python, part of them may have gone out); an interrupted
 * `close` still closes. Only one green thread may read at a time: a second
 * simultaneous read fails with `ConcurrentRead` instead of stealing part of the stream.
 *
 * @module
 */

import type { Socket } from "node:net";
import { inspect } from "node:util";
import { getHub, suspend, type TimerHandle, type Waiter } from "@tendril/core";
import {
  ConcurrentRead,
  checkInteger,
  describeValue,
  IncompleteRead,
  LineTooLong,
  SocketClosed,
  SocketTimeout,
} from "./errors.js";
import { ReadBuffer } from "./read-buffer.js";

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

const EMPTY: Uint8Array = Buffer.alloc(0);
const RESOLVED: Promise<void> = Promise.resolve();
const DEFAULT_HWM = 65536;
const DEFAULT_MAX_LINE = 65536;

// Reader kinds: what the parked reader waits for.
const NONE = 0;
const RECV = 1;
const EXACT = 2;
const LINE = 3;
const opName = (kind: number): string =>
  kind === EXACT ? "recvExactly" : kind === LINE ? "readLine" : "recv";

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
  // The fields one round trip of recv + sendall reads come first, together (the kernel's work
  // between two round trips evicts them from the CPU's caches, and each line is a miss).
  readonly #socket: Socket;
  // The one parked reader, kept in fields so a recv allocates nothing of its own.
  #rWaiter: Waiter<unknown> | null = null;
  #rKind = NONE;
  #rN = 0;
  #rTimer: TimerHandle | null = null;
  #readShut = false;
  #closed = false;
  #writeShut = false;
  #error: Error | null = null;
  #eof = false;
  #paused = false;
  #timeoutMs: number | null = null;

  readonly #hwm: number;
  readonly #input = new ReadBuffer();
  #ended = false; // the underlying socket emitted 'close'
  #pendingIndex = 0;
  // One entry per write still in Node's buffer, in write order: the sendall waiting for it
  // to reach the kernel, or null. Write callbacks come in the same order and shift it.
  #writes: Array<Waiter<void> | null> = [];
  // The timeouts of sendalls waiting for a flush; made on the first one (most sockets never
  // set a timeout, and a Map per connection is memory every idle connection would hold).
  #writeTimers: Map<Waiter<void>, TimerHandle> | null = null;
  #closeWaiters: Array<Waiter<void>> | null = null;

  /**
   * Wraps a connected (or connecting) `net.Socket` or `tls.TLSSocket`. Start reading it only
   * through this object: the GreenSocket installs its own listeners and resumes the socket.
   *
   * @throws {TypeError|RangeError} when `highWaterMark` is not an integer >= 1.
   * @example
   * ```ts
   * server.on("upgrade", (req, socket) => spawn(handle, new GreenSocket(socket as net.Socket)));
   * ```
   */
  constructor(socket: Socket, options: GreenSocketOptions = {}) {
    if (socket === null || typeof socket !== "object" || typeof socket.write !== "function") {
      throw new TypeError(`GreenSocket: expected a net.Socket, received ${describeValue(socket)}`);
    }
    this.#socket = socket;
    this.#hwm =
      options.highWaterMark === undefined
        ? DEFAULT_HWM
        : checkInteger("GreenSocket highWaterMark", options.highWaterMark, 1);
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
    if (socket.destroyed) {
      this.#ended = true;
      this.#eof = true;
    } else socket.resume();
  }

  /**
   * How `console.log` and `util.inspect` show it — the two ends, and its state — instead of
   * the underlying socket's internals: `GreenSocket { 127.0.0.1:50312 -> 127.0.0.1:8080, buffered: 0 }`.
   */
  [inspect.custom](): string {
    const socket = this.#socket;
    const end = (host: string | undefined, port: number | undefined): string =>
      host === undefined ? "?" : `${host.includes(":") ? `[${host}]` : host}:${port ?? "?"}`;
    const ends =
      socket.remoteAddress === undefined && socket.localAddress === undefined
        ? "unix or unconnected"
        : `${end(socket.localAddress, socket.localPort)} -> ${end(socket.remoteAddress, socket.remotePort)}`;
    const state = this.#closed
      ? ", closed"
      : this.#error !== null
        ? `, failed: ${this.#error.message}`
        : this.#eof && this.#input.size === 0
          ? ", at end"
          : "";
    const tls = "encrypted" in socket ? ", tls" : "";
    return `GreenSocket { ${ends}${tls}, buffered: ${this.#input.size}${state} }`;
  }

  /** The underlying `net.Socket` (or `tls.TLSSocket`), for options this class does not wrap. */
  get raw(): Socket {
    return this.#socket;
  }

  /** The peer's address (`undefined` for a Unix socket or once destroyed). */
  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  /** The peer's port. */
  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }

  /** `"IPv4"` or `"IPv6"` for TCP. */
  get remoteFamily(): string | undefined {
    return this.#socket.remoteFamily;
  }

  /** This side's address. */
  get localAddress(): string | undefined {
    return this.#socket.localAddress;
  }

  /** This side's port. */
  get localPort(): number | undefined {
    return this.#socket.localPort;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes received and not yet read. */
  get bufferedAmount(): number {
    return this.#input.size;
  }

  /** The timeout set by `setTimeout`, or `null`. */
  get timeout(): number | null {
    return this.#timeoutMs;
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
    this.#timeoutMs = ms;
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
    this.#socket.setNoDelay(noDelay);
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
    if (!(Number.isInteger(maxBytes) && maxBytes > 0))
      return Promise.reject(badCount("recv: maxBytes", maxBytes));
    if (this.#rWaiter !== null) return Promise.reject(new ConcurrentRead("recv"));
    // Bytes are buffered: nothing to wait for, so no green operation (no switch, as in Eventlet).
    if (this.#input.size > 0 && !this.#closed) return Promise.resolve(this.#take(maxBytes));
    this.#rKind = RECV;
    this.#rN = maxBytes;
    return suspend<Uint8Array>(this.#startRead as (w: Waiter<Uint8Array>) => undefined);
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
    if (!(Number.isInteger(n) && n >= 0)) return Promise.reject(badCount("recvExactly: n", n, 0));
    if (this.#rWaiter !== null) return Promise.reject(new ConcurrentRead("recvExactly"));
    this.#rKind = EXACT;
    this.#rN = n;
    return suspend<Uint8Array>(this.#startRead as (w: Waiter<Uint8Array>) => undefined);
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
    const maxLength = options.maxLineBytes ?? DEFAULT_MAX_LINE;
    if (!(Number.isInteger(maxLength) && maxLength > 0)) {
      return Promise.reject(badCount("readLine: maxLineBytes", maxLength));
    }
    if (this.#rWaiter !== null) return Promise.reject(new ConcurrentRead("readLine"));
    this.#rKind = LINE;
    this.#rN = maxLength;
    this.#input.resetScan();
    return suspend<string>(this.#startRead as (w: Waiter<string>) => undefined);
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
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      return Promise.reject(
        new TypeError(
          `sendall: data must be a Uint8Array or a string, received ${describeValue(data)}`,
        ),
      );
    }
    const socket = this.#socket;
    if (this.#closed || this.#writeShut || this.#error !== null || socket.destroyed) {
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
    if (this.#closed) return Promise.reject(new SocketClosed("shutdown"));
    if (how !== "write") this.#shutRead();
    if (how === "read" || this.#writeShut) return suspend<void>(resolveNow);
    this.#writeShut = true;
    const socket = this.#socket;
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
      const timer =
        this.#timeoutMs === null
          ? null
          : getHub().schedule(this.#timeoutMs, () => {
              cleanup();
              waiter.reject(new SocketTimeout(this.#timeoutMs ?? 0, "shutdown"));
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
    const socket = this.#socket;
    if (!this.#closed) {
      this.#closed = true;
      this.#readShut = true;
      this.#discardInput();
      const reader = this.#rWaiter;
      if (reader !== null) {
        const kind = this.#rKind;
        this.#clearReader();
        reader.reject(new SocketClosed(opName(kind)));
      }
      this.#rejectWriters(null);
      // Invariant: what sendall reported as sent is in the kernel, which sends it on close;
      // so closing never waits on the peer, and a socket never outlives close().
      if (!socket.destroyed) socket.destroy();
    }
    if (this.#ended) return suspend<void>(resolveNow);
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
    const socket = this.#socket;
    if (this.#closed) throw new SocketClosed("detach the socket");
    if (this.#rWaiter !== null) throw new ConcurrentRead("detach");
    if (this.#input.size > 0) {
      throw new SocketClosed(
        `detach the socket: ${this.#input.size} received byte(s) have not been read and would be lost`,
      );
    }
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("error", this.#onError);
    socket.off("close", this.#onClose);
    socket.pause();
    this.#closed = true;
    this.#ended = true;
    return socket;
  }

  // ---- reading -------------------------------------------------------------------------

  // The executor of every read: complete at once if possible, else park the reader.
  readonly #startRead = (waiter: Waiter<unknown>): (() => void) | undefined => {
    const kind = this.#rKind;
    if (this.#closed) {
      waiter.reject(new SocketClosed(opName(kind)));
      return undefined;
    }
    if (kind === RECV && this.#input.size > 0) {
      waiter.resolve(this.#take(this.#rN));
      return undefined;
    }
    this.#rWaiter = waiter;
    if (this.#tryComplete()) return undefined;
    if (this.#paused && this.#input.size < this.#limit()) this.#resume();
    if (this.#timeoutMs !== null)
      this.#rTimer = getHub().schedule(this.#timeoutMs, this.#onReadTimeout);
    return this.#cancelRead;
  };

  readonly #cancelRead = (): void => {
    this.#clearReader();
  };

  readonly #onReadTimeout = (): void => {
    const waiter = this.#rWaiter;
    if (waiter === null) return;
    const kind = this.#rKind;
    this.#rTimer = null;
    this.#clearReader();
    waiter.reject(new SocketTimeout(this.#timeoutMs ?? 0, opName(kind)));
  };

  #clearReader(): void {
    this.#rWaiter = null;
    this.#rKind = NONE;
    const timer = this.#rTimer;
    if (timer !== null) {
      this.#rTimer = null;
      timer.cancel();
    }
  }

  // Completes the parked reader if the buffer (or the stream's state) allows. Returns whether it did.
  #tryComplete(): boolean {
    const waiter = this.#rWaiter as Waiter<unknown>;
    const kind = this.#rKind;
    const n = this.#rN;
    if (kind === RECV) {
      if (this.#input.size > 0) {
        this.#clearReader();
        waiter.resolve(this.#take(n));
        return true;
      }
    } else if (kind === EXACT) {
      if (this.#input.size >= n) {
        this.#clearReader();
        waiter.resolve(this.#takeExactly(n));
        return true;
      }
    } else {
      const end = this.#input.findNewline();
      if (end > n || (end < 0 && this.#input.size >= n)) {
        this.#clearReader();
        waiter.reject(new LineTooLong(n));
        return true;
      }
      if (end > 0) {
        this.#clearReader();
        waiter.resolve(bufferToString(this.#takeExactly(end)));
        return true;
      }
    }
    if (this.#error !== null) {
      this.#clearReader();
      waiter.reject(this.#error);
      return true;
    }
    if (this.#eof || this.#readShut) {
      this.#clearReader();
      if (kind === RECV) waiter.resolve(EMPTY);
      else if (kind === EXACT) {
        if (n === 0) waiter.resolve(EMPTY);
        else waiter.reject(new IncompleteRead(this.#takeExactly(this.#input.size), n));
      } else waiter.resolve(bufferToString(this.#takeExactly(this.#input.size)));
      return true;
    }
    return false;
  }

  // Taking may bring the buffer back under the high-water mark: resume the socket then.
  #take(max: number): Buffer {
    const out = this.#input.take(max);
    if (this.#paused && this.#input.size < this.#hwm) this.#resume();
    return out;
  }

  #takeExactly(n: number): Buffer {
    const out = this.#input.takeExactly(n);
    if (this.#paused && this.#input.size < this.#hwm) this.#resume();
    return out;
  }

  // The buffer may grow past the high-water mark only as far as the parked reader needs.
  #limit(): number {
    const kind = this.#rWaiter === null ? NONE : this.#rKind;
    return kind === EXACT || kind === LINE ? Math.max(this.#hwm, this.#rN) : this.#hwm;
  }

  #pause(): void {
    this.#paused = true;
    this.#socket.pause();
  }

  #resume(): void {
    this.#paused = false;
    this.#socket.resume();
  }

  #discardInput(): void {
    this.#input.clear();
    if (this.#paused) this.#resume();
  }

  #shutRead(): void {
    this.#readShut = true;
    this.#discardInput();
    if (this.#rWaiter !== null) this.#tryComplete();
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#readShut) return;
    const waiter = this.#rWaiter;
    if (waiter !== null && this.#rKind === RECV) {
      // Invariant: a parked recv means the buffer was empty, so this chunk is the next data.
      if (chunk.length <= this.#rN) {
        this.#clearReader();
        waiter.resolve(chunk);
        return;
      }
      this.#input.push(chunk);
      this.#clearReader();
      waiter.resolve(this.#take(this.#rN));
      return;
    }
    this.#input.push(chunk);
    if (waiter !== null && this.#tryComplete()) return;
    if (!this.#paused && this.#input.size >= this.#limit()) this.#pause();
  };

  readonly #onEnd = (): void => {
    this.#eof = true;
    if (this.#rWaiter !== null) this.#tryComplete();
  };

  readonly #onError = (error: Error): void => {
    if (this.#error === null) this.#error = error;
    if (this.#rWaiter !== null) this.#tryComplete();
    this.#rejectWriters(error);
  };

  readonly #onClose = (): void => {
    this.#ended = true;
    this.#eof = true;
    if (this.#rWaiter !== null) this.#tryComplete();
    this.#rejectWriters(this.#error);
    const waiters = this.#closeWaiters;
    if (waiters !== null) {
      this.#closeWaiters = null;
      for (const w of waiters) w.resolve();
    }
  };

  // ---- writing -------------------------------------------------------------------------

  #sendError(): Error {
    if (this.#closed || this.#socket.destroyed) return new SocketClosed("sendall");
    if (this.#writeShut) return new SocketClosed('sendall after shutdown("write")');
    return this.#error as Error;
  }

  // The executor of a sendall whose bytes are still in Node's buffer: wait for the flush.
  readonly #waitFlushed = (waiter: Waiter<void>): (() => void) | undefined => {
    this.#writes[this.#pendingIndex] = waiter;
    if (this.#timeoutMs !== null) {
      const ms = this.#timeoutMs;
      const timer = getHub().schedule(ms, () => {
        this.#forgetWriter(waiter);
        waiter.reject(new SocketTimeout(ms, "sendall"));
      });
      if (this.#writeTimers === null) this.#writeTimers = new Map();
      this.#writeTimers.set(waiter, timer);
    }
    return () => {
      this.#forgetWriter(waiter);
    };
  };

  // Keeps the write's slot (callbacks still come for it) but nobody waits on it any more.
  #forgetWriter(waiter: Waiter<void>): void {
    const i = this.#writes.indexOf(waiter);
    if (i >= 0) this.#writes[i] = null;
    this.#cancelWriteTimer(waiter);
  }

  #cancelWriteTimer(waiter: Waiter<void>): void {
    const timers = this.#writeTimers;
    const timer = timers?.get(waiter);
    if (timer !== undefined) {
      timers?.delete(waiter);
      timer.cancel();
    }
  }

  readonly #onWritten = (error?: Error | null): void => {
    const waiter = this.#writes.shift();
    if (waiter === undefined || waiter === null) return;
    this.#cancelWriteTimer(waiter);
    if (error) waiter.reject(this.#error ?? error);
    else waiter.resolve();
  };

  // Fails every sendall still waiting, with `error` or (null) SocketClosed. The error is only
  // built when someone waits: every connection ends through here, and an Error's stack is costly.
  #rejectWriters(error: Error | null): void {
    const writes = this.#writes;
    for (let i = 0; i < writes.length; i++) {
      const waiter = writes[i];
      if (waiter) {
        writes[i] = null;
        this.#forgetWriter(waiter);
        error ??= new SocketClosed("sendall");
        waiter.reject(error);
      }
    }
  }
}

function resolveNow(waiter: Waiter<void>): undefined {
  waiter.resolve();
  return undefined;
}

function bufferToString(buffer: Buffer): string {
  return buffer.toString("utf8");
}

function badCount(what: string, value: unknown, min = 1): Error {
  if (typeof value !== "number" || Number.isNaN(value)) {
    return new TypeError(`${what} must be an integer >= ${min}, received ${describeValue(value)}`);
  }
  return new RangeError(`${what} must be an integer >= ${min}, received ${describeValue(value)}`);
}
