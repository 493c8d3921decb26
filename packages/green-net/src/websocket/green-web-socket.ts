/**
 * `GreenWebSocket`: a `ws` WebSocket that green threads use in the blocking style — `recv()`
 * waits for the next message, `send()` for the message to be written — as Eventlet's
 * `websocket.WebSocket` (`wait()` / `send()`).
 *
 * Messages arriving before anyone reads them are buffered; past `highWaterMark` bytes the
 * socket is paused, so a handler that reads slowly makes the *peer* wait instead of this
 * process buffering without bound. Every method is a green operation: kill and `Timeout`
 * interrupt a waiting `recv` (nothing is consumed), a `send` (the message stays queued in
 * `ws` and goes out unless the socket closes first), and `close` (which then drops the
 * connection at once). Only one green thread may read at a time (`ConcurrentRead`).
 *
 * @module
 */

import { suspend, type Waiter } from "@tendril/core";
import { checkInteger, describeValue } from "@tendril/core/validate";
import type { RawData, WebSocket } from "ws";
import { ConcurrentRead } from "../socket/errors.js";
import { WebSocketClosed } from "./errors.js";

/**
 * A message: a string for a text frame, bytes for a binary one.
 *
 * @example
 * ```ts
 * const message: WebSocketMessage | null = await ws.recv();
 * if (typeof message === "string") console.log("text:", message);
 * else if (message !== null) console.log("binary:", message.byteLength, "bytes");
 * ```
 */
export type WebSocketMessage = string | Uint8Array;

/**
 * Options of a `GreenWebSocket`.
 *
 * @example
 * ```ts
 * const options: GreenWebSocketOptions = { highWaterMark: 256 * 1024 }; // pause at 256 KiB unread
 * const ws = new GreenWebSocket(raw, options);
 * ```
 */
export interface GreenWebSocketOptions {
  /** Bytes of unread messages buffered before the socket is paused. Default 1 MiB. */
  highWaterMark?: number;
}

const OPEN = 1;
const DEFAULT_HWM = 1 << 20;

function size(message: WebSocketMessage): number {
  return typeof message === "string" ? message.length : message.byteLength;
}

/**
 * A websocket for green threads. Servers get one per connection from `serveWebSocket`;
 * clients from `connectWebSocket`.
 *
 * @example
 * ```ts
 * const ws = await connectWebSocket("ws://127.0.0.1:8080/echo");
 * await ws.send("hello");
 * console.log(await ws.recv()); // "hello" from an echo handler
 * await ws.close();
 * ```
 */
export class GreenWebSocket {
  readonly #ws: WebSocket;
  readonly #hwm: number;
  #messages: WebSocketMessage[] = [];
  #head = 0;
  #buffered = 0;
  #reader: Waiter<WebSocketMessage | null> | null = null;
  #closed = false;
  #error: Error | null = null;
  #closeCode: number | null = null;
  #closeReason = "";
  #closeWaiters: Array<Waiter<void>> = [];
  #sendWaiters = new Set<Waiter<void>>();

  /**
   * Wraps an open `ws` WebSocket. From then on read it only through this object.
   *
   * @throws {TypeError|RangeError} when `highWaterMark` is not an integer >= 1.
   * @example
   * ```ts
   * wss.on("connection", (raw) => spawn(handler, new GreenWebSocket(raw)));
   * ```
   */
  constructor(ws: WebSocket, options: GreenWebSocketOptions = {}) {
    if (ws === null || typeof ws !== "object" || typeof ws.send !== "function") {
      throw new TypeError(`GreenWebSocket: expected a ws WebSocket, received ${describeValue(ws)}`);
    }
    this.#ws = ws;
    this.#hwm =
      options.highWaterMark === undefined
        ? DEFAULT_HWM
        : checkInteger("GreenWebSocket highWaterMark", options.highWaterMark, 1);
    ws.on("message", this.#onMessage);
    ws.on("error", this.#onError);
    ws.on("close", this.#onClose);
    if (ws.readyState > OPEN) this.#closed = true;
  }

  /** The subprotocol the server chose (`""` for none). */
  get protocol(): string {
    return this.#ws.protocol;
  }

  /** `0` connecting, `1` open, `2` closing, `3` closed — as the web's `WebSocket.readyState`. */
  get readyState(): number {
    return this.#ws.readyState;
  }

  /** The close code once the connection has closed (1000 normal, 1006 dropped, …), else `null`. */
  get closeCode(): number | null {
    return this.#closeCode;
  }

  /** The close reason the peer gave, once closed. */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** Bytes of messages received and not yet read. */
  get bufferedAmount(): number {
    return this.#buffered;
  }

  /** The underlying `ws` WebSocket, for options this class does not wrap. */
  get raw(): WebSocket {
    return this.#ws;
  }

  /**
   * Receives the next message: a `string` (text frame) or a `Uint8Array` (binary frame), or
   * `null` once the connection has closed and every buffered message was read (Eventlet's
   * `wait()` returning `None`). A green operation; interrupted, it consumes nothing.
   *
   * @throws {ConcurrentRead} when another green thread is reading this websocket.
   * @throws {Error} the protocol error that broke the connection (a `ws` error with a
   *   `WS_ERR_…` code, such as a message over `maxPayloadBytes`).
   * @example
   * ```ts
   * for (let m = await ws.recv(); m !== null; m = await ws.recv()) await ws.send(m);
   * ```
   */
  recv(): Promise<WebSocketMessage | null> {
    if (this.#reader !== null) return Promise.reject(new ConcurrentRead("recv"));
    if (this.#head < this.#messages.length) return Promise.resolve(this.#take());
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#closed) return Promise.resolve(null);
    return suspend<WebSocketMessage | null>((waiter) => {
      this.#reader = waiter;
      return () => {
        if (this.#reader === waiter) this.#reader = null;
      };
    });
  }

  /**
   * Sends a message — a string as a text frame, bytes as a binary frame — and resolves once
   * `ws` has written it to the socket, so a peer that reads slowly slows the sender down.
   *
   * @throws {TypeError} when `data` is neither a string nor a `Uint8Array`.
   * @throws {WebSocketClosed} when the websocket is closing or closed.
   * @example
   * ```ts
   * await ws.send(JSON.stringify({ type: "hello" }));
   * await ws.send(new Uint8Array([1, 2, 3]));
   * ```
   */
  send(data: WebSocketMessage): Promise<void> {
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      return Promise.reject(
        new TypeError(
          `GreenWebSocket.send: data must be a string or a Uint8Array, received ${describeValue(data)}`,
        ),
      );
    }
    if (this.#ws.readyState !== OPEN) return Promise.reject(new WebSocketClosed("send"));
    return suspend<void>((waiter) => {
      this.#sendWaiters.add(waiter);
      this.#ws.send(data, { binary: typeof data !== "string" }, (error) => {
        this.#sendWaiters.delete(waiter);
        if (error) waiter.reject(this.#closed ? new WebSocketClosed("send") : error);
        else waiter.resolve();
      });
      return () => this.#sendWaiters.delete(waiter);
    });
  }

  /**
   * Starts the closing handshake with `code` (default 1000) and `reason`, and resolves once the
   * connection has closed. Interrupted, it drops the connection at once. Calling it again, or
   * on a closed websocket, is harmless.
   *
   * @throws {RangeError} when `code` is not 1000 or in 3000–4999 (the codes an application may send).
   * @example
   * ```ts
   * try { await chat(ws); } finally { await ws.close(1001, "server going down"); }
   * ```
   */
  close(code = 1000, reason = ""): Promise<void> {
    if (!(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
      return Promise.reject(
        new RangeError(
          `GreenWebSocket.close: code must be 1000 or an integer in 3000-4999, received ${describeValue(code)}`,
        ),
      );
    }
    if (typeof reason !== "string" || Buffer.byteLength(reason) > 123) {
      return Promise.reject(
        new RangeError(
          `GreenWebSocket.close: reason must be a string of at most 123 bytes, received ${describeValue(reason)}`,
        ),
      );
    }
    return this.#close(code, reason);
  }

  /** Drops the connection at once, without a closing handshake (`ws.terminate()`). */
  terminate(): void {
    this.#ws.terminate();
  }

  /** `await using ws = await connectWebSocket(…)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#close(1000, "");
  }

  /**
   * Iterates over messages until the connection closes.
   *
   * @example
   * ```ts
   * for await (const message of ws) console.log(message);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<WebSocketMessage> {
    for (;;) {
      const message = await this.recv();
      if (message === null) return;
      yield message;
    }
  }

  /** @internal Closes with a server-side code too (1011 after a handler's error). */
  _closeWith(code: number, reason: string): Promise<void> {
    return this.#close(code, reason);
  }

  #close(code: number, reason: string): Promise<void> {
    if (this.#closed) return suspend<void>((waiter) => void waiter.resolve());
    const ws = this.#ws;
    return suspend<void>((waiter) => {
      this.#closeWaiters.push(waiter);
      if (ws.readyState === OPEN || ws.readyState === 0) ws.close(code, reason);
      return () => {
        const i = this.#closeWaiters.indexOf(waiter);
        if (i >= 0) this.#closeWaiters.splice(i, 1);
        ws.terminate();
      };
    });
  }

  #take(): WebSocketMessage {
    const message = this.#messages[this.#head] as WebSocketMessage;
    this.#messages[this.#head++] = "";
    if (this.#head === this.#messages.length) {
      this.#messages = [];
      this.#head = 0;
    }
    this.#buffered -= size(message);
    if (this.#ws.isPaused && this.#buffered < this.#hwm) this.#ws.resume();
    return message;
  }

  #onMessage = (data: RawData, isBinary: boolean): void => {
    const message: WebSocketMessage = isBinary
      ? Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : data
      : data.toString();
    const reader = this.#reader;
    if (reader !== null) {
      this.#reader = null;
      if (reader.resolve(message)) return;
    }
    this.#messages.push(message);
    this.#buffered += size(message);
    // Invariant: past the high-water mark, ws stops reading the socket until a recv drains it.
    if (this.#buffered >= this.#hwm) this.#ws.pause();
  };

  #onError = (error: Error): void => {
    this.#error ??= error;
    const reader = this.#reader;
    if (reader !== null) {
      this.#reader = null;
      reader.reject(error);
    }
  };

  #onClose = (code: number, reason: Buffer): void => {
    this.#closed = true;
    this.#closeCode = code;
    this.#closeReason = reason.toString();
    const reader = this.#reader;
    if (reader !== null) {
      this.#reader = null;
      if (this.#error !== null) reader.reject(this.#error);
      else reader.resolve(null);
    }
    for (const waiter of this.#sendWaiters) waiter.reject(new WebSocketClosed("send"));
    this.#sendWaiters.clear();
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  };
}
