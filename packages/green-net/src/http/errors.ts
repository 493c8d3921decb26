/**
 * The errors of Tendril's HTTP client. Each has a stable `code`, names the URL it concerns,
 * and keeps the low-level failure (undici's or the socket's) as `cause`. An interruption — a
 * kill (`GreenThreadExit`) or a `Timeout` of the calling thread — is never wrapped: the
 * thread receives its own error object, so `withTimeout` and `Timeout` recognise theirs.
 *
 * @module
 */

import { TendrilError } from "@tendril/core";

/**
 * A response whose status is 400 or more, when `throwHttpErrors` is on. The response body (up
 * to 64 KiB of it, as text) is kept for the message and for the caller; the connection was
 * returned to the pool.
 *
 * @example
 * ```ts
 * try { await urlopen(url, { throwHttpErrors: true }); }
 * catch (error) { if (error instanceof HttpError && error.status === 404) console.log("gone:", error.url); }
 * ```
 */
export class HttpError extends TendrilError {
  /** The response status. */
  readonly status: number;
  /** The response status text. */
  readonly statusText: string;
  /** The URL that answered (after redirects). */
  readonly url: string;
  /** The response headers. */
  readonly headers: Headers;
  /** The start of the response body (at most 64 KiB), as text. */
  readonly body: string;

  constructor(status: number, statusText: string, url: string, headers: Headers, body: string) {
    super(
      "ERR_TENDRIL_HTTP_STATUS",
      `HTTP ${status}${statusText ? ` ${statusText}` : ""} from ${url}`,
    );
    this.status = status;
    this.statusText = statusText;
    this.url = url;
    this.headers = headers;
    this.body = body;
  }
}

/**
 * Which deadline of an HTTP request passed.
 *
 * @example
 * ```ts
 * try {
 *   await urlopen(url, { headersTimeoutMs: 1000 });
 * } catch (error) {
 *   if (error instanceof HttpTimeout) console.log(error.phase); // "connect", "headers" or "body"
 * }
 * ```
 */
export type HttpTimeoutPhase = "connect" | "headers" | "body";

/**
 * A request that hit one of the client's own deadlines: `connectTimeoutMs` (no connection),
 * `headersTimeoutMs` (no response headers), or `bodyTimeoutMs` (no body bytes for that long).
 * These are the client's deadlines; a `Timeout` of the calling thread is thrown as itself.
 *
 * @example
 * ```ts
 * try { await urlopen(url, { headersTimeoutMs: 2000 }); }
 * catch (error) { if (error instanceof HttpTimeout) console.log(error.phase, error.url); }
 * ```
 */
export class HttpTimeout extends TendrilError {
  /** The deadline that passed. */
  readonly phase: HttpTimeoutPhase;
  /** The URL requested. */
  readonly url: string;

  constructor(phase: HttpTimeoutPhase, url: string, options?: ErrorOptions) {
    super("ERR_TENDRIL_HTTP_TIMEOUT", `${phase} timeout for ${url}`, options);
    this.phase = phase;
    this.url = url;
  }
}

/**
 * A response body larger than `maxResponseBytes`. Raised as soon as the declared
 * `Content-Length` or the bytes received so far exceed the limit; the request is aborted
 * there, so no more than the limit (plus one network read) is ever held in memory.
 *
 * @example
 * ```ts
 * try { await (await urlopen(url, { maxResponseBytes: 1 << 20 })).bytes(); }
 * catch (error) { if (error instanceof ResponseTooLarge) console.log(error.limit, error.url); }
 * ```
 */
export class ResponseTooLarge extends TendrilError {
  /** The limit, in bytes. */
  readonly limit: number;
  /** The URL requested. */
  readonly url: string;

  constructor(limit: number, url: string, received: number | string) {
    super(
      "ERR_TENDRIL_HTTP_RESPONSE_TOO_LARGE",
      `response from ${url} exceeds maxResponseBytes of ${limit} bytes (${typeof received === "number" ? `received ${received}` : received})`,
    );
    this.limit = limit;
    this.url = url;
  }
}

/**
 * A redirect chain longer than `maxRedirects`, or any redirect with `redirect: "error"`.
 *
 * @example
 * ```ts
 * try { await urlopen(url, { maxRedirects: 3 }); }
 * catch (error) { if (error instanceof TooManyRedirects) console.log(error.url); }
 * ```
 */
export class TooManyRedirects extends TendrilError {
  /** The URL first requested. */
  readonly url: string;
  /** The limit. */
  readonly maxRedirects: number;

  constructor(url: string, maxRedirects: number, message?: string) {
    super(
      "ERR_TENDRIL_HTTP_TOO_MANY_REDIRECTS",
      message ?? `${url} redirected more than ${maxRedirects} time${maxRedirects === 1 ? "" : "s"}`,
    );
    this.url = url;
    this.maxRedirects = maxRedirects;
  }
}

/**
 * A request that failed below HTTP: refused or reset connection, DNS failure, TLS error, a
 * malformed response, a bad redirect target. `cause` holds the original error, and its
 * `code` (such as `ECONNREFUSED`) is copied to `causeCode`.
 *
 * @example
 * ```ts
 * try { await urlopen("http://127.0.0.1:1/"); }
 * catch (error) { if (error instanceof HttpRequestError) console.log(error.causeCode); } // "ECONNREFUSED"
 * ```
 */
export class HttpRequestError extends TendrilError {
  /** The URL requested. */
  readonly url: string;
  /** The method used. */
  readonly method: string;
  /** The `code` of the underlying error (`ECONNREFUSED`, `UND_ERR_SOCKET`, …), if it had one. */
  readonly causeCode: string | undefined;

  constructor(method: string, url: string, cause: unknown, detail?: string) {
    const reason = detail ?? (cause instanceof Error ? cause.message : String(cause));
    super("ERR_TENDRIL_HTTP_REQUEST", `${method} ${url} failed: ${reason}`, { cause });
    this.url = url;
    this.method = method;
    const code = (cause as { code?: unknown } | null)?.code;
    this.causeCode = typeof code === "string" ? code : undefined;
  }
}
