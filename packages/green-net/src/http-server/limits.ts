/**
 * The limits `serveHttp` enforces, their defaults, and the error a request that breaks one
 * raises. Node's parser enforces the header-size limit (431) and the timeouts (408) itself;
 * what it does not know — the URL length (414) and the body size (413) — is checked here, the
 * body size while the body streams in, so a chunked upload is stopped at the limit instead of
 * being buffered first.
 *
 * @module
 */

import { TendrilError } from "@tendril/core";
import { describeValue } from "@tendril/core/validate";

/** Default `maxUrlLength`: Eventlet's `url_length_limit`. */
export const DEFAULT_MAX_URL_LENGTH = 8192;
/** Default `maxHeaderBytes`: Node's own (16 KiB), named here so the docs have one source. */
export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
/** Default `maxBodyBytes`: 10 MiB. */
export const DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024;
/** Default `maxConnections`: how many requests run at once (Eventlet's `max_size` is 1024). */
export const DEFAULT_MAX_CONNECTIONS = 1000;
/** Default `maxQueued`: requests waiting for a free slot before new ones get 503. */
export const DEFAULT_MAX_QUEUED = 1000;
/** Default `keepAliveTimeoutMs`: Node's own. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT = 5000;
/** Default `headersTimeoutMs`: how long a client may take to send its headers (slowloris). */
export const DEFAULT_HEADERS_TIMEOUT = 60_000;
/** Default `requestTimeoutMs`: how long a client may take to send its whole request. */
export const DEFAULT_REQUEST_TIMEOUT = 300_000;
/** Default `graceMs` of `HttpServer.close`: how long requests in flight may take to finish. */
export const DEFAULT_CLOSE_GRACE = 30_000;

/**
 * A request body over the server's `maxBodyBytes`. Reading the body (`request.text()`,
 * iterating `request.body`, …) rejects with it as soon as the limit is crossed; a handler that
 * lets it escape gets a `413 Content Too Large` response, and the connection is closed (the
 * rest of the body is never read).
 *
 * @example
 * ```ts
 * const server = await serveHttp({ port: 0 }, async (request) => {
 *   try { return new Response(await request.text()); }
 *   catch (error) { if (error instanceof RequestTooLarge) return new Response("too big", { status: 413 }); throw error; }
 * }, { maxBodyBytes: 1024 });
 * ```
 */
export class RequestTooLarge extends TendrilError {
  /** The HTTP status this error maps to. */
  readonly status = 413;
  /** The limit that was crossed, in bytes. */
  readonly limit: number;

  constructor(limit: number, received: number | string) {
    super(
      "ERR_TENDRIL_HTTP_REQUEST_TOO_LARGE",
      `request body exceeds maxBodyBytes of ${limit} bytes (received ${received})`,
    );
    this.limit = limit;
  }
}

/** Checks an optional non-negative integer (or Infinity) option. @internal */
export function optionInteger(name: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `serveHttp: ${name} must be an integer >= ${min}, received ${describeValue(value)}`,
    );
  }
  if (value === Number.POSITIVE_INFINITY) return value;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `serveHttp: ${name} must be an integer >= ${min}, received ${describeValue(value)}`,
    );
  }
  return value;
}
