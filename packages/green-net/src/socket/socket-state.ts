/**
 * `SocketState`: what a `GreenSocket`'s reading side, writing side and lifecycle all consult —
 * whether it was closed, how the stream ended, the first error, the per-operation timeout.
 * One small object shared by `SocketReader`, `SocketWriter` and `GreenSocket`, so each of
 * them owns its own waiters and none needs the others' private fields.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

import type { Socket } from "node:net";

/** @internal The shared state of one GreenSocket. */
export class SocketState {
  readonly socket: Socket;
  /** `close()` was called (or the socket was detached). */
  closed = false;
  /** The first error the socket reported. */
  error: Error | null = null;
  /** The peer ended its side, or the socket closed: reads past the buffer see the end. */
  eof = false;
  /** `shutdown("read")` or `close()`: input is discarded. */
  readShut = false;
  /** `shutdown("write")` was called. */
  writeShut = false;
  /** The underlying socket emitted `'close'`. */
  ended = false;
  /** The per-operation timeout of `setTimeout`, in milliseconds, or `null`. */
  timeoutMs: number | null = null;

  constructor(socket: Socket) {
    this.socket = socket;
  }
}
