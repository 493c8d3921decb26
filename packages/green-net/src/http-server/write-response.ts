/**
 * Writing a handler's `Response` to Node's `ServerResponse`: this package's lazy `Response`
 * straight from its fields, the platform's through its internal body source when it can be
 * found (else as a stream), streams with backpressure where each wait is a green operation,
 * and the small text answers (errors, rejections) the server writes itself.
 *
 * @internal
 * @module
 */

import { type ServerResponse, STATUS_CODES } from "node:http";
import { green, suspend } from "@tendril/core";
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

/** Writes a small text response (errors, rejections). */
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

/** Appends a HeadersInit as flat name/value pairs; returns [hasContentType, hasContentLength]. */
function flattenHeaders(init: HeadersInit | Headers | undefined, out: string[]): number {
  let flags = 0;
  if (init === undefined || init === null) return flags;
  const add = (name: string, value: string): void => {
    const lower = name.length === 12 || name.length === 14 ? name.toLowerCase() : "";
    if (lower === "content-type") flags |= 1;
    else if (lower === "content-length") flags |= 2;
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

/** Writes the handler's response. Returns a promise only when the body streams. */
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
  if (ex.owner._mustClose(ex)) headers.push("connection", "close");
  if (source === null || NULL_BODY.has(status)) {
    if ((flags & 2) === 0 && !NULL_BODY.has(status)) headers.push("content-length", "0");
    res.writeHead(status, statusText || undefined, headers);
    res.end();
    return undefined;
  }
  if (typeof source === "string" || source instanceof Uint8Array) {
    const length = typeof source === "string" ? Buffer.byteLength(source) : source.byteLength;
    if ((flags & 2) === 0) headers.push("content-length", String(length));
    ex.bytes = length;
    res.writeHead(status, statusText || undefined, headers);
    res.end(source);
    return undefined;
  }
  res.writeHead(status, statusText || undefined, headers);
  return pump(ex, source);
}

/** Streams a web body to the socket with backpressure; each wait is a green operation. */
async function pump(ex: Exchange, stream: ReadableStream<Uint8Array>): Promise<void> {
  const res = ex.res;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await green(reader.read());
      if (done) break;
      if (res.destroyed) break;
      ex.bytes += value.byteLength;
      if (!res.write(value)) await drain(res);
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
