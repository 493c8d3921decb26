/**
 * One HTTP request of `urlopen`, as undici sees it: the dispatch handler that receives the
 * response, buffers its body, and wakes the green operations that wait for it.
 *
 * Why a handler and not `undici.request()`: `request()` wraps every body in a Node `Readable`
 * (and its `text()` in a stream consumer), which is a large part of what a small response
 * costs. Here the body is a list of the chunks undici hands over: `bytes()` on a small
 * response that already arrived is one `Buffer.concat`, and a body nobody reads is paused at
 * 64 KiB (backpressure reaches the socket), so a 10 GB response is never pulled into memory.
 * The size limit is checked against `Content-Length` and against every chunk, and aborts the
 * request the moment it is crossed.
 *
 * Interruption: the operation waiting for the headers, and every read of the body, are green
 * operations whose canceler aborts the request — undici then destroys the socket, so the
 * connection's slot is free at once — and the calling thread receives its own kill or
 * Timeout error, unwrapped.
 *
 * It uses undici's callback handler API (onConnect/onHeaders/onData/onComplete/onError), the
 * one undici 7 drives internally without an adapter.
 *
 * @module
 */

import { suspend } from "@tendril/core";
import { HttpRequestError, HttpTimeout, ResponseTooLarge } from "./errors.js";
import { HttpResponse } from "./http-response.js";
import type { ResponseBody } from "./response-body.js";

/** Body chunks buffered before the socket is paused when nobody is reading. */
export const HIGH_WATER_MARK = 64 * 1024;

const EMPTY = Buffer.alloc(0);

/** The settle half of a pending read (a core `Waiter`, or a plain promise's functions). */
interface Settle<T> {
  resolve(value: T): unknown;
  reject(error: unknown): unknown;
}

const NONE = 0;
const COLLECT = 1;
const CHUNK = 2;

/** Finds a header's value in undici's raw header list (name/value pairs of Buffers). */
export function rawHeader(raw: Buffer[] | string[], lowerName: string): string | null {
  const length = lowerName.length;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as Buffer | string;
    if (name.length === length && name.toString().toLowerCase() === lowerName) {
      return (raw[i + 1] as Buffer | string).toString();
    }
  }
  return null;
}

/** @internal The dispatch handler and body buffer of one request. */
export class Exchange implements ResponseBody {
  readonly method: string;
  readonly url: string;
  readonly limit: number;
  readonly redirected: boolean;
  /** The operation waiting for the response headers. */
  headerWaiter: Settle<HttpResponse> | null = null;
  /** Called once when the request is over (releases the concurrency slot). */
  leave: (() => void) | null = null;
  /** Called once when the request is over (removes an AbortSignal listener). */
  cleanup: (() => void) | null = null;
  response: HttpResponse | null = null;
  done = false;
  error: unknown = null;
  #abort: ((error: Error) => void) | null = null;
  #abortReason: unknown = undefined;
  #aborted = false;
  #resume: (() => void) | null = null;
  #paused = false;
  #chunks: Buffer[] = [];
  #head = 0;
  #buffered = 0;
  #received = 0;
  #reader: Settle<Buffer | null> | null = null;
  #readerMode = NONE;

  constructor(method: string, url: string, limit: number, redirected: boolean) {
    this.method = method;
    this.url = url;
    this.limit = limit;
    this.redirected = redirected;
  }

  /** Bytes of the body received so far. */
  get received(): number {
    return this.#received;
  }

  // --- undici's handler interface -------------------------------------------------------

  onConnect(abort: (error: Error) => void): void {
    if (this.#aborted) {
      abort(this.#abortReason as Error);
      return;
    }
    this.#abort = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (status < 200) return true; // 1xx: the final response follows
    this.#resume = resume;
    // A HEAD response's Content-Length describes a body that is not sent.
    if (this.limit !== Number.POSITIVE_INFINITY && this.method !== "HEAD") {
      const declared = rawHeader(raw, "content-length");
      if (declared !== null && Number(declared) > this.limit) {
        this.abort(new ResponseTooLarge(this.limit, this.url, `Content-Length is ${declared}`));
        return false;
      }
    }
    const response = new HttpResponse(this, status, statusText, raw);
    this.response = response;
    const waiter = this.headerWaiter;
    if (waiter !== null) {
      this.headerWaiter = null;
      waiter.resolve(response);
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#received += chunk.length;
    const received = this.#received;
    if (received > this.limit) {
      this.abort(new ResponseTooLarge(this.limit, this.url, `at least ${received}`));
      return false;
    }
    const reader = this.#reader;
    if (reader !== null && this.#readerMode === CHUNK) {
      // Invariant: a chunk reader only waits when the buffer is empty, so handing the chunk
      // straight over keeps the order.
      this.#reader = null;
      this.#readerMode = NONE;
      reader.resolve(chunk);
      return true;
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#readerMode !== COLLECT && this.#buffered >= HIGH_WATER_MARK) {
      this.#paused = true;
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.done = true;
    this.finish();
    const reader = this.#reader;
    if (reader !== null) {
      const mode = this.#readerMode;
      this.#reader = null;
      this.#readerMode = NONE;
      reader.resolve(mode === COLLECT ? this.#takeAll() : this.#takeOne());
    }
  }

  onError(error: Error): void {
    const mapped = this.#mapError(error);
    this.error = mapped;
    this.done = true;
    this.finish();
    const headerWaiter = this.headerWaiter;
    if (headerWaiter !== null) {
      this.headerWaiter = null;
      headerWaiter.reject(mapped);
    }
    const reader = this.#reader;
    if (reader !== null) {
      this.#reader = null;
      this.#readerMode = NONE;
      reader.reject(mapped);
    }
  }

  onUpgrade(): void {
    this.onError(new Error("unexpected protocol upgrade"));
  }

  // --- control ----------------------------------------------------------------------------

  /** Aborts the request with `reason` (which the waiting operations receive as is). */
  abort(reason: unknown): void {
    if (this.done || this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = reason;
    const abort = this.#abort;
    if (abort !== null) abort(reason as Error);
  }

  /** The whole body, as one Buffer: a green operation when `green`, else a plain promise. */
  collect(green: boolean): Promise<Buffer> {
    if (this.error !== null) return Promise.reject(this.error);
    if (this.done) return Promise.resolve(this.#takeAll());
    const executor = (settle: Settle<Buffer>) => {
      this.#reader = settle as Settle<Buffer | null>;
      this.#readerMode = COLLECT;
      this.#unpause();
      return this.#cancelRead;
    };
    return green
      ? suspend<Buffer>(executor)
      : new Promise<Buffer>((resolve, reject) => void executor({ resolve, reject }));
  }

  /** The next chunk, or `null` at the end: a green operation when `green`. */
  next(green: boolean): Promise<Buffer | null> {
    if (this.#head < this.#chunks.length) return Promise.resolve(this.#takeOne());
    if (this.error !== null) return Promise.reject(this.error);
    if (this.done) return Promise.resolve(null);
    const executor = (settle: Settle<Buffer | null>) => {
      this.#reader = settle;
      this.#readerMode = CHUNK;
      this.#unpause();
      return this.#cancelRead;
    };
    return green
      ? suspend<Buffer | null>(executor)
      : new Promise<Buffer | null>((resolve, reject) => void executor({ resolve, reject }));
  }

  /** Drops what is buffered (the body is not wanted). */
  discardBuffered(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#buffered = 0;
  }

  readonly #cancelRead = (reason: unknown): void => {
    this.#reader = null;
    this.#readerMode = NONE;
    this.abort(reason);
  };

  #unpause(): void {
    if (this.#paused) {
      this.#paused = false;
      this.#resume?.();
    }
  }

  #takeOne(): Buffer | null {
    if (this.#head >= this.#chunks.length) return null;
    const chunk = this.#chunks[this.#head] as Buffer;
    this.#chunks[this.#head++] = EMPTY;
    this.#buffered -= chunk.length;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    }
    if (this.#paused && this.#buffered < HIGH_WATER_MARK / 2) this.#unpause();
    return chunk;
  }

  #takeAll(): Buffer {
    const chunks = this.#chunks;
    const head = this.#head;
    const length = this.#buffered;
    this.#chunks = [];
    this.#head = 0;
    this.#buffered = 0;
    if (chunks.length - head === 1) return chunks[head] as Buffer;
    if (chunks.length === head) return EMPTY;
    return Buffer.concat(head === 0 ? chunks : chunks.slice(head), length);
  }

  /** Releases the slot and the signal listener (once). */
  finish(): void {
    const leave = this.leave;
    if (leave !== null) {
      this.leave = null;
      leave();
    }
    const cleanup = this.cleanup;
    if (cleanup !== null) {
      this.cleanup = null;
      cleanup();
    }
  }

  #mapError(error: Error): unknown {
    if (this.#aborted && error === this.#abortReason) return error;
    const code = (error as { code?: string }).code;
    if (code === "UND_ERR_CONNECT_TIMEOUT")
      return new HttpTimeout("connect", this.url, { cause: error });
    if (code === "UND_ERR_HEADERS_TIMEOUT")
      return new HttpTimeout("headers", this.url, { cause: error });
    if (code === "UND_ERR_BODY_TIMEOUT") return new HttpTimeout("body", this.url, { cause: error });
    if (this.#aborted) return this.#abortReason;
    return new HttpRequestError(this.method, this.url, error);
  }
}
