/**
 * Writing a handler's `Response` to Node's `ServerResponse`: this package's lazy `Response`
 * straight from its fields, the platform's through its internal body source when it can be
 * found (else as a stream), streams with backpressure where each wait is a green operation,
 * and the small text answers (errors, rejections) the server writes itself.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

import { type ServerResponse, STATUS_CODES } from "node:http";
import { green, suspend, TendrilError } from "@tendril/core";
import { describeValue } from "../socket/errors.js";
import type { Exchange } from "./exchange.js";
import { kState, type ResponseState } from "./response.js";

type WebResponse = globalThis.Response;
type HeadersInit = ConstructorParameters<typeof Headers>[0];
const PlatformResponse = globalThis.Response;
const TEXT_PLAIN = "text/plain;charset=UTF-8";
const NULL_BODY = new Set([204, 205, 304]);

// The internal state slot of the platform's Response (undici), found once. It lets a string or
// bytes body be written without reading it through a web stream; if the platform changes, the
// lookup finds nothing and the body is streamed instead.
let platformStateKey: symbol | null | undefined;
function platformSource(response: WebResponse): string | Uint8Array | null | undefined {
  if (platformStateKey === undefined) {
    platformStateKey =
      Object.getOwnPropertySymbols(new PlatformResponse("")).find(
        (s) => s.description === "state",
      ) ?? null;
  }
  if (platformStateKey === null || response.bodyUsed) return undefined;
  const state = (response as unknown as Record<symbol, { body?: { source?: unknown } | null }>)[
    platformStateKey
  ];
  if (state === undefined || state === null) return undefined;
  if (state.body === null || state.body === undefined) return null;
  const source = state.body.source;
  if (typeof source === "string" || source instanceof Uint8Array) return source;
  return undefined;
}

/** Writes a small text response (errors, rejections). @internal */
export function writeSimple(ex: Exchange, status: number, body: string, extra: string[][]): void {
  const res = ex.res;
  if (res.headersSent || res.destroyed) return;
  const headers: string[] = [
    "content-type",
    "text/plain; charset=utf-8",
    "content-length",
    String(Buffer.byteLength(body)),
  ];
  for (const [name, value] of extra) headers.push(name as string, value as string);
  if (ex.owner._mustClose(ex) || status >= 400) headers.push("connection", "close");
  ex.bytes = Buffer.byteLength(body);
  // The reason is always given: a handler's response that Node refused may have left its own
  // status message on `res`, which writeHead would otherwise keep ("500 OK", or the same bad
  // bytes again).
  res.writeHead(status, STATUS_CODES[status] ?? "Error", headers);
  res.end(body);
}

// The handler's Content-Length value(s), as the last `flattenHeaders` found them (joined with
// ", " when repeated). Framing is the server's: the handler's value is never copied as given.
let declaredValue: string | null = null;

/**
 * Appends a HeadersInit as flat name/value pairs, leaving out the framing headers
 * (`content-length`, `transfer-encoding`: see `writeResponse`). Returns 1 when it has a
 * `content-type`; the Content-Length given, if any, is left in `declaredValue`.
 */
function flattenHeaders(init: HeadersInit | Headers | undefined, out: string[]): number {
  let flags = 0;
  declaredValue = null;
  if (init === undefined || init === null) return flags;
  const add = (name: string, value: string): void => {
    const size = name.length;
    if (size === 12 || size === 14 || size === 17) {
      const lower = name.toLowerCase();
      if (lower === "content-type") flags |= 1;
      else if (lower === "content-length") {
        declaredValue = declaredValue === null ? value : `${declaredValue}, ${value}`;
        return;
      } else if (lower === "transfer-encoding") return;
    }
    out.push(name, value);
  };
  if (init instanceof Headers) {
    for (const [name, value] of init) add(name, value);
  } else if (Array.isArray(init)) {
    for (const pair of init as string[][]) add(pair[0] as string, pair[1] as string);
  } else if (typeof (init as unknown as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const pair of init as unknown as Iterable<[string, string]>) add(pair[0], pair[1]);
  } else {
    const record = init as Record<string, string | readonly string[]>;
    for (const name in record) {
      const value = record[name];
      if (typeof value === "string") add(name, value);
      else if (Array.isArray(value)) for (const v of value) add(name, String(v));
      else if (value !== undefined) add(name, String(value));
    }
  }
  return flags;
}

/** The handler's Content-Length when it is one valid length (repeats must agree), else null. */
function declaredLength(): number | null {
  const value = declaredValue;
  if (value === null) return null;
  let length: number | null = null;
  for (const part of value.split(",")) {
    const digits = part.trim();
    if (!/^[0-9]{1,15}$/.test(digits)) return null;
    const n = Number(digits);
    if (length !== null && n !== length) return null;
    length = n;
  }
  return length;
}

/**
 * Writes the handler's response. Returns a promise only when the body streams.
 *
 * Invariant: the framing on the wire is always true, so a pipelined connection can never be
 * split by a handler's mistake. A string or bytes body is sent with its own byte length
 * (the handler's Content-Length is ignored); no body means `Content-Length: 0`, except where a
 * length describes a body that is not sent (HEAD, 304); a streamed body keeps a valid given
 * length, and the connection is destroyed if the stream then produces more or fewer bytes.
 * A `Transfer-Encoding` from the handler is dropped: Node frames streams itself.
 *
 * @internal
 */
export function writeResponse(ex: Exchange, response: unknown): Promise<void> | undefined {
  const res = ex.res;
  if (res.destroyed) return undefined;
  let status: number;
  let statusText: string;
  let source: string | Uint8Array | ReadableStream<Uint8Array> | null | undefined;
  const headers: string[] = [];
  let flags: number;
  const state =
    typeof response === "object" && response !== null
      ? (response as { [kState]?: ResponseState })[kState]
      : undefined;
  if (state !== undefined && state.real === null) {
    status = state.status;
    statusText = state.statusText;
    flags = flattenHeaders(state.headers ?? state.init, headers);
    if (state.used || (state.source instanceof ReadableStream && state.source.locked)) {
      throw new TypeError("serveHttp: the handler returned a Response whose body was already read");
    }
    state.used = true;
    source = state.source;
    if (typeof source === "string" && state.headers === null && (flags & 1) === 0) {
      headers.push("content-type", TEXT_PLAIN);
    }
  } else {
    const platform = state !== undefined ? (state.real as WebResponse) : response;
    if (!(platform instanceof PlatformResponse)) {
      throw new TypeError(
        `serveHttp: the handler must return a Response, received ${describeValue(response)}`,
      );
    }
    status = platform.status;
    statusText = platform.statusText;
    flags = flattenHeaders(platform.headers, headers);
    source = platformSource(platform);
    if (source === undefined) source = platform.body as ReadableStream<Uint8Array> | null;
  }
  const declared = declaredLength();
  if (ex.owner._mustClose(ex)) headers.push("connection", "close");
  if (source === null || NULL_BODY.has(status)) {
    // No body follows. A length may still describe the body a GET would get (HEAD, 304).
    const nullBody = NULL_BODY.has(status);
    const describes = status === 304 || (!nullBody && ex.req.method === "HEAD");
    if (describes && declared !== null) headers.push("content-length", String(declared));
    else if (!nullBody) headers.push("content-length", "0");
    res.writeHead(status, statusText || undefined, headers);
    res.end();
    return undefined;
  }
  if (typeof source === "string" || source instanceof Uint8Array) {
    const length = typeof source === "string" ? Buffer.byteLength(source) : source.byteLength;
    headers.push("content-length", String(length));
    ex.bytes = length;
    res.writeHead(status, statusText || undefined, headers);
    res.end(source);
    return undefined;
  }
  if (declared !== null) headers.push("content-length", String(declared));
  res.writeHead(status, statusText || undefined, headers);
  return pump(ex, source, ex.req.method === "HEAD" ? null : declared);
}

/**
 * The handler's streamed body did not match the Content-Length it declared. The response is
 * cut off and its connection destroyed (never reused), so the error reaches `onError` only.
 *
 * @internal
 */
function lengthMismatch(declared: number, sent: number, more: boolean): TendrilError {
  return new TendrilError(
    "ERR_TENDRIL_HTTP_CONTENT_LENGTH_MISMATCH",
    `serveHttp: the response declared Content-Length ${declared} but its body stream produced ${more ? "at least" : "only"} ${sent} bytes; the connection was closed`,
  );
}

/**
 * Streams a web body to the socket with backpressure; each wait is a green operation. With a
 * declared length, a stream that would write past it, or ends short of it, fails the response.
 */
async function pump(
  ex: Exchange,
  stream: ReadableStream<Uint8Array>,
  declared: number | null,
): Promise<void> {
  const res = ex.res;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await green(reader.read());
      if (done) break;
      if (res.destroyed) break;
      if (declared !== null && ex.bytes + value.byteLength > declared) {
        throw lengthMismatch(declared, ex.bytes + value.byteLength, true);
      }
      ex.bytes += value.byteLength;
      if (!res.write(value)) await drain(res);
    }
    if (declared !== null && ex.bytes < declared && !res.destroyed) {
      throw lengthMismatch(declared, ex.bytes, false);
    }
    if (!res.destroyed) res.end();
  } catch (error) {
    reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
}

function drain(res: ServerResponse): Promise<void> {
  return suspend<void>((waiter) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      waiter.resolve();
    };
    res.on("drain", done);
    res.on("close", done);
    return () => {
      res.off("drain", done);
      res.off("close", done);
    };
  });
}
