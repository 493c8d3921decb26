/**
 * `@tendril/green-net/websocket`: websockets for green threads on `ws` (an optional peer
 * dependency: install `ws` to use this entry) — `recv()`/`send()` in the blocking style, a
 * handler per green thread on an HTTP server's upgrade path, and a client.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "../node-version.js";

/** The codes of this package's errors (they extend `@tendril/core`'s `TendrilErrorCodes`). */
export type { GreenNetErrorCode } from "../error-codes.js";
/** The client: connect and get a green websocket. */
export { type ConnectWebSocketOptions, connectWebSocket } from "./connect-web-socket.js";
/** Errors: a send on a closed websocket. */
export { WebSocketClosed } from "./errors.js";
/** The websocket: recv, send, close, iterate. */
export {
  GreenWebSocket,
  type GreenWebSocketOptions,
  type WebSocketMessage,
} from "./green-web-socket.js";
/** The server side: a green thread per connection on an HTTP server's upgrade path. */
export {
  type ServeWebSocketOptions,
  serveWebSocket,
  type UpgradeSource,
  type WebSocketHandler,
  type WebSocketService,
} from "./serve-web-socket.js";
