/**
 * What `serveHttp` answers when Node's parser gives up on a connection (`clientError`): a
 * malformed request gets `400`, an oversized head `431`, a client too slow with its head or
 * body `408` — each with `Connection: close` — and a reset connection is just destroyed. A
 * whole request already in flight on the connection is answered first; the bad bytes after it
 * (pipelined garbage) are refused once it has been.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { AccessLogEntry } from "./access-log.js";

/** Answers (or drops) a connection Node's parser failed on. @internal */
export function answerClientError(
  error: Error & { code?: string },
  socket: Socket,
  log: ((entry: AccessLogEntry) => void) | null,
): void {
  const code = error.code;
  if (code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    code === "HPE_HEADER_OVERFLOW" ? 431 : code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  const answer = (): void => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
    socket.destroySoon();
    log?.({
      remoteAddress: socket.remoteAddress ?? "-",
      time: new Date(),
      requestLine: "-",
      status,
      bytes: 0,
      referer: undefined,
      userAgent: undefined,
      durationMs: 0,
    });
  };
  const pending = (
    socket as Socket & { _httpMessage?: (ServerResponse & { req?: IncomingMessage }) | null }
  )._httpMessage;
  if (pending && !pending.writableEnded && pending.req?.complete === true) {
    // The request in flight was whole: the bad bytes came after it. It is answered first
    // (our handlers answer later, in their own thread), then the rest is refused with a
    // 400 and the connection closed.
    pending.once("finish", answer);
    pending.once("close", () => socket.destroySoon());
    return;
  }
  if (!pending?.headersSent) answer();
  else socket.destroy();
}
