/**
 * The errors of green sockets and listeners. Each has a stable `code`; system errors from the
 * network itself (`ECONNRESET`, `ECONNREFUSED`, `EPIPE`, `EMFILE`, …) are passed through as
 * Node raised them, because that is what code written for Node already matches on.
 *
 * @module
 */

import { TendrilError } from "@tendril/core";

/**
 * A socket operation waited longer than the socket's timeout (`socket.setTimeout(ms)`), the
 * analogue of Python's `socket.timeout`. The socket stays usable: nothing was consumed.
 *
 * @example
 * ```ts
 * sock.setTimeout(5000);
 * try { await sock.recv(4096); } catch (error) { if (error instanceof SocketTimeout) await sock.close(); }
 * ```
 */
export class SocketTimeout extends TendrilError {
  /** The timeout that expired, in milliseconds. */
  readonly ms: number;
  constructor(ms: number, operation: string) {
    super("ERR_TENDRIL_SOCKET_TIMEOUT", `socket ${operation} timed out after ${ms} ms`);
    this.ms = ms;
  }
}

/**
 * The socket was closed by this side (`close()`), so the operation cannot run — or was
 * waiting when another thread closed it.
 *
 * @example
 * ```ts
 * await sock.close();
 * await sock.recv(1); // rejects with SocketClosed
 * ```
 */
export class SocketClosed extends TendrilError {
  constructor(operation: string) {
    super("ERR_TENDRIL_SOCKET_CLOSED", `cannot ${operation}: the socket is closed`);
  }
}

/**
 * Two green threads read one socket at the same time (Eventlet's "second simultaneous read"):
 * the second read fails at once instead of stealing part of the first one's data.
 *
 * @example
 * ```ts
 * spawn(() => sock.recv(10));
 * await sock.recv(10); // rejects with ConcurrentRead if the other read is still waiting
 * ```
 */
export class ConcurrentRead extends TendrilError {
  constructor(operation: string) {
    super(
      "ERR_TENDRIL_CONCURRENT_READ",
      `second simultaneous read: ${operation} was called while another green thread is reading this socket`,
    );
  }
}

/**
 * The stream ended before `recvExactly(n)` had its `n` bytes. `partial` holds the bytes that
 * did arrive (they are consumed).
 *
 * @example
 * ```ts
 * try { await sock.recvExactly(4); } catch (e) { if (e instanceof IncompleteRead) console.log(e.partial.length); }
 * ```
 */
export class IncompleteRead extends TendrilError {
  /** The bytes received before the end of the stream. */
  readonly partial: Uint8Array;
  /** How many bytes were asked for. */
  readonly expected: number;
  constructor(partial: Uint8Array, expected: number) {
    super(
      "ERR_TENDRIL_INCOMPLETE_READ",
      `the stream ended after ${partial.length} of the ${expected} bytes expected`,
    );
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * `readLine` found no line end within its maximum length. The bytes stay buffered, so the
 * caller may `recv` them or close the socket.
 *
 * @example
 * ```ts
 * try { await sock.readLine({ maxLineBytes: 1024 }); } catch (e) { if (e instanceof LineTooLong) await sock.close(); }
 * ```
 */
export class LineTooLong extends TendrilError {
  /** The limit that was exceeded, in bytes. */
  readonly limit: number;
  constructor(limit: number) {
    super("ERR_TENDRIL_LINE_TOO_LONG", `no line end within ${limit} bytes (readLine maxLineBytes)`);
    this.limit = limit;
  }
}

/**
 * `accept()` on a listener that was closed (also what ends `for await (… of listener)`).
 *
 * @example
 * ```ts
 * await listener.close();
 * await listener.accept(); // rejects with ListenerClosed
 * ```
 */
export class ListenerClosed extends TendrilError {
  constructor() {
    super("ERR_TENDRIL_LISTENER_CLOSED", "cannot accept: the listener is closed");
  }
}

/**
 * An option this Node.js version cannot honour (such as `reusePort` before Node 22.12).
 *
 * @example
 * ```ts
 * await listen(["0.0.0.0", 8080], { reusePort: true }); // on Node 20: rejects with Unsupported
 * ```
 */
export class Unsupported extends TendrilError {
  constructor(message: string) {
    super("ERR_TENDRIL_UNSUPPORTED", message);
  }
}
