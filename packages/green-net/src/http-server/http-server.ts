/**
 * `HttpServer`: a running `serveHttp` server — admission of each request (the Host and target
 * checks, the size limits, a slot among `maxConnections` or a place in the bounded FIFO
 * queue, else 503), the bookkeeping of the requests in flight, and the graceful `close()`.
 * The body of each request's thread is in `run-exchange.ts`; `serveHttp` (in `serve-http.ts`)
 * makes one of these.
 *
 * @module
 */

import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { getHub, spawn, type TimerHandle } from "@tendril/core";
import { describeValue } from "@tendril/core/validate";
import { type AccessLogEntry, accessLogWriter } from "./access-log.js";
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
  DEFAULT_MAX_BODY_SIZE,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_URL_LENGTH,
  optionInteger,
  RequestTooLarge,
} from "./limits.js";
import { hostLinesProblem, isValidAbsoluteTarget } from "./request-target.js";
import { runExchange } from "./run-exchange.js";
import type { CloseOptions, HttpHandler, ServeHttpOptions } from "./serve-http.js";
import { ServerRequest } from "./server-request.js";
import { writeSimple } from "./write-response.js";

type WebResponse = globalThis.Response;

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
