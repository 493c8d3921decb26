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
 * @module
 */

import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import { type AddressInfo, Server as NetServer, type Socket } from "node:net";
import { type GreenThread, getHub, spawn, type TimerHandle } from "@tendril/core";
import { describeValue } from "../socket/errors.js";
import {
  type AccessLogEntry,
  type AccessLogFormat,
  type AccessLogSink,
  accessLogWriter,
} from "./access-log.js";
import { answerClientError } from "./client-error.js";
import {
  Exchange,
  httpSocketOf,
  isIdle,
  linkSecureSocket,
  responseInFlight,
  watchConnection,
} from "./exchange.js";
import {
  DEFAULT_CLOSE_GRACE,
  DEFAULT_HEADERS_TIMEOUT,
  DEFAULT_KEEP_ALIVE_TIMEOUT,
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_HEADER_SIZE,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_URL_LENGTH,
  DEFAULT_REQUEST_TIMEOUT,
  optionInteger,
  RequestTooLarge,
} from "./limits.js";
import { hostLinesProblem, isValidAbsoluteTarget } from "./request-target.js";
import { ServerRequest } from "./server-request.js";
import { writeResponse, writeSimple } from "./write-response.js";

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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}

/**
 * A running HTTP server, returned by `serveHttp`.
 *
 * @example
 * ```ts
 * await using server = await serveHttp({ host: "127.0.0.1", port: 0 }, () => new Response("hi"));
 * console.log(server.url); // http://127.0.0.1:40123
 * ```
 */
export class HttpServer {
  /** The underlying `node:http` server (an escape hatch: prefer the options). */
  readonly server: Server;
  readonly #handler: HttpHandler;
  readonly #maxConnections: number;
  readonly #maxQueued: number;
  readonly #maxUrlLength: number;
  readonly #maxBodySize: number;
  readonly #keepAlive: boolean;
  readonly #debug: boolean;
  readonly #onError: ((error: unknown, request: Request) => void) | null;
  readonly #log: ((entry: AccessLogEntry) => void) | null;
  #active = 0;
  #queue: Exchange[] = [];
  #queueHead = 0;
  #running: Exchange | null = null;
  #closing: Promise<void> | null = null;
  #drained: (() => void) | null = null;
  /** Every open connection (from 'connection' to 'close'). */
  readonly #sockets = new Set<Socket>();
  #socketsClosed: (() => void) | null = null;

  /** @internal Use `serveHttp`. */
  constructor(server: Server, handler: HttpHandler, options: ServeHttpOptions) {
    this.server = server;
    this.#handler = handler;
    this.#maxConnections = optionInteger(
      "maxConnections",
      options.maxConnections,
      DEFAULT_MAX_CONNECTIONS,
      1,
    );
    this.#maxQueued = optionInteger("maxQueued", options.maxQueued, DEFAULT_MAX_QUEUED);
    this.#maxUrlLength = optionInteger(
      "maxUrlLength",
      options.maxUrlLength,
      DEFAULT_MAX_URL_LENGTH,
      1,
    );
    this.#maxBodySize = optionInteger("maxBodyBytes", options.maxBodyBytes, DEFAULT_MAX_BODY_SIZE);
    this.#keepAlive = options.keepAlive ?? true;
    this.#debug = options.debug ?? false;
    this.#onError = options.onError ?? null;
    this.#log = accessLogWriter(options.accessLog, options.accessLogFormat ?? "combined");
    server.on("connection", this.#onConnection);
    if (typeof (server as { setSecureContext?: unknown }).setSecureContext === "function") {
      server.on("secureConnection", linkSecureSocket); // an https.Server
    }
    server.closeIdleConnections = () => this.#closeIdle();
    server.on("request", this.#onRequest);
    server.on("checkContinue", this.#onCheckContinue);
    server.on("clientError", this.#onClientError);
  }

  /** The address the server listens on (as `net.Server.address()`). */
  address(): AddressInfo | string | null {
    return this.server.address();
  }

  /** `http://host:port` of the listening address (`http+unix://…` for a Unix socket). */
  get url(): string {
    const address = this.server.address();
    if (address === null) return "";
    if (typeof address === "string") return `http+unix://${encodeURIComponent(address)}`;
    let host = address.address;
    if (host === "::" || host === "0.0.0.0")
      host = address.family === "IPv6" ? "[::1]" : "127.0.0.1";
    else if (host.includes(":")) host = `[${host}]`;
    return `http://${host}:${address.port}`;
  }

  /** Requests being handled now. */
  running(): number {
    return this.#active;
  }

  /** Requests waiting for a free slot. */
  waiting(): number {
    return this.#queue.length - this.#queueHead;
  }

  /**
   * Shuts the server down gracefully, and resolves once every connection is closed:
   *
   * 1. It stops accepting connections, and closes at once every connection with nothing in
   *    flight — idle keep-alive ones, ones that never sent a byte, and ones still sending a
   *    request head (a half-sent request never holds `close()` for `headersTimeoutMs`).
   * 2. Requests in flight (running, or waiting for a slot) go on; their responses carry
   *    `Connection: close`, and a connection is closed once its response has been written to
   *    the end — a large body still flushing to a slow client is delivered, not cut.
   * 3. After `graceMs` (default 30 000; `Infinity` waits for ever), what is left is cut: the
   *    request threads are killed and their connections destroyed. A thread stuck on a plain
   *    promise that never settles cannot be interrupted; `close()` resolves without it, and
   *    nothing it does later reaches a client.
   *
   * Calling it again returns the same promise.
   *
   * @throws {RangeError} when `graceMs` is not a number >= 0 (naming the value).
   * @example
   * ```ts
   * process.on("SIGTERM", () => void server.close({ graceMs: 10_000 }));
   * ```
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    const graceMs = options.graceMs ?? DEFAULT_CLOSE_GRACE;
    if (typeof graceMs !== "number" || !(graceMs >= 0)) {
      throw new RangeError(
        `HttpServer.close: graceMs must be a number >= 0, received ${describeValue(options.graceMs)}`,
      );
    }
    const server = this.server;
    // Invariant: #closing is set before anything below runs, so every response written from
    // here on says `Connection: close` and no request joins the queue.
    let resolveDone!: () => void;
    this.#closing = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const listenerClosed = new Promise<void>((resolve) => {
      if (!server.listening) resolve();
      else server.close(() => resolve()); // calls closeIdleConnections: ours, see #closeIdle
    });
    this.#closeIdle();
    for (const socket of this.#sockets) this.#retireWhenIdle(socket);
    const socketsClosed = new Promise<void>((resolve) => {
      if (this.#sockets.size === 0) resolve();
      else this.#socketsClosed = resolve;
    });
    const drained = new Promise<void>((resolve) => {
      if (this.#active === 0 && this.waiting() === 0) resolve();
      else this.#drained = resolve;
    });
    let timer: TimerHandle | null = null;
    const graceOver = new Promise<void>((resolve) => {
      if (graceMs === Number.POSITIVE_INFINITY) return;
      timer = getHub().schedule(graceMs, () => {
        this.#cutEverything();
        resolve();
      });
    });
    void Promise.all([listenerClosed, socketsClosed, Promise.race([drained, graceOver])]).then(
      () => {
        (timer as TimerHandle | null)?.cancel();
        resolveDone();
      },
    );
    return this.#closing;
  }

  // The grace period is over: kill every request thread (a thread inside a plain promise ends
  // at its next green operation, whenever that is) and destroy every connection.
  #cutEverything(): void {
    for (let ex = this.#running; ex !== null; ex = ex.next) {
      if (ex.thread !== null && !ex.thread.dead) void ex.thread.kill();
    }
    for (const socket of this.#sockets) socket.destroy();
    this.server.closeAllConnections(); // any connection made before serveHttp took over
  }

  // Closes every connection with nothing in flight. It replaces the node:http server's own
  // closeIdleConnections (which `server.close()` calls), because Node's counts a response
  // that was ended but is still flushing as idle and cuts it off.
  #closeIdle(): void {
    for (const socket of this.#sockets) if (isIdle(socket)) socket.destroy();
  }

  // While closing: once nothing is in flight on `socket` any more, close it (after the last
  // byte of its response was handed to the kernel).
  #retireWhenIdle(socket: Socket): void {
    if (socket.destroyed) return;
    if (isIdle(socket)) {
      httpSocketOf(socket).destroySoon();
      return;
    }
    const res = responseInFlight(socket);
    if (res !== null) {
      const retry = (): void => {
        res.off("finish", retry);
        res.off("close", retry);
        this.#retireWhenIdle(socket);
      };
      res.on("finish", retry);
      res.on("close", retry);
    }
    // Otherwise a request of ours is in flight: _release calls this again when it ends.
  }

  readonly #onConnection = (socket: Socket): void => {
    this.#sockets.add(socket);
    watchConnection(socket);
    socket.once("close", () => {
      this.#sockets.delete(socket);
      if (this.#sockets.size === 0 && this.#socketsClosed !== null) {
        const resolve = this.#socketsClosed;
        this.#socketsClosed = null;
        resolve();
      }
    });
  };

  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.#admit(req, res, false);
  };

  readonly #onCheckContinue = (req: IncomingMessage, res: ServerResponse): void => {
    this.#admit(req, res, true);
  };

  #admit(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    const log = this.#log;
    const ex = new Exchange(this, req, res, this.#maxBodySize, log === null ? 0 : getHub().now());
    if (log !== null) res.once("finish", () => log(this.#entry(ex, res.statusCode)));
    const target = req.url as string;
    if (target.length > this.#maxUrlLength) {
      this.#reject(ex, 414, `request target longer than ${this.#maxUrlLength} characters`);
      return;
    }
    // Invariant: a request reaches a handler only when `request.url` parses and its path is
    // the request target's — the Host header can never move it or add userinfo.
    const hostProblem = hostLinesProblem(req.rawHeaders);
    if (hostProblem !== null) {
      this.#reject(ex, 400, hostProblem);
      return;
    }
    if (
      (target.startsWith("http://") || target.startsWith("https://")) &&
      !isValidAbsoluteTarget(target)
    ) {
      this.#reject(ex, 400, "invalid absolute request target");
      return;
    }
    const length = req.headers["content-length"];
    if (length !== undefined && Number(length) > this.#maxBodySize) {
      this.#reject(
        ex,
        413,
        `request body of ${length} bytes exceeds the limit of ${this.#maxBodySize}`,
      );
      return;
    }
    ex.expectContinue = expectContinue;
    if (this.#active < this.#maxConnections) {
      ex.track();
      this.#start(ex);
    } else if (this.waiting() < this.#maxQueued && this.#closing === null) {
      ex.track();
      this.#queue.push(ex);
    } else {
      this.#reject(ex, 503, "server busy", [["retry-after", "1"]]);
    }
  }

  #start(ex: Exchange): void {
    this.#active++;
    const head = this.#running;
    ex.next = head;
    if (head !== null) head.prev = ex;
    this.#running = ex;
    ex.thread = spawn(runExchange, ex);
  }

  /** @internal A request's thread ended: free its slot and start the next waiting one. */
  _release(ex: Exchange): void {
    this.#active--;
    ex.untrack();
    const { prev, next } = ex;
    if (prev !== null) prev.next = next;
    else if (this.#running === ex) this.#running = next;
    if (next !== null) next.prev = prev;
    ex.prev = ex.next = null;
    const queue = this.#queue;
    while (this.#active < this.#maxConnections && this.#queueHead < queue.length) {
      const next = queue[this.#queueHead] as Exchange;
      queue[this.#queueHead++] = undefined as unknown as Exchange;
      if (!next.cancelled) this.#start(next);
    }
    if (this.#queueHead === queue.length) {
      if (queue.length > 0) {
        this.#queue = [];
        this.#queueHead = 0;
      }
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > queue.length) {
      // Invariant: the live part of the queue is queue[queueHead..]; compact it now and then.
      this.#queue = queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    if (this.#closing !== null) this.#retireWhenIdle(ex.req.socket);
    if (this.#active === 0 && this.#drained !== null && this.waiting() === 0) {
      const drained = this.#drained;
      this.#drained = null;
      drained();
    }
  }

  /** @internal */
  _handle(ex: Exchange): WebResponse | PromiseLike<WebResponse> {
    const request = new ServerRequest(ex.req, ex);
    ex.request = request;
    return this.#handler(request, ex);
  }

  /** @internal Extra response headers: `Connection: close` when the connection must end. */
  _mustClose(ex: Exchange): boolean {
    return (
      ex.closeAfter ||
      !this.#keepAlive ||
      this.#closing !== null ||
      (ex.expectContinue && !ex.continued) ||
      // A body still arriving that the handler did not read: rather than let Node drain it
      // (however large) to keep the connection, close the connection after the response.
      !ex.req.complete
    );
  }

  /**
   * @internal A handler failed (or returned something that is not a Response, or one Node
   * refused to write). Invariant: never throws — the caller releases the request's slot next.
   */
  _failed(ex: Exchange, error: unknown): void {
    try {
      this.#answerFailure(ex, error);
    } catch (writeError) {
      // Even the plain 500 could not be written: nothing sane can follow on this connection.
      getHub().reportError(writeError, "serveHttp error response");
      ex.res.destroy();
    }
  }

  #answerFailure(ex: Exchange, error: unknown): void {
    const res = ex.res;
    if (ex.cancelled) return; // the client went away: its errors are nobody's to answer
    if (error instanceof RequestTooLarge) {
      if (!res.headersSent && !res.destroyed) this.#reject(ex, 413, error.message);
      else res.destroy();
      return;
    }
    try {
      if (this.#onError !== null) this.#onError(error, ex.request as unknown as Request);
      else getHub().reportError(error, `serveHttp handler for ${ex.req.method} ${ex.req.url}`);
    } catch (reportError) {
      getHub().reportError(reportError, "serveHttp onError");
    }
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const body =
      this.#debug && error instanceof Error
        ? `Internal Server Error\n\n${error.stack ?? String(error)}\n`
        : "Internal Server Error\n";
    writeSimple(ex, 500, body, []);
  }

  #reject(ex: Exchange, status: number, message: string, extra: string[][] = []): void {
    ex.closeAfter = true;
    writeSimple(ex, status, `${STATUS_CODES[status] ?? "Error"}: ${message}\n`, extra);
  }

  #entry(ex: Exchange, status: number): AccessLogEntry {
    const req = ex.req;
    const ua = req.headers["user-agent"];
    const referer = req.headers.referer;
    return {
      remoteAddress: req.socket.remoteAddress ?? "-",
      time: new Date(),
      requestLine: `${req.method} ${req.url} HTTP/${req.httpVersion}`,
      status,
      bytes: ex.bytes,
      referer,
      userAgent: ua,
      durationMs: getHub().now() - ex.started,
    };
  }

  readonly #onClientError = (error: Error & { code?: string }, socket: Socket): void => {
    answerClientError(error, socket, this.#log);
  };
}

// The body of a request's thread. A handler that answers synchronously is served without a
// single promise; the others continue in `finishAsync`.
function runExchange(ex: Exchange): Promise<void> | undefined {
  const server = ex.owner;
  let written: Promise<void> | undefined;
  try {
    const result: unknown = server._handle(ex);
    if (isThenable(result)) return finishAsync(ex, result);
    written = writeResponse(ex, result);
  } catch (error) {
    server._failed(ex, error);
  }
  if (written === undefined) {
    server._release(ex);
    return undefined;
  }
  return finishAsync(ex, written, true);
}

async function finishAsync(
  ex: Exchange,
  pending: PromiseLike<unknown>,
  writing = false,
): Promise<void> {
  const server = ex.owner;
  try {
    const result = await pending;
    if (!writing) {
      const written = writeResponse(ex, result);
      if (written !== undefined) await written;
    }
  } catch (error) {
    server._failed(ex, error);
  } finally {
    server._release(ex);
  }
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
