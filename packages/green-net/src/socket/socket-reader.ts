/**
 * `SocketReader`: the reading side of a `GreenSocket` — who waits for received bytes, and the
 * flow control that keeps them bounded. (`ReadBuffer` owns the bytes themselves.)
 *
 * The socket runs in flowing mode into the buffer. A `recv` that finds bytes returns them at
 * once; one that finds none parks a single reader slot that the next `'data'` event fills
 * directly (no copy, no extra turn). When the buffer reaches its high-water mark (64 KiB by
 * default) the socket is paused, so a handler that reads slowly makes the *peer* wait, never
 * this process buffer without bound; draining it resumes the socket. An interrupted read
 * consumes nothing: bytes that arrive later stay buffered for the next read. Only one green
 * thread may read at a time; a second simultaneous read fails with `ConcurrentRead` instead of
 * stealing part of the stream.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

import { getHub, suspend, type TimerHandle, type Waiter } from "@tendril/core";
import { describeValue } from "@tendril/core/validate";
import {
  ConcurrentRead,
  IncompleteRead,
  LineTooLong,
  SocketClosed,
  SocketTimeout,
} from "./errors.js";
import { ReadBuffer } from "./read-buffer.js";
import type { SocketState } from "./socket-state.js";

const EMPTY: Uint8Array = Buffer.alloc(0);

// Reader kinds: what the parked reader waits for.
const NONE = 0;
const RECV = 1;
const EXACT = 2;
const LINE = 3;
const opName = (kind: number): string =>
  kind === EXACT ? "recvExactly" : kind === LINE ? "readLine" : "recv";

/** @internal The reading side of one GreenSocket. */
export class SocketReader {
  readonly #state: SocketState;
  // The one parked reader, kept in fields so a recv allocates nothing of its own.
  #waiter: Waiter<unknown> | null = null;
  #kind = NONE;
  #n = 0;
  #timer: TimerHandle | null = null;
  #paused = false;
  readonly #hwm: number;
  readonly input = new ReadBuffer();

  constructor(state: SocketState, highWaterMark: number) {
    this.#state = state;
    this.#hwm = highWaterMark;
  }

  /** True while a read is waiting. */
  get waiting(): boolean {
    return this.#waiter !== null;
  }

  /** `recv(maxBytes)`; see `GreenSocket.recv`. */
  recv(maxBytes: number): Promise<Uint8Array> {
    if (!(Number.isInteger(maxBytes) && maxBytes > 0))
      return Promise.reject(badCount("recv: maxBytes", maxBytes));
    if (this.#waiter !== null) return Promise.reject(new ConcurrentRead("recv"));
    // Bytes are buffered: nothing to wait for, so no green operation (no switch, as in Eventlet).
    if (this.input.size > 0 && !this.#state.closed) return Promise.resolve(this.#take(maxBytes));
    this.#kind = RECV;
    this.#n = maxBytes;
    return suspend<Uint8Array>(this.#startRead as (w: Waiter<Uint8Array>) => undefined);
  }

  /** `recvExactly(n)`; see `GreenSocket.recvExactly`. */
  recvExactly(n: number): Promise<Uint8Array> {
    if (!(Number.isInteger(n) && n >= 0)) return Promise.reject(badCount("recvExactly: n", n, 0));
    if (this.#waiter !== null) return Promise.reject(new ConcurrentRead("recvExactly"));
    this.#kind = EXACT;
    this.#n = n;
    return suspend<Uint8Array>(this.#startRead as (w: Waiter<Uint8Array>) => undefined);
  }

  /** `readLine(maxLength)`; see `GreenSocket.readLine`. */
  readLine(maxLength: number): Promise<string> {
    if (!(Number.isInteger(maxLength) && maxLength > 0)) {
      return Promise.reject(badCount("readLine: maxLineBytes", maxLength));
    }
    if (this.#waiter !== null) return Promise.reject(new ConcurrentRead("readLine"));
    this.#kind = LINE;
    this.#n = maxLength;
    this.input.resetScan();
    return suspend<string>(this.#startRead as (w: Waiter<string>) => undefined);
  }

  /** The stream's state changed (end, error, close): complete the parked reader if it can. */
  wake(): void {
    if (this.#waiter !== null) this.#tryComplete();
  }

  /** `shutdown("read")`: drop what is buffered and what comes; reads see the end. */
  shut(): void {
    this.#state.readShut = true;
    this.#discardInput();
    this.wake();
  }

  /** `close()`: drop the input and fail the parked reader with `SocketClosed`. */
  close(): void {
    this.#state.readShut = true;
    this.#discardInput();
    const reader = this.#waiter;
    if (reader !== null) {
      const kind = this.#kind;
      this.#clear();
      reader.reject(new SocketClosed(opName(kind)));
    }
  }

  // The executor of every read: complete at once if possible, else park the reader.
  readonly #startRead = (waiter: Waiter<unknown>): (() => void) | undefined => {
    const kind = this.#kind;
    const state = this.#state;
    if (state.closed) {
      waiter.reject(new SocketClosed(opName(kind)));
      return undefined;
    }
    if (kind === RECV && this.input.size > 0) {
      waiter.resolve(this.#take(this.#n));
      return undefined;
    }
    this.#waiter = waiter;
    if (this.#tryComplete()) return undefined;
    if (this.#paused && this.input.size < this.#limit()) this.#resume();
    if (state.timeoutMs !== null) this.#timer = getHub().schedule(state.timeoutMs, this.#onTimeout);
    return this.#cancel;
  };

  readonly #cancel = (): void => {
    this.#clear();
  };

  readonly #onTimeout = (): void => {
    const waiter = this.#waiter;
    if (waiter === null) return;
    const kind = this.#kind;
    this.#timer = null;
    this.#clear();
    waiter.reject(new SocketTimeout(this.#state.timeoutMs ?? 0, opName(kind)));
  };

  #clear(): void {
    this.#waiter = null;
    this.#kind = NONE;
    const timer = this.#timer;
    if (timer !== null) {
      this.#timer = null;
      timer.cancel();
    }
  }

  // Completes the parked reader if the buffer (or the stream's state) allows. Returns whether it did.
  #tryComplete(): boolean {
    const waiter = this.#waiter as Waiter<unknown>;
    const kind = this.#kind;
    const n = this.#n;
    const input = this.input;
    if (kind === RECV) {
      if (input.size > 0) {
        this.#clear();
        waiter.resolve(this.#take(n));
        return true;
      }
    } else if (kind === EXACT) {
      if (input.size >= n) {
        this.#clear();
        waiter.resolve(this.#takeExactly(n));
        return true;
      }
    } else {
      const end = input.findNewline();
      if (end > n || (end < 0 && input.size >= n)) {
        this.#clear();
        waiter.reject(new LineTooLong(n));
        return true;
      }
      if (end > 0) {
        this.#clear();
        waiter.resolve(bufferToString(this.#takeExactly(end)));
        return true;
      }
    }
    const state = this.#state;
    if (state.error !== null) {
      this.#clear();
      waiter.reject(state.error);
      return true;
    }
    if (state.eof || state.readShut) {
      this.#clear();
      if (kind === RECV) waiter.resolve(EMPTY);
      else if (kind === EXACT) {
        if (n === 0) waiter.resolve(EMPTY);
        else waiter.reject(new IncompleteRead(this.#takeExactly(input.size), n));
      } else waiter.resolve(bufferToString(this.#takeExactly(input.size)));
      return true;
    }
    return false;
  }

  // Taking may bring the buffer back under the high-water mark: resume the socket then.
  #take(max: number): Buffer {
    const out = this.input.take(max);
    if (this.#paused && this.input.size < this.#hwm) this.#resume();
    return out;
  }

  #takeExactly(n: number): Buffer {
    const out = this.input.takeExactly(n);
    if (this.#paused && this.input.size < this.#hwm) this.#resume();
    return out;
  }

  // The buffer may grow past the high-water mark only as far as the parked reader needs.
  #limit(): number {
    const kind = this.#waiter === null ? NONE : this.#kind;
    return kind === EXACT || kind === LINE ? Math.max(this.#hwm, this.#n) : this.#hwm;
  }

  #pause(): void {
    this.#paused = true;
    this.#state.socket.pause();
  }

  #resume(): void {
    this.#paused = false;
    this.#state.socket.resume();
  }

  #discardInput(): void {
    this.input.clear();
    if (this.#paused) this.#resume();
  }

  /** The socket's `'data'` listener. */
  readonly onData = (chunk: Buffer): void => {
    if (this.#state.readShut) return;
    const waiter = this.#waiter;
    if (waiter !== null && this.#kind === RECV) {
      // Invariant: a parked recv means the buffer was empty, so this chunk is the next data.
      if (chunk.length <= this.#n) {
        this.#clear();
        waiter.resolve(chunk);
        return;
      }
      this.input.push(chunk);
      this.#clear();
      waiter.resolve(this.#take(this.#n));
      return;
    }
    this.input.push(chunk);
    if (waiter !== null && this.#tryComplete()) return;
    if (!this.#paused && this.input.size >= this.#limit()) this.#pause();
  };

  /** The socket's `'end'` listener. */
  readonly onEnd = (): void => {
    this.#state.eof = true;
    this.wake();
  };
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
