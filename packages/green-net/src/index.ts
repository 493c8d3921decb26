/**
 * `@tendril/green-net`: green sockets, TLS, DNS and HTTP for `@tendril/core` — code that calls
 * `recv`, `sendall` or `resolve` as if they blocked, on Node's non-blocking I/O.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "./node-version.js";

/** Error codes: this package's `code`s, added to `@tendril/core`'s `TendrilErrorCodes`. */
export type { GreenNetErrorCode, GreenNetErrorCodes } from "./error-codes.js";
/** DNS: the green resolver (non-blocking, cached, `/etc/hosts`-aware) and its `dns.lookup` drop-in. */
export { DnsError, type DnsErrorCode } from "./dns/dns-error.js";
export { type HostsEntry, HostsFile, parseHosts } from "./dns/hosts-file.js";
export {
  getDefaultResolver,
  type LookupAddress,
  type LookupCallback,
  type LookupFunction,
  type LookupOptions,
  lookup,
  type ResolveOptions,
  Resolver,
  type ResolverOptions,
  resolve,
  setDefaultResolver,
} from "./dns/resolver.js";
/** HTTP client: green urlopen and fetch on undici, limits and typed errors; patch() for fetch users. */
export type { ConcurrencyLimit } from "./http/concurrency.js";
export {
  HttpError,
  HttpRequestError,
  HttpTimeout,
  type HttpTimeoutPhase,
  ResponseTooLarge,
  TooManyRedirects,
} from "./http/errors.js";
export { GreenDispatcher, type GreenDispatcherOptions } from "./http/green-dispatcher.js";
export {
  HttpClient,
  type HttpClientOptions,
  type UrlopenBody,
  type UrlopenInit,
} from "./http/http-client.js";
export { HttpResponse } from "./http/http-response.js";
export type { BeforeRedirect, RedirectHop } from "./http/urlopen-task.js";
export { patch, patchedDispatcher, unpatch } from "./http/patch.js";
export { fetch, getDefaultHttpClient, setDefaultHttpClient, urlopen } from "./http/urlopen.js";

/** HTTP server: a web-standard handler per request, each in its own green thread, on node:http. */
export {
  type AccessLogEntry,
  type AccessLogFormat,
  type AccessLogSink,
  formatAccessLog,
} from "./http-server/access-log.js";
export { RequestTooLarge } from "./http-server/limits.js";
export { Response } from "./http-server/response.js";
export {
  type CloseOptions,
  type HttpHandler,
  type HttpListenerLike,
  HttpServer,
  type ServeHttpInfo,
  type ServeHttpOptions,
  serveHttp,
} from "./http-server/serve-http.js";
export { ServerRequest } from "./http-server/server-request.js";
/** Third-party I/O: sockets and requests any library opens in a green thread obey kill and Timeout. */
export { unwatchIo, watchIo, watchingIo } from "./interrupt/watch-io.js";
/** Sockets: listen, accept, connect, and the blocking-style GreenSocket; serve; TLS. */
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
