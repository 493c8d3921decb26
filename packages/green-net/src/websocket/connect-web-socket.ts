/**
 * `connectWebSocket`: the client side — open a websocket as a green operation and get a
 * `GreenWebSocket`.
 *
 * @module
 */

import { green } from "@tendril/core";
import { checkInteger, describeValue } from "@tendril/core/validate";
import { WebSocket } from "ws";
import { GreenWebSocket } from "./green-web-socket.js";

/**
 * Options of `connectWebSocket`.
 *
 * @example
 * ```ts
 * const options: ConnectWebSocketOptions = {
 *   protocols: ["chat.v1"],
 *   headers: { Authorization: `Bearer ${token}` },
 *   maxPayloadBytes: 64 * 1024,
 * };
 * const ws = await connectWebSocket("wss://example.com/chat", options);
 * console.log(ws.protocol); // "chat.v1"
 * ```
 */
export interface ConnectWebSocketOptions {
  /** Subprotocols to offer; the server's choice is `ws.protocol`. */
  protocols?: string | string[];
  /** Extra handshake headers (`Authorization`, `Origin`, …). */
  headers?: Record<string, string>;
  /** The largest message accepted, in bytes. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Bytes of unread messages buffered before the socket is paused. Default 1 MiB. */
  highWaterMark?: number;
}

/**
 * Connects to a websocket server (`ws:`, `wss:`, or `http:`/`https:`, which mean the same)
 * and resolves once the handshake is done. A green operation: kill or a `Timeout` during the
 * handshake drops the connection.
 *
 * @throws {TypeError} when `url` is not a ws/wss/http/https URL, or an option is malformed.
 * @throws {Error} `ws`'s error when the server refuses (`Unexpected server response: 404`) or
 *   the connection fails (`ECONNREFUSED`, …).
 * @example
 * ```ts
 * await using ws = await connectWebSocket("ws://127.0.0.1:8080/chat");
 * await ws.send("hello");
 * for await (const message of ws) console.log(message);
 * ```
 */
export async function connectWebSocket(
  url: string | URL,
  options: ConnectWebSocketOptions = {},
): Promise<GreenWebSocket> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(
      `connectWebSocket: url must be a ws: or wss: URL, received ${describeValue(url)}`,
    );
  }
  if (!["ws:", "wss:", "http:", "https:"].includes(parsed.protocol)) {
    throw new TypeError(
      `connectWebSocket: url must be a ws: or wss: URL, received ${describeValue(String(url))}`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `connectWebSocket: options must be an object, received ${describeValue(options)}`,
    );
  }
  const maxPayload =
    options.maxPayloadBytes === undefined
      ? 1 << 20
      : checkInteger("connectWebSocket: maxPayloadBytes", options.maxPayloadBytes, 1);
  const raw = new WebSocket(parsed, options.protocols, { headers: options.headers, maxPayload });
  // Wrapped before the handshake ends, so that no message sent right after it is missed.
  const ws = new GreenWebSocket(raw, { highWaterMark: options.highWaterMark });
  await green(
    new Promise<void>((resolve, reject) => {
      const opened = (): void => {
        raw.off("error", failed);
        resolve();
      };
      const failed = (error: Error): void => {
        raw.off("open", opened);
        reject(error);
      };
      raw.once("open", opened);
      raw.once("error", failed);
    }),
    () => raw.terminate(),
  );
  return ws;
}
