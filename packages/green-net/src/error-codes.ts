/**
 * The `code`s of `@tendril/green-net`'s errors, added to `@tendril/core`'s `TendrilErrorCodes`
 * registry so that `TendrilError.code` names them once this package is imported. Each is
 * explained on the docs' Errors page.
 *
 * @module
 */

/**
 * The error codes `@tendril/green-net` adds to `TendrilErrorCodes`.
 *
 * @example
 * ```ts
 * const code: GreenNetErrorCode = "ERR_TENDRIL_SOCKET_TIMEOUT";
 * ```
 */
export interface GreenNetErrorCodes {
  /** `backdoor({ host })` asked to bind a non-loopback address without `allowRemote: true` (`BackdoorNotLoopback`). */
  ERR_TENDRIL_BACKDOOR_NOT_LOOPBACK: true;
  /** Two threads read the same `GreenSocket` at once (`ConcurrentRead`). */
  ERR_TENDRIL_CONCURRENT_READ: true;
  /** A DNS query failed (server error, refused, timed out): `DnsError`. */
  ERR_TENDRIL_DNS_FAILED: true;
  /** The name does not exist or has no record of that type: `DnsError`. */
  ERR_TENDRIL_DNS_NOT_FOUND: true;
  /** A `serveHttp` response body did not match its declared `Content-Length`. */
  ERR_TENDRIL_HTTP_CONTENT_LENGTH_MISMATCH: true;
  /** A request failed below HTTP (refused, reset, DNS, TLS, malformed): `HttpRequestError`. */
  ERR_TENDRIL_HTTP_REQUEST: true;
  /** A request body over `serveHttp`'s `maxBodyBytes` (`RequestTooLarge`). */
  ERR_TENDRIL_HTTP_REQUEST_TOO_LARGE: true;
  /** A response body over the client's `maxResponseBytes` (`ResponseTooLarge`). */
  ERR_TENDRIL_HTTP_RESPONSE_TOO_LARGE: true;
  /** A response status >= 400 with `throwHttpErrors` (`HttpError`). */
  ERR_TENDRIL_HTTP_STATUS: true;
  /** One of the HTTP client's deadlines passed (`HttpTimeout`). */
  ERR_TENDRIL_HTTP_TIMEOUT: true;
  /** A redirect chain longer than `maxRedirects` (`TooManyRedirects`). */
  ERR_TENDRIL_HTTP_TOO_MANY_REDIRECTS: true;
  /** The stream ended before `recvExactly` had its bytes (`IncompleteRead`). */
  ERR_TENDRIL_INCOMPLETE_READ: true;
  /** `readLine` found no line end within `maxLineBytes` (`LineTooLong`). */
  ERR_TENDRIL_LINE_TOO_LONG: true;
  /** `accept()` on a closed listener (`ListenerClosed`). */
  ERR_TENDRIL_LISTENER_CLOSED: true;
  /** A subprocess exited with a non-zero status or a signal, with `run(..., { check: true })` (`ProcessFailed`). */
  ERR_TENDRIL_PROCESS_FAILED: true;
  /** An operation on a `GreenSocket` this side closed (`SocketClosed`). */
  ERR_TENDRIL_SOCKET_CLOSED: true;
  /** A socket operation passed the socket's `setTimeout` (`SocketTimeout`). */
  ERR_TENDRIL_SOCKET_TIMEOUT: true;
  /** Thrown by a `serve` handler to end `serve` normally (`StopServe`). */
  ERR_TENDRIL_STOP_SERVE: true;
  /** A feature this platform or Node version lacks (`Unsupported`). */
  ERR_TENDRIL_UNSUPPORTED: true;
  /** An operation on a closed WebSocket (`WebSocketClosed`). */
  ERR_TENDRIL_WEBSOCKET_CLOSED: true;
}

/**
 * A code of one of `@tendril/green-net`'s errors.
 *
 * @example
 * ```ts
 * function isSocketProblem(code: GreenNetErrorCode): boolean { return code.includes("SOCKET"); }
 * ```
 */
export type GreenNetErrorCode = keyof GreenNetErrorCodes;

declare module "@tendril/core" {
  interface TendrilErrorCodes extends GreenNetErrorCodes {}
}
