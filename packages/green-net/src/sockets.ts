/**
 * `@tendril/green-net/sockets`: green sockets alone — `listen`, `connect`, `GreenSocket`,
 * `GreenListener`, `serve`, TLS, and `watchIo()` for third-party sockets — without the HTTP
 * client's undici. The green resolver (`/dns`) comes along: `connect` resolves names with it.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "./node-version.js";

/** The codes of this package's errors (they extend `@tendril/core`'s `TendrilErrorCodes`). */
export type { GreenNetErrorCode } from "./error-codes.js";
/** Third-party I/O: sockets and requests any library opens in a green thread obey kill and Timeout. */
export { unwatchIo, watchIo, watchingIo } from "./interrupt/watch-io.js";
/** Sockets: listen, accept, connect, and the blocking-style GreenSocket; serve; TLS. */
export { AcceptBackoff } from "./socket/accept-backoff.js";
export type { SocketAddress } from "./socket/address.js";
export { type ConnectOptions, connect } from "./socket/connect.js";
export {
  ConcurrentRead,
  IncompleteRead,
  LineTooLong,
  ListenerClosed,
  SocketClosed,
  SocketTimeout,
  Unsupported,
} from "./socket/errors.js";
export { type Accepted, GreenListener } from "./socket/green-listener.js";
export {
  GreenSocket,
  type GreenSocketOptions,
  type ReadLineOptions,
  type ShutdownHow,
} from "./socket/green-socket.js";
export { type ListenOptions, listen } from "./socket/listen.js";
export { type ServeHandler, type ServeOptions, StopServe, serve } from "./socket/serve.js";
export { type WrapTlsOptions, wrapTls } from "./socket/tls.js";
