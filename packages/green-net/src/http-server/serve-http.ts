/**
 * `serveHttp`: Tendril's WSGI. A web-standard handler — `(request: Request, info) => Response`
 * — served on `node:http`, so Node's own parser (llhttp) frames every request: nothing here
 * parses HTTP by hand. Each request runs in its own green thread, at most `maxConnections` at
 * once (the rest wait in a bounded FIFO queue; past it they get 503), so a handler is plain
 * sequential code that may call `urlopen`, sleep, or wait on a queue, and a client that hangs
 * up kills its thread — and with it every green operation the thread was in, upstream HTTP
 * requests included.
 *
 * Limits: header size (431) and the header/request timeouts (408) are Node's, enforced by a
 * checker that only runs on a server that really listens (so we always `listen()`, never feed
 * sockets in by hand); URL length (414) and body size (413, counted while streaming) are ours.
 * A handler that throws gets a 500 (its stack only with `debug: true`), the error goes to the
 * hub's error reporter, and the server goes on. `close()` stops accepting, closes every
 * connection with nothing in flight at once, lets in-flight requests finish (answering them
 * with `Connection: close`) and their responses flush, and after a grace period (30 s by
 * default) cuts the rest. The `Host` header and the response framing are checked here too
 * (`request-target.ts`, `write-response.ts`), so a client cannot move the URL and a handler
 * cannot split a pipelined connection.
 *
 * Trade-offs for speed: the request is a lazy `Request` (see `ServerRequest`) and this
 * package's `Response` is written straight to the socket; the platform's `Response` works
 * too, at the platform's cost.
 *
 * This file holds the public types and `serveHttp` itself (options, and where to listen); the
 * server's work is in rooms of its own: `http-server.ts` (admission, the request queue and the
 * graceful close), `run-exchange.ts` (the body of each request's thread), `exchange.ts` (one
 * request's state), `server-request.ts` and `response.ts` (the web objects),
 * `write-response.ts` (writing a response), `request-target.ts` and `client-error.ts` (bad
 * input).
 *
 * @module
 */

import { createServer, type Server } from "node:http";
import { Server as NetServer } from "node:net";
import type { GreenThread } from "@tendril/core";
import { describeValue } from "@tendril/core/validate";
import type { AccessLogFormat, AccessLogSink } from "./access-log.js";
import { HttpServer } from "./http-server.js";
import {
  DEFAULT_HEADERS_TIMEOUT,
  DEFAULT_KEEP_ALIVE_TIMEOUT,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_REQUEST_TIMEOUT,
  optionInteger,
} from "./limits.js";
import type { ServerRequest } from "./server-request.js";

type WebResponse = globalThis.Response;

/**
 * What a handler is told besides the request.
 *
 * @example
 * ```ts
 * await serveHttp(8080, (_request, info: ServeHttpInfo) =>
 *   new Response(`hello ${info.remoteAddress}:${info.remotePort}\n`));
 * ```
 */
export interface ServeHttpInfo {
  /** The client's IP address (`""` when the socket is already gone). */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
  /** The address the request arrived on. */
  readonly localAddress: string;
  /** The port the request arrived on. */
  readonly localPort: number;
  /** The green thread running this request (`null` only before it starts). */
  readonly thread: GreenThread<unknown> | null;
  /** The server. */
  readonly server: HttpServer;
}

/**
 * A `serveHttp` handler: a web `Request` in, a web `Response` out. The request is a
 * `ServerRequest` — a `Request` with `bytes()` and `toRequest()` — so a handler written for
 * the standard `(request: Request) => Response` fits.
 *
 * @example
 * ```ts
 * const echo: HttpHandler = async (request) => new Response(await request.text());
 * await serveHttp(["127.0.0.1", 0], echo);
 * ```
 */
export type HttpHandler = (
  request: ServerRequest,
  info: ServeHttpInfo,
) => WebResponse | PromiseLike<WebResponse>;

/**
 * Where to serve: a port, `[host, port]`, `{ host, port }`, a Unix socket path, or a server.
 *
 * @example
 * ```ts
 * await serveHttp(["127.0.0.1", 0], handler); // a free port
 * await serveHttp({ path: "/tmp/app.sock" }, handler); // a Unix socket
 * ```
 */
export type HttpListenerLike =
  | number
  | string
  | readonly [host: string, port: number]
  | { host?: string; port?: number; path?: string; backlog?: number }
  | NetServer
  | { readonly server: NetServer; readonly secure?: boolean; accept(): unknown };

/**
 * Options of `serveHttp`. Times in milliseconds, sizes in bytes.
 *
 * @example
 * ```ts
 * await serveHttp(["127.0.0.1", 8080], handler, {
 *   maxConnections: 100,
 *   maxBodyBytes: 1 << 20,
 *   accessLog: true,
 * });
 * ```
 */
export interface ServeHttpOptions {
  /** Requests handled at once, each in its own green thread. Default 1000. */
  maxConnections?: number;
  /** Requests that may wait for a free slot; past this they get 503. Default 1000. */
  maxQueued?: number;
  /** `false` answers every request with `Connection: close`. Default `true`. */
  keepAlive?: boolean;
  /** How long an idle keep-alive connection stays open. Default 5000. */
  keepAliveTimeoutMs?: number;
  /** How long a client may take to send its headers; then 408. Default 60 000. */
  headersTimeoutMs?: number;
  /** How long a client may take to send its whole request; then 408. `0`: no limit. Default 300 000. */
  requestTimeoutMs?: number;
  /** The largest request head (request line and headers); past it 431. Default 16 KiB. */
  maxHeaderBytes?: number;
  /** The longest request target; past it 414. Default 8192 (Eventlet's). */
  maxUrlLength?: number;
  /** The largest request body, checked while it streams; past it 413. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Access log: `true` for standard error, a writable, or a function. Default off. */
  accessLog?: AccessLogSink;
  /** `"combined"` (default) or `"common"`. */
  accessLogFormat?: AccessLogFormat;
  /** Put the stack of a handler's error in the 500 body. Default `false`. */
  debug?: boolean;
  /** Told about each handler error (default: the hub's error reporter). */
  onError?: (error: unknown, request: Request) => void;
  /** The listen backlog. */
  backlog?: number;
}

/**
 * Options of every `close()` that may find work in flight: `HttpServer.close`,
 * `HttpClient.close`, and `@tendril/patterns`' `ConnectionServer.close` (the naming grid:
 * one verb, one option, for every graceful stop).
 *
 * @example
 * ```ts
 * await server.close({ graceMs: 10_000 }); // requests still running after 10 s are cut
 * await client.close({ graceMs: 0 }); // cut every connection now
 * ```
 */
export interface CloseOptions {
  /**
   * How long work in flight may take to finish; then it is cut (threads killed, connections
   * destroyed). `0` cuts at once; `Infinity` waits for ever. Default: 30 000 for servers,
   * `Infinity` for `HttpClient`.
   */
  graceMs?: number;
}

function isGreenListener(
  value: unknown,
): value is { readonly server: NetServer; readonly secure?: boolean; accept(): unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof NetServer) &&
    typeof (value as { accept?: unknown }).accept === "function" &&
    (value as { server?: unknown }).server instanceof NetServer
  );
}

function isNetServer(value: unknown): value is NetServer {
  return value instanceof NetServer;
}

/**
 * Serves HTTP on `listener` with a web-standard `handler`, each request in its own green
 * thread. Resolves once the server listens.
 *
 * `listener` is a port (all interfaces), `[host, port]`, `{ host, port }`, a Unix socket path
 * (`{ path }` or a string), a `net.Server`/`http.Server`, or a `GreenListener` from `listen()`
 * — a listening one is taken over: its new connections come here from then on (a TLS
 * listener is refused: serve HTTPS from an `https.Server`). Connections a `GreenListener`
 * had queued and nobody accepted before the takeover stay with it: hand it over fresh.
 *
 * Requests beyond `maxConnections` wait in FIFO order, up to `maxQueued`; past that they get
 * `503` with `Retry-After: 1`, and a waiting client that hangs up leaves the queue. A waiting
 * request whose body does not arrive in `requestTimeoutMs` gets Node's 408.
 *
 * @throws {TypeError|RangeError} for an invalid listener or option (naming the value).
 * @example
 * ```ts
 * import { GreenPile } from "@tendril/core";
 * import { Response, serveHttp, urlopen } from "@tendril/green-net";
 * const server = await serveHttp({ host: "127.0.0.1", port: 8080 }, async (request) => {
 *   const pile = new GreenPile<string>(10);
 *   for (const url of (await request.text()).split("\n").filter(Boolean))
 *     await pile.spawn(async (u: string) => (await urlopen(u)).text(), url);
 *   return new Response((await pile.collect()).join("\n"));
 * });
 * ```
 */
export async function serveHttp(
  listener: HttpListenerLike,
  handler: HttpHandler,
  options: ServeHttpOptions = {},
): Promise<HttpServer> {
  if (typeof handler !== "function") {
    throw new TypeError(
      `serveHttp: handler must be a function, received ${describeValue(handler)}`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`serveHttp: options must be an object, received ${describeValue(options)}`);
  }
  const headersTimeout = optionInteger(
    "headersTimeoutMs",
    options.headersTimeoutMs,
    DEFAULT_HEADERS_TIMEOUT,
    1,
  );
  const requestTimeout = optionInteger(
    "requestTimeoutMs",
    options.requestTimeoutMs,
    DEFAULT_REQUEST_TIMEOUT,
  );
  const keepAliveTimeout = optionInteger(
    "keepAliveTimeoutMs",
    options.keepAliveTimeoutMs,
    DEFAULT_KEEP_ALIVE_TIMEOUT,
    1,
  );
  const maxHeaderSize = optionInteger(
    "maxHeaderBytes",
    options.maxHeaderBytes,
    DEFAULT_MAX_HEADER_SIZE,
    1,
  );
  // Node checks the header and request deadlines on an interval (30 s by default), so a
  // 1-second headersTimeoutMs would really be up to 31 s: check at a quarter of the tightest.
  const tightest = Math.min(headersTimeout, requestTimeout === 0 ? headersTimeout : requestTimeout);
  const connectionsCheckingInterval = Math.min(30_000, Math.max(25, Math.floor(tightest / 4)));

  let server: Server;
  let takeOver: NetServer | null = null;
  if (isGreenListener(listener)) {
    if (listener.secure) {
      throw new TypeError("serveHttp: a TLS GreenListener cannot be served as plain HTTP");
    }
    listener = listener.server;
  }
  if (
    listener instanceof NetServer &&
    "setTimeout" in listener &&
    "closeIdleConnections" in listener
  ) {
    server = listener as Server; // an http.Server: configure it in place
    server.headersTimeout = headersTimeout;
    server.requestTimeout = requestTimeout;
    server.keepAliveTimeout = keepAliveTimeout;
    (server as Server & { maxHeaderSize?: number }).maxHeaderSize = maxHeaderSize;
  } else {
    server = createServer({
      headersTimeout,
      requestTimeout,
      keepAliveTimeout,
      maxHeaderSize,
      connectionsCheckingInterval,
    } as Parameters<typeof createServer>[0]);
    if (isNetServer(listener)) takeOver = listener;
  }
  const httpServer = new HttpServer(server, handler, options);
  if (server.listening) return httpServer;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    const backlog = options.backlog;
    if (takeOver !== null) {
      if (!takeOver.listening) {
        reject(new TypeError("serveHttp: a net.Server listener must already be listening"));
        return;
      }
      server.listen(takeOver, backlog);
    } else if (listener === server) {
      // An http.Server that is not listening yet: wait for its owner to call listen().
    } else if (typeof listener === "number") {
      server.listen({ port: listener, backlog });
    } else if (typeof listener === "string") {
      server.listen({ path: listener, backlog });
    } else if (Array.isArray(listener)) {
      const [host, port] = listener as readonly [string, number];
      server.listen({ host, port, backlog });
    } else if (typeof listener === "object" && listener !== null) {
      const l = listener as { host?: string; port?: number; path?: string; backlog?: number };
      if (l.path !== undefined) server.listen({ path: l.path, backlog: l.backlog ?? backlog });
      else server.listen({ host: l.host, port: l.port ?? 0, backlog: l.backlog ?? backlog });
    } else {
      reject(
        new TypeError(
          `serveHttp: listener must be a port, [host, port], { host, port }, a path or a server, received ${describeValue(listener)}`,
        ),
      );
    }
  });
  return httpServer;
}
