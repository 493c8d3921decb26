/**
 * The web `Request` a `serveHttp` handler receives, backed by Node's `IncomingMessage` and
 * built lazily: the URL string, the `Headers` object and the body stream are made on first
 * access, so a handler that only looks at `method` and `url` pays for nothing else. On Node 20
 * `new Request(...)` costs about 10 µs, a third of a whole "hello world" exchange in
 * `node:http`.
 *
 * It has every member of the standard `Request`. Reading the body (`text()`, `json()`,
 * `bytes()`, `arrayBuffer()`, `blob()`) is a green operation — kill and Timeout interrupt it —
 * and enforces the server's `maxBodyBytes` while the bytes arrive, chunked or not. Trade-off:
 * brand checks cannot be faked, so where a *platform* `Request` is required (`fetch(request)`,
 * `new Request(request)` as the first argument) pass `request.toRequest()`. As the second
 * argument (`new Request(url, request)`, the proxying idiom) it works as it is.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import { suspend } from "@tendril/core";
import { type Bytes, ownBytes } from "./bytes.js";
import { RequestTooLarge } from "./limits.js";
import { readStream } from "./read-stream.js";

type WebRequest = globalThis.Request;
type RequestInit = NonNullable<ConstructorParameters<typeof globalThis.Request>[1]>;
const PlatformRequest = globalThis.Request;
const EMPTY: Bytes = new Uint8Array(0);
const decoder = new TextDecoder();

/** What a request needs from the exchange it belongs to. @internal */
export interface RequestContext {
  /** The server's `maxBodyBytes`. */
  readonly maxBodyBytes: number;
  /** The thread's signal: aborted when the client disconnects or the thread is killed. */
  readonly signal: AbortSignal;
  /** `scheme://host` for the request URL. */
  origin(): string;
  /** Called before the body is first read (sends a pending `100 Continue`). */
  bodyWanted(): void;
  /**
   * Called when the rest of the body will not be read (it crossed `maxBodyBytes`, or the
   * reader cancelled the stream): the connection must close after the response.
   */
  bodyAbandoned(): void;
}

/** True when the request has a body according to its framing headers. @internal */
export function requestHasBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = headers["content-length"];
  return length !== undefined && length !== "0";
}

function toArrayBuffer(bytes: Bytes): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/**
 * A standard `Request` over a Node `IncomingMessage`; see the module comment. Handlers get
 * one; they never construct it.
 *
 * @example
 * ```ts
 * await serveHttp({ host: "127.0.0.1", port: 0 }, async (request) => {
 *   const name = request.headers.get("x-name") ?? "world";
 *   const body = request.method === "POST" ? await request.text() : "";
 *   return new Response(`hello ${name} ${body}`);
 * });
 * ```
 */
export class ServerRequest {
  readonly #req: IncomingMessage;
  readonly #ctx: RequestContext;
  #url: string | null = null;
  #headers: Headers | null = null;
  #stream: ReadableStream<Bytes> | null = null;
  #used = false;
  #real: WebRequest | null = null;

  /** @internal */
  constructor(req: IncomingMessage, ctx: RequestContext) {
    this.#req = req;
    this.#ctx = ctx;
  }

  /** The method, upper-case as sent (`GET`, `POST`, …). */
  get method(): string {
    return this.#req.method ?? "GET";
  }

  /** The absolute URL: `http://` + the `Host` header (or the local address) + the path. */
  get url(): string {
    if (this.#url === null) {
      const target = this.#req.url ?? "/";
      this.#url =
        target.startsWith("http://") || target.startsWith("https://")
          ? target
          : `${this.#ctx.origin()}${target.startsWith("/") ? target : `/${target}`}`;
    }
    return this.#url;
  }

  /** The request headers, built on first access. */
  get headers(): Headers {
    if (this.#headers === null) {
      const headers = new Headers();
      const raw = this.#req.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        try {
          headers.append(raw[i] as string, raw[i + 1] as string);
        } catch {
          // Node's parser accepted a byte the Fetch standard does not: leave that header out.
        }
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** Aborted when the client disconnects before the response is sent, or the thread is killed. */
  get signal(): AbortSignal {
    return this.#ctx.signal;
  }

  /**
   * The body as a web stream (built on first access), or `null` when the request has none.
   * Its chunks are `Uint8Array<ArrayBuffer>`, as the DOM's `Request.body` declares.
   */
  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#real !== null) return this.#real.body as ReadableStream<Bytes> | null;
    if (this.#stream === null) {
      if (!requestHasBody(this.#req)) return null;
      this.#stream = this.#makeStream();
    }
    return this.#stream;
  }

  /** True once the body was read or its stream taken. */
  get bodyUsed(): boolean {
    if (this.#real !== null) return this.#real.bodyUsed;
    return this.#used || this.#stream?.locked === true;
  }

  /** The body's bytes: a green operation that enforces `maxBodyBytes`. @throws {RequestTooLarge|TypeError} */
  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.#real !== null) return this.#real.arrayBuffer().then((b) => new Uint8Array(b));
    if (this.bodyUsed) return Promise.reject(new TypeError("Request body has already been read"));
    this.#used = true;
    if (this.#stream !== null) return readStream(this.#stream);
    if (!requestHasBody(this.#req)) return Promise.resolve(EMPTY);
    return this.#readAll();
  }

  /** The body as UTF-8 text. @throws {RequestTooLarge|TypeError} */
  async text(): Promise<string> {
    return decoder.decode(await this.bytes());
  }

  /** The body parsed as JSON. @throws {RequestTooLarge|SyntaxError|TypeError} */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** The body as an `ArrayBuffer`. @throws {RequestTooLarge|TypeError} */
  async arrayBuffer(): Promise<ArrayBuffer> {
    return toArrayBuffer(await this.bytes());
  }

  /** The body as a `Blob` typed by `content-type`. @throws {RequestTooLarge|TypeError} */
  async blob(): Promise<Blob> {
    const type = this.#req.headers["content-type"] ?? "";
    return new Blob([await this.bytes()], { type });
  }

  /** The body parsed as form data (by the platform's parser). @throws {RequestTooLarge|TypeError} */
  async formData(): Promise<FormData> {
    const bytes = await this.bytes();
    const type = this.#req.headers["content-type"] ?? "";
    return new globalThis.Response(bytes, {
      headers: { "content-type": type },
    }).formData() as Promise<FormData>;
  }

  /**
   * A platform `Request` with the same method, URL, headers, signal and body (the body moves
   * to it, still subject to `maxBodyBytes`). For `fetch(request)` and `instanceof Request`.
   *
   * @throws {TypeError} when the body was already read.
   * @example
   * ```ts
   * const upstream = await fetch(request.toRequest());
   * ```
   */
  toRequest(): WebRequest {
    if (this.#real !== null) return this.#real;
    if (this.#used) throw new TypeError("Request.toRequest: body has already been read");
    const method = this.method;
    const body = method === "GET" || method === "HEAD" ? null : this.body;
    this.#real = new PlatformRequest(this.url, {
      method,
      headers: this.headers,
      body,
      signal: this.signal,
      duplex: "half",
    } as RequestInit);
    return this.#real;
  }

  /** A platform `Request` copy; this request stays readable. @throws {TypeError} when read. */
  clone(): WebRequest {
    return this.toRequest().clone();
  }

  /** `"default"`, as for any request made on a server. */
  get cache(): WebRequest["cache"] {
    return "default";
  }
  /** `"same-origin"`. */
  get credentials(): WebRequest["credentials"] {
    return "same-origin";
  }
  /** `""`. */
  get destination(): WebRequest["destination"] {
    return "";
  }
  /** `""`. */
  get integrity(): string {
    return "";
  }
  /** `false`. */
  get keepalive(): boolean {
    return false;
  }
  /** `"cors"`. */
  get mode(): WebRequest["mode"] {
    return "cors";
  }
  /** `"follow"`. */
  get redirect(): WebRequest["redirect"] {
    return "follow";
  }
  /** The `Referer` header, or `"about:client"`. */
  get referrer(): string {
    const referer = this.#req.headers.referer;
    return typeof referer === "string" && referer !== "" ? referer : "about:client";
  }
  /** `""`. */
  get referrerPolicy(): WebRequest["referrerPolicy"] {
    return "";
  }
  /** `"half"`. */
  get duplex(): "half" {
    return "half";
  }
  /** `false`. */
  get isReloadNavigation(): boolean {
    return false;
  }
  /** `false`. */
  get isHistoryNavigation(): boolean {
    return false;
  }

  get [Symbol.toStringTag](): string {
    return "Request";
  }

  // Reads the whole body as a green operation, stopping at maxBodyBytes.
  #readAll(): Promise<Bytes> {
    const req = this.#req;
    const ctx = this.#ctx;
    ctx.bodyWanted();
    const limit = ctx.maxBodyBytes;
    return suspend<Bytes>((waiter) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const cleanup = (): void => {
        req.off("data", onData);
        req.off("end", onEnd);
        req.off("error", onError);
        req.off("close", onClose);
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limit) {
          cleanup();
          req.pause();
          ctx.bodyAbandoned();
          waiter.reject(new RequestTooLarge(limit, `at least ${size} bytes`));
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = (): void => {
        cleanup();
        waiter.resolve(
          chunks.length === 1 ? ownBytes(chunks[0] as Buffer) : Buffer.concat(chunks, size),
        );
      };
      const onError = (error: Error): void => {
        cleanup();
        waiter.reject(error);
      };
      const onClose = (): void => {
        if (req.complete) return;
        cleanup();
        waiter.reject(new Error("the client closed the connection before sending the whole body"));
      };
      req.on("data", onData);
      req.on("end", onEnd);
      req.on("error", onError);
      req.on("close", onClose);
      return cleanup;
    });
  }

  // A byte stream over the body with backpressure (the socket is paused while the stream's
  // queue is full) and the body limit. Invariant: once the stream is closed, errored or
  // cancelled, no listener of it is left on `req` — an `enqueue` on a finished stream throws
  // outside any thread and would take the process down.
  #makeStream(): ReadableStream<Bytes> {
    const req = this.#req;
    const ctx = this.#ctx;
    const limit = ctx.maxBodyBytes;
    let size = 0;
    let started = false;
    let finished = false;
    let controller!: ReadableStreamDefaultController<Bytes>;
    const detach = (): void => {
      finished = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      if (finished) return;
      size += chunk.length;
      if (size > limit) {
        detach();
        req.pause();
        ctx.bodyAbandoned();
        controller.error(new RequestTooLarge(limit, `at least ${size} bytes`));
        return;
      }
      controller.enqueue(
        ownBytes(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
      );
      if ((controller.desiredSize ?? 0) <= 0) req.pause();
    };
    const onEnd = (): void => {
      detach();
      controller.close();
    };
    const onError = (error: Error): void => {
      detach();
      controller.error(error);
    };
    const onClose = (): void => {
      if (req.complete) return;
      detach();
      controller.error(new Error("the client closed the connection before sending the whole body"));
    };
    return new ReadableStream<Bytes>(
      {
        start(c) {
          controller = c;
          req.on("data", onData);
          req.on("end", onEnd);
          req.on("error", onError);
          req.on("close", onClose);
          req.pause();
        },
        pull() {
          if (!started) {
            started = true;
            ctx.bodyWanted();
          }
          req.resume();
        },
        cancel() {
          // The reader gave up (a `break` out of `for await`, `body.cancel()`): stop reading.
          // What the client still sends is not this request's business; when the body is not
          // whole, the response closes the connection rather than draining an unknown amount.
          const whole = req.complete;
          detach();
          if (!whole) {
            req.pause();
            ctx.bodyAbandoned();
          }
        },
      },
      { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
    );
  }
}
