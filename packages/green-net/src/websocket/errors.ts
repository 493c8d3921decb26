/**
 * The errors of green websockets, each with a stable `code`. Protocol errors found by `ws`
 * (a frame too large, invalid UTF-8, …) are passed through as `ws` raised them, with its
 * `WS_ERR_…` codes.
 *
 * @module
 */

import { TendrilError } from "@tendril/core";

/**
 * The websocket is closed (or closing), so a message cannot be sent — or the connection
 * closed while a `send` waited for its message to be written.
 *
 * @example
 * ```ts
 * await ws.close();
 * await ws.send("late"); // rejects with WebSocketClosed
 * ```
 */
export class WebSocketClosed extends TendrilError {
  constructor(operation: string) {
    super("ERR_TENDRIL_WEBSOCKET_CLOSED", `cannot ${operation}: the websocket is closed`);
  }
}
