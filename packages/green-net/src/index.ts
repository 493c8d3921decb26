/**
 * `@tendril/green-net`: green sockets, TLS, DNS and HTTP for `@tendril/core` — code that calls
 * `recv`, `sendall` or `resolve` as if they blocked, on Node's non-blocking I/O.
 *
 * @module
 */

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
