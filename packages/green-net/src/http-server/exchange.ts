/**
 * One request in flight on `serveHttp`: its Node objects, its green thread, and what the
 * access log needs. It is also the `info` a handler receives and the context its
 * `ServerRequest` reads the body through, so a request costs one object, not three.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { GreenThread } from "@tendril/core";
import type { HttpServer } from "./http-server.js";
import type { ServeHttpInfo } from "./serve-http.js";
import type { RequestContext, ServerRequest } from "./server-request.js";

// The exchanges in flight on a connection (usually one; more when requests are pipelined),
// kept on the socket so that one 'close' listener per connection — not one per request —
// learns that the client went away.
const kExchanges = Symbol("tendril.exchanges");
type TrackedSocket = Socket & { [kExchanges]?: Exchange | Exchange[] | null };

function onSocketClose(this: TrackedSocket): void {
  const exchanges = this[kExchanges];
  this[kExchanges] = null;
  if (exchanges === null || exchanges === undefined) return;
  if (Array.isArray(exchanges)) for (const ex of exchanges) ex.gone();
  else exchanges.gone();
}

/**
 * Watches a new connection: its closing reaches the exchanges on it (one listener per
 * connection, not one per request). @internal
 */
export function watchConnection(socket: Socket): void {
  const tracked = socket as TrackedSocket;
  if (tracked[kExchanges] !== undefined) return;
  tracked[kExchanges] = null;
  socket.once("close", onSocketClose);
}

// On an HTTPS server a connection is a TCP socket first and the TLS socket HTTP runs on once
// the handshake is done; this links the first to the second.
const kSecure = Symbol("tendril.secureSocket");
type RawSocket = Socket & { [kSecure]?: Socket };

/** Links a TLS socket to the TCP connection under it (`secureConnection`). @internal */
export function linkSecureSocket(tlsSocket: Socket): void {
  const parent = (tlsSocket as Socket & { _parent?: RawSocket | null })._parent;
  if (parent !== null && parent !== undefined) parent[kSecure] = tlsSocket;
}

/** The socket HTTP runs on for a connection: its TLS socket once there is one. @internal */
export function httpSocketOf(socket: Socket): Socket {
  return (socket as RawSocket)[kSecure] ?? socket;
}

/**
 * True when nothing is in flight on a connection: no request handed to a handler (running or
 * waiting for a slot) and no response still being written. A connection that never sent a
 * byte, an idle keep-alive one, one still sending its request head, and one still in its TLS
 * handshake are all idle. @internal
 */
export function isIdle(connection: Socket): boolean {
  const socket = httpSocketOf(connection);
  const tracked = socket as TrackedSocket & { _httpMessage?: ServerResponse | null };
  const exchanges = tracked[kExchanges];
  if (exchanges !== null && exchanges !== undefined) {
    if (!Array.isArray(exchanges) || exchanges.length > 0) return false;
  }
  // Node's response on the socket until its last byte was handed to the kernel.
  const res = tracked._httpMessage;
  return res === null || res === undefined || res.writableFinished;
}

/** The response still being written on a connection, if any. @internal */
export function responseInFlight(connection: Socket): ServerResponse | null {
  const socket = httpSocketOf(connection);
  const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return res === null || res === undefined || res.writableFinished ? null : res;
}

/**
 * One request: its Node objects, its thread, and what the access log needs. It is also the
 * `info` the handler receives and the context of its `ServerRequest`.
 *
 * @internal
 */
export class Exchange implements ServeHttpInfo, RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly owner: HttpServer;
  readonly maxBodyBytes: number;
  readonly started: number;
  thread: GreenThread<unknown> | null = null;
  request: ServerRequest | null = null;
  expectContinue = false;
  continued = false;
  closeAfter = false;
  cancelled = false;
  bytes = 0;
  /** The intrusive list of running exchanges (for the grace period of `close()`). */
  prev: Exchange | null = null;
  next: Exchange | null = null;

  constructor(
    owner: HttpServer,
    req: IncomingMessage,
    res: ServerResponse,
    maxBodySize: number,
    started: number,
  ) {
    this.owner = owner;
    this.req = req;
    this.res = res;
    this.maxBodyBytes = maxBodySize;
    this.started = started;
  }

  get remoteAddress(): string {
    return this.req.socket.remoteAddress ?? "";
  }
  get remotePort(): number {
    return this.req.socket.remotePort ?? 0;
  }
  get localAddress(): string {
    return this.req.socket.localAddress ?? "";
  }
  get localPort(): number {
    return this.req.socket.localPort ?? 0;
  }
  get server(): HttpServer {
    return this.owner;
  }
  get signal(): AbortSignal {
    return (this.thread as GreenThread<unknown>).signal;
  }

  origin(): string {
    const socket = this.req.socket as Socket & { encrypted?: boolean };
    const scheme = socket.encrypted ? "https" : "http";
    const host = this.req.headers.host;
    if (host) return `${scheme}://${host}`;
    const address = socket.localAddress ?? "localhost";
    return `${scheme}://${address.includes(":") ? `[${address}]` : address}:${socket.localPort ?? 80}`;
  }

  bodyWanted(): void {
    if (this.expectContinue && !this.continued) {
      this.continued = true;
      if (!this.res.headersSent) this.res.writeContinue();
    }
  }

  bodyAbandoned(): void {
    this.closeAfter = true;
  }

  /** Registers on the connection, so that its closing reaches this exchange. */
  track(): void {
    const socket = this.req.socket as TrackedSocket;
    const current = socket[kExchanges];
    if (current === undefined) {
      socket.once("close", onSocketClose);
      socket[kExchanges] = this;
    } else if (current === null) {
      if (socket.destroyed) this.gone();
      else socket[kExchanges] = this;
    } else if (Array.isArray(current)) current.push(this);
    else socket[kExchanges] = [current, this];
  }

  untrack(): void {
    const socket = this.req.socket as TrackedSocket;
    const current = socket[kExchanges];
    if (current === this) socket[kExchanges] = null;
    else if (Array.isArray(current)) {
      const index = current.indexOf(this);
      if (index >= 0) current.splice(index, 1);
      if (current.length === 0) socket[kExchanges] = null;
    }
  }

  /** The connection closed: before the response finished means the client went away. */
  gone(): void {
    if (this.res.writableFinished) return;
    this.cancelled = true;
    const thread = this.thread;
    if (thread !== null && !thread.dead) void thread.kill();
  }
}
