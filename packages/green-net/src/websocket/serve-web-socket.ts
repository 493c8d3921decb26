/**
 * `serveWebSocket`: a green thread per websocket connection, on the upgrade path of an HTTP
 * server — the `HttpServer` of `serveHttp` (its `node:http` server's `'upgrade'` event) or any
 * `node:http`/`node:https` server. Eventlet's `@websocket.WebSocketWSGI` handler, as a function
 * of a `GreenWebSocket`.
 *
 * The handshake is `ws`'s (`noServer` mode); the connection then belongs to its handler's
 * thread, and is closed when the handler returns (1000), or fails (1011, and the error goes to
 * the hub's error reporter). Requests for other paths are answered 404, and beyond
 * `maxConnections` 503, so that a websocket flood cannot exhaust the process.
 *
 * Trade-off: upgraded connections leave the HTTP server's books (Node hands the socket over),
 * so `HttpServer.close()` does not wait for them: close the `WebSocketService` first.
 *
 * @module
 */

import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type GreenThread, getHub, spawn } from "@tendril/core";
import { checkInteger, describeValue } from "@tendril/core/validate";
import { WebSocketServer } from "ws";
import { GreenWebSocket } from "./green-web-socket.js";

/**
 * A websocket handler: runs in its own green thread for the life of the connection.
 *
 * @example
 * ```ts
 * const echo: WebSocketHandler = async (ws, request) => {
 *   console.log("connected from", request.socket.remoteAddress);
 *   for await (const message of ws) await ws.send(message);
 * };
 * serveWebSocket(http, echo, { path: "/echo" });
 * ```
 */
export type WebSocketHandler = (
  ws: GreenWebSocket,
  request: IncomingMessage,
) => unknown | Promise<unknown>;

/**
 * Options of `serveWebSocket`.
 *
 * @example
 * ```ts
 * const options: ServeWebSocketOptions = {
 *   path: "/chat",
 *   maxPayloadBytes: 64 * 1024,
 *   maxConnections: 1_000,
 *   verifyOrigin: (origin) => origin === "https://example.com",
 *   selectProtocol: (protocols) => (protocols.has("chat.v1") ? "chat.v1" : false),
 * };
 * serveWebSocket(http, handler, options);
 * ```
 */
export interface ServeWebSocketOptions {
  /** Only upgrade requests for this path (the query is ignored); others get 404. Default: every path. */
  path?: string;
  /** The largest message accepted, in bytes; a larger one closes the connection (1009). Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Connections served at once; more are refused with 503. Default 10,000. */
  maxConnections?: number;
  /** Accept the handshake only when this returns `true` for the `Origin` header (browsers send it). */
  verifyOrigin?: (origin: string | undefined, request: IncomingMessage) => boolean;
  /** Picks the subprotocol from those the client offered; `false` for none. */
  selectProtocol?: (protocols: Set<string>, request: IncomingMessage) => string | false;
  /** Bytes of unread messages buffered per connection before it is paused. Default 1 MiB. */
  highWaterMark?: number;
}

/**
 * What `serveWebSocket` returns: a handle to count and stop the service.
 *
 * @example
 * ```ts
 * const service: WebSocketService = serveWebSocket(http, handler);
 * console.log(`${service.connections()} connection(s)`);
 * await service.close(); // before http.close(), which does not wait for websockets
 * await http.close();
 * ```
 */
export interface WebSocketService {
  /** Connections whose handler runs now. */
  connections(): number;
  /**
   * Stops upgrading, and ends every connection: its handler's thread is killed, and the
   * connection closed (1001). Resolves once they are all gone.
   */
  close(): Promise<void>;
}

/**
 * The upgrade events this module can listen to: a `node:http` server, or `serveHttp`'s.
 *
 * @example
 * ```ts
 * const fromServeHttp: UpgradeSource = await serveHttp(["127.0.0.1", 8080], handler);
 * const fromNode: UpgradeSource = createServer().listen(8081); // node:http
 * serveWebSocket(fromNode, async (ws) => ws.send("hi"));
 * ```
 */
export type UpgradeSource = Server | { readonly server: Server };

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Serves websockets on `server`'s upgrade path: each connection runs `handler(ws, request)`
 * in its own green thread, and is closed when the handler ends.
 *
 * @throws {TypeError|RangeError} for a malformed argument; the message names the value.
 * @example
 * ```ts
 * const http = await serveHttp(["127.0.0.1", 8080], () => new Response("use a websocket"));
 * const echo = serveWebSocket(http, async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * }, { path: "/echo" });
 * // later: await echo.close(); await http.close();
 * ```
 */
export function serveWebSocket(
  server: UpgradeSource,
  handler: WebSocketHandler,
  options: ServeWebSocketOptions = {},
): WebSocketService {
  const http = (server as { server?: unknown })?.server ?? server;
  if (http === null || typeof http !== "object" || typeof (http as Server).on !== "function") {
    throw new TypeError(
      `serveWebSocket: server must be an HttpServer or a node:http server, received ${describeValue(server)}`,
    );
  }
  if (typeof handler !== "function") {
    throw new TypeError(
      `serveWebSocket: handler must be a function, received ${describeValue(handler)}`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `serveWebSocket: options must be an object, received ${describeValue(options)}`,
    );
  }
  const path = options.path;
  if (path !== undefined && (typeof path !== "string" || !path.startsWith("/"))) {
    throw new TypeError(
      `serveWebSocket: path must be a string starting with "/", received ${describeValue(path)}`,
    );
  }
  const maxPayload =
    options.maxPayloadBytes === undefined
      ? 1 << 20
      : checkInteger("serveWebSocket: maxPayloadBytes", options.maxPayloadBytes, 1);
  const maxConnections =
    options.maxConnections === undefined
      ? 10_000
      : checkInteger("serveWebSocket: maxConnections", options.maxConnections, 1);
  const { verifyOrigin, selectProtocol, highWaterMark } = options;
  if (highWaterMark !== undefined) checkInteger("serveWebSocket: highWaterMark", highWaterMark, 1);

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    clientTracking: false,
    handleProtocols: selectProtocol,
  });
  const threads = new Set<GreenThread<void>>();
  let pending = 0; // handshakes under way
  let closed = false;

  async function run(ws: GreenWebSocket, request: IncomingMessage): Promise<void> {
    try {
      await handler(ws, request);
      await ws.close();
    } catch (error) {
      if (closed) {
        await ws._closeWith(1001, "server closing");
        return;
      }
      getHub().reportError(error, `websocket handler for ${request.url ?? "/"}`);
      await ws._closeWith(1011, "handler failed");
    }
  }

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => socket.destroy()); // a reset during the handshake ends only it
    if (closed) {
      reject(socket, 503, "Service Unavailable");
      return;
    }
    if (path !== undefined && new URL(request.url ?? "/", "http://x").pathname !== path) {
      reject(socket, 404, "Not Found");
      return;
    }
    if (verifyOrigin !== undefined && !verifyOrigin(request.headers.origin, request)) {
      reject(socket, 403, "Forbidden");
      return;
    }
    if (threads.size + pending >= maxConnections) {
      reject(socket, 503, "Service Unavailable");
      return;
    }
    pending++;
    wss.handleUpgrade(request, socket, head, (raw) => {
      pending--;
      const ws = new GreenWebSocket(raw, { highWaterMark });
      if (closed) {
        raw.close(1001, "server closing");
        return;
      }
      const thread = spawn(run, ws, request);
      threads.add(thread);
      thread.link(() => threads.delete(thread));
    });
  };
  (http as Server).on("upgrade", onUpgrade);

  return {
    connections: () => threads.size,
    async close() {
      closed = true;
      (http as Server).off("upgrade", onUpgrade);
      for (const thread of [...threads]) await thread.kill();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
