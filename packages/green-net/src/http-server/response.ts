/**
 * A drop-in web `Response` that is cheap to build. On Node 20, `new Response("hi")` costs
 * about 20 µs — it builds a web `ReadableStream` for the body at once — which alone is most
 * of what a "hello world" request costs in `node:http`. This class keeps what it was given
 * (status, headers init, a string or bytes body) and only builds `Headers` or a stream when
 * someone asks for them; `serveHttp` reads the fields directly and writes them to the socket.
 *
 * It has every member of the standard `Response`, `instanceof Response` (this class) holds
 * for both it and the platform's responses, and any body the fast path does not cover
 * (`Blob`, `FormData`, `URLSearchParams`, async iterables) is handed to a real platform
 * `Response` behind the scenes. Trade-off: `globalThisResponse instanceof`-checks against
 * the *platform* class are false for it (brand checks cannot be faked), so code that needs a
 * real one can call `toResponse()`.
 *
 * @module
 */

import { describeValue } from "../socket/errors.js";
import { type Bytes, ownBytes } from "./bytes.js";
import { readStream } from "./read-stream.js";

type WebResponse = globalThis.Response;
type HeadersInit = ConstructorParameters<typeof Headers>[0];
type BodyInit = ConstructorParameters<typeof globalThis.Response>[0];
type ResponseInit = NonNullable<ConstructorParameters<typeof globalThis.Response>[1]>;
type ResponseType = WebResponse["type"];
const PlatformResponse = globalThis.Response;

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const TEXT_PLAIN = "text/plain;charset=UTF-8";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The body forms the fast path keeps as they are. */
type Source = string | Uint8Array | ReadableStream<Uint8Array> | null;

/** @internal The fields `serveHttp` reads from a `Response` of this class. */
export interface ResponseState {
  status: number;
  statusText: string;
  /** The headers as given, until someone reads `headers`. */
  init: HeadersInit | undefined;
  /** The `Headers` built on first access (then the truth). */
  headers: Headers | null;
  source: Source;
  used: boolean;
  /** A platform Response this one delegates everything to (exotic bodies). */
  real: WebResponse | null;
}

/** @internal */
export const kState: unique symbol = Symbol("tendril.response");

function checkStatus(status: unknown, min: number): number {
  if (typeof status !== "number" || !Number.isInteger(status) || status < min || status > 599) {
    throw new RangeError(
      `Response status must be an integer from ${min} to 599, received ${describeValue(status)}`,
    );
  }
  return status;
}

function toArrayBuffer(bytes: Bytes): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer
    : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/**
 * A standard `Response`, built lazily: `new Response(body, init)` with a string, bytes or a
 * `ReadableStream` body costs a few hundred nanoseconds instead of tens of microseconds, and
 * `serveHttp` writes it straight to the socket. Everything else behaves as the platform's
 * `Response` does (status checks, `ok`, `headers`, `body`, `text()`, `json()`, `clone()`, …).
 * The bytes of a `Uint8Array` body are not copied: do not change them after.
 *
 * @throws {RangeError} when `status` is not an integer from 200 to 599.
 * @throws {TypeError} when a body is given with a null-body status (204, 304, …).
 * @example
 * ```ts
 * import { Response, serveHttp } from "@tendril/green-net";
 * await serveHttp({ host: "127.0.0.1", port: 8080 }, () =>
 *   new Response("hello world", { headers: { "content-type": "text/plain" } }));
 * ```
 */
export class Response {
  /** @internal */
  readonly [kState]: ResponseState;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    const status = init?.status === undefined ? 200 : checkStatus(init.status, 200);
    const statusText = init?.statusText === undefined ? "" : String(init.statusText);
    const state: ResponseState = {
      status,
      statusText,
      init: init?.headers,
      headers: null,
      source: null,
      used: false,
      real: null,
    };
    this[kState] = state;
    if (body === undefined || body === null) return;
    if (NULL_BODY_STATUS.has(status)) {
      throw new TypeError(`Response with status ${status} cannot have a body`);
    }
    if (typeof body === "string") state.source = body;
    else if (body instanceof Uint8Array) state.source = body;
    else if (body instanceof ArrayBuffer) state.source = new Uint8Array(body);
    else if (ArrayBuffer.isView(body))
      state.source = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    else if (body instanceof ReadableStream) state.source = body as ReadableStream<Uint8Array>;
    else state.real = new PlatformResponse(body as never, init);
  }

  /** True for this class's responses and for the platform's. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return (
      (typeof value === "object" && value !== null && kState in value) ||
      value instanceof PlatformResponse
    );
  }

  /**
   * A JSON response: `data` serialised, `content-type: application/json` unless given.
   *
   * @throws {TypeError} when `data` cannot be serialised.
   * @example
   * ```ts
   * return Response.json({ ok: true }, { status: 201 });
   * ```
   */
  static json(data: unknown, init?: ResponseInit): Response {
    const text = JSON.stringify(data);
    if (text === undefined)
      throw new TypeError(`Response.json: cannot serialise ${describeValue(data)}`);
    if (init?.headers === undefined) {
      return new Response(text, { ...init, headers: [["content-type", "application/json"]] });
    }
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(text, { ...init, headers });
  }

  /**
   * A redirect to `url` (absolute) with `status` 301, 302 (the default), 303, 307 or 308.
   *
   * @throws {RangeError} for any other status. @throws {TypeError} when `url` is not absolute.
   * @example
   * ```ts
   * return Response.redirect("http://127.0.0.1:8080/login", 303);
   * ```
   */
  static redirect(url: string | URL, status = 302): Response {
    if (!REDIRECT_STATUS.has(status)) {
      throw new RangeError(
        `Response.redirect: status must be 301, 302, 303, 307 or 308, received ${describeValue(status)}`,
      );
    }
    return new Response(null, { status, headers: [["location", new URL(url).href]] });
  }

  /**
   * A network-error response (the platform's `Response.error()`).
   *
   * @example
   * ```ts
   * const failed = Response.error(); // type "error", status 0
   * ```
   */
  static error(): WebResponse {
    return PlatformResponse.error();
  }

  /** The status code. */
  get status(): number {
    const s = this[kState];
    return s.real !== null ? s.real.status : s.status;
  }
  /** True for a 2xx status. */
  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status <= 299;
  }
  /** The status message. */
  get statusText(): string {
    const s = this[kState];
    return s.real !== null ? s.real.statusText : s.statusText;
  }
  /** Always `"default"` for a constructed response. */
  get type(): ResponseType {
    return "default";
  }
  /** Always `""` for a constructed response. */
  get url(): string {
    return "";
  }
  /** Always `false` for a constructed response. */
  get redirected(): boolean {
    return false;
  }

  /** The headers, built on first access (a string body implies `text/plain;charset=UTF-8`). */
  get headers(): Headers {
    const s = this[kState];
    if (s.real !== null) return s.real.headers;
    if (s.headers === null) {
      const headers = new Headers(s.init);
      if (typeof s.source === "string" && !headers.has("content-type")) {
        headers.set("content-type", TEXT_PLAIN);
      }
      s.headers = headers;
      s.init = undefined;
    }
    return s.headers;
  }

  /**
   * The body as a web stream (built on first access), or `null`. Its chunks are
   * `Uint8Array<ArrayBuffer>`, as the DOM's `Response.body` declares; a stream given to the
   * constructor is returned as it is, as the platform's `Response` does.
   */
  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    const s = this[kState];
    if (s.real !== null) return s.real.body as ReadableStream<Bytes> | null;
    const source = s.source;
    if (source === null || source instanceof ReadableStream) {
      return source as ReadableStream<Bytes> | null;
    }
    const bytes = ownBytes(typeof source === "string" ? encoder.encode(source) : source);
    const stream = new ReadableStream<Bytes>({
      start(controller) {
        if (bytes.byteLength > 0) controller.enqueue(bytes);
        controller.close();
      },
    });
    s.source = stream;
    return stream;
  }

  /** True once the body was read. */
  get bodyUsed(): boolean {
    const s = this[kState];
    if (s.real !== null) return s.real.bodyUsed;
    return s.used || (s.source instanceof ReadableStream && s.source.locked);
  }

  /** The body as text (UTF-8). @throws {TypeError} when the body was already read. */
  async text(): Promise<string> {
    const s = this[kState];
    if (s.real !== null) return s.real.text();
    const data = await this.#consume();
    return typeof data === "string" ? data : decoder.decode(data);
  }

  /** The body parsed as JSON. @throws {SyntaxError|TypeError} */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** The body's bytes. @throws {TypeError} when the body was already read. */
  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    const s = this[kState];
    if (s.real !== null) return new Uint8Array(await s.real.arrayBuffer());
    const data = await this.#consume();
    return ownBytes(typeof data === "string" ? encoder.encode(data) : data);
  }

  /** The body as an `ArrayBuffer`. @throws {TypeError} when the body was already read. */
  async arrayBuffer(): Promise<ArrayBuffer> {
    return toArrayBuffer(await this.bytes());
  }

  /** The body as a `Blob` typed by `content-type`. @throws {TypeError} when already read. */
  async blob(): Promise<Blob> {
    const s = this[kState];
    if (s.real !== null) return s.real.blob() as Promise<Blob>;
    const type = this.headers.get("content-type") ?? "";
    return new Blob([await this.bytes()], { type });
  }

  /** The body parsed as form data (through the platform's parser). @throws {TypeError} */
  async formData(): Promise<FormData> {
    return this.toResponse().formData() as Promise<FormData>;
  }

  /**
   * A copy that can be read independently. @throws {TypeError} when the body was already read.
   */
  clone(): Response {
    const s = this[kState];
    if (this.bodyUsed) throw new TypeError("Response.clone: body has already been read");
    let body: BodyInit | null;
    if (s.real !== null) {
      const copy = new Response(null, { status: s.real.status });
      copy[kState].real = s.real.clone();
      return copy;
    }
    if (s.source instanceof ReadableStream) {
      const [a, b] = s.source.tee();
      s.source = a;
      body = b as unknown as BodyInit;
    } else {
      body = s.source;
    }
    const init: ResponseInit = { status: s.status, statusText: s.statusText };
    const copy = new Response(null, init);
    copy[kState].source = body as Source;
    copy[kState].headers = s.headers === null ? null : new Headers(s.headers);
    copy[kState].init = s.headers === null ? s.init : undefined;
    return copy;
  }

  /**
   * The platform's own `Response` with the same status, headers and body (the body moves to
   * it). For code that checks `instanceof` against the global class.
   *
   * @throws {TypeError} when the body was already read.
   * @example
   * ```ts
   * const real = new Response("hi").toResponse();
   * ```
   */
  toResponse(): WebResponse {
    const s = this[kState];
    if (s.real !== null) return s.real;
    if (this.bodyUsed) throw new TypeError("Response.toResponse: body has already been read");
    const body = s.source;
    s.used = true;
    return new PlatformResponse(body as BodyInit | null, {
      status: s.status,
      statusText: s.statusText,
      headers: s.headers ?? s.init,
    });
  }

  get [Symbol.toStringTag](): string {
    return "Response";
  }

  async #consume(): Promise<string | Uint8Array> {
    const s = this[kState];
    if (s.used || (s.source instanceof ReadableStream && s.source.locked)) {
      throw new TypeError("Response body has already been read");
    }
    s.used = true;
    const source = s.source;
    if (source === null) return "";
    if (source instanceof ReadableStream) return readStream(source);
    return source;
  }
}
