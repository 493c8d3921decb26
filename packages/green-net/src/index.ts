/**
 * `@tendril/green-net`: green sockets, TLS, DNS and HTTP for `@tendril/core` — code that calls
 * `recv`, `sendall` or `resolve` as if they blocked, on Node's non-blocking I/O.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "./node-version.js";

// The main entry is the union of the light subpaths; each lists its exports once, there.
/** Error codes: this package's `code`s, added to `@tendril/core`'s `TendrilErrorCodes`. */
export type { GreenNetErrorCode, GreenNetErrorCodes } from "./error-codes.js";
/** DNS: the green resolver (non-blocking, cached, `/etc/hosts`-aware) and its `dns.lookup` drop-in. */
export * from "./dns.js";
/** HTTP client: green urlopen and fetch on undici, limits and typed errors; patch() for fetch users. */
export * from "./http.js";
/** HTTP server: a web-standard handler per request, each in its own green thread, on node:http. */
export * from "./http-server.js";
/** Sockets: listen, accept, connect, GreenSocket, serve, TLS; watchIo() for third-party I/O. */
export * from "./sockets.js";
