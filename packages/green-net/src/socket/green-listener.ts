/**
 * `GreenListener`: a listening socket whose `accept()` is a green operation.
 *
 * The trade-off that shapes it: Node cannot stop accepting at the OS level — libuv accepts
 * every connection as soon as it arrives, and `net.Server` has no pause (its `maxConnections`
 * *drops* the extra connections). So the listener is created with `pauseOnConnect`: a
 * connection nobody has accepted yet waits in the listener's queue with reading stopped. To
 * the client that is the same as waiting in the kernel's backlog — the handshake is done, what
 * it sends sits unread in the kernel, nothing is served — and to this process it costs one
 * idle socket (an fd and about a kilobyte), no buffers and no green thread. `accept()` hands
 * the next queued connection out as a `GreenSocket` and only then starts reading it.
 *
 * On a TLS listener the handshake starts as a connection arrives (a client's `connect` waits
 * for it, so waiting for `accept` first would deadlock the common connect-then-accept code):
 * a queued TLS connection is handshaken and Node buffers up to its own high-water mark of
 * decrypted input (16 KiB) for it — still bounded, but not "unread".
 *
 * Accept failures that Node reports on the server (`EMFILE`, `ENFILE`, … with syscall
 * `accept`) are queued in order with the connections, so the `accept()` that meets one throws
 * it — as Python's `accept()` raises `OSError` — and the server keeps listening. Note that
 * libuv usually handles running out of descriptors itself: it keeps one spare descriptor, and
 * on `EMFILE` uses it to accept and at once close the waiting connections (their clients see a
 * close), without telling Node; the error reaches the listener only when that fallback is
 * unavailable. Either way the listener keeps serving once descriptors free up.
 *
 * @module
 */

import type { AddressInfo, Server, Socket } from "node:net";
import { type SecureContext, TLSSocket, type TlsOptions } from "node:tls";
import { inspect } from "node:util";
import { getHub, suspend, type Waiter } from "@tendril/core";
import { ListenerClosed, Unsupported } from "./errors.js";
import { GreenSocket } from "./green-socket.js";

/**
 * What `accept()` resolves: the connection and the peer's address.
 *
 * @example
 * ```ts
 * const [sock, { address, port }]: Accepted = await listener.accept();
 * ```
 */
export type Accepted = [socket: GreenSocket, address: AddressInfo];

/** @internal How `listen` configures a listener. */
export interface GreenListenerInit {
  highWaterMark?: number;
  /** For a TLS listener: the context, and the server-side options of each `TLSSocket`. */
  tls?: { context: SecureContext; options: TlsOptions };
}

const ignoreError = (): void => {};

/**
 * A listening socket for green threads: `accept()` connections one by one, or iterate them.
 * Made by `listen()`.
 *
 * @example
 * ```ts
 * const listener = await listen(["127.0.0.1", 6000]);
 * for await (const [sock, address] of listener) spawnN(handle, sock, address);
 * ```
 */
export class GreenListener {
  readonly #server: Server;
  readonly #init: GreenListenerInit;
  // Invariant: a FIFO of connections (paused, not yet read) and accept errors, in arrival order.
  #queue: Array<Socket | Error> = [];
  #head = 0;
  #waiters: Array<Waiter<Accepted>> = [];
  #closed = false;

  /** @internal Use `listen()`. */
  constructor(server: Server, init: GreenListenerInit = {}) {
    this.#server = server;
    this.#init = init;
    server.on("connection", this.#onConnection);
    server.on("error", this.#onError);
  }

  /** The underlying `net.Server`, for options this class does not wrap. */
  get server(): Server {
    return this.#server;
  }

  /** Connections the OS has accepted that wait for `accept()` (not yet read, not yet served). */
  get pending(): number {
    let n = 0;
    for (let i = this.#head; i < this.#queue.length; i++)
      if (!(this.#queue[i] instanceof Error)) n++;
    return n;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True when connections come wrapped in TLS. */
  get secure(): boolean {
    return this.#init.tls !== undefined;
  }

  /**
   * The address listened on: `{ address, family, port }`, or the path of a Unix socket. For
   * the port alone — the one the OS picked after `listen([host, 0])` — read `port`.
   *
   * @example
   * ```ts
   * const { address, family } = listener.address() as AddressInfo;
   * ```
   */
  address(): AddressInfo | string {
    const address = this.#server.address();
    if (address === null) throw new ListenerClosed();
    return address;
  }

  /**
   * The TCP port listened on: after `listen([host, 0])`, the free port the OS picked.
   *
   * @throws {ListenerClosed} once the listener is closed.
   * @throws {Unsupported} for a Unix socket listener, which has a path, not a port.
   * @example
   * ```ts
   * const listener = await listen(["127.0.0.1", 0]);
   * console.log(`listening on http://127.0.0.1:${listener.port}/`);
   * ```
   */
  get port(): number {
    const address = this.address();
    if (typeof address === "string") {
      throw new Unsupported(`a Unix socket listener has no port; it listens on ${address}`);
    }
    return address.port;
  }

  /** How `console.log` and `util.inspect` show it: `GreenListener { 127.0.0.1:8080, … }`. */
  [inspect.custom](): string {
    const address = this.#server.address();
    if (address === null || this.#closed) return "GreenListener { closed }";
    const where =
      typeof address === "string"
        ? address
        : `${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
    const tls = this.#init.tls === undefined ? "" : ", tls";
    return `GreenListener { ${where}${tls}, pending: ${this.pending} }`;
  }

  /**
   * Waits for the next connection and returns it with the peer's address. Connections are
   * handed out in arrival order; several threads may wait, served first come, first served.
   * A plain connection is only read from once accepted. On a TLS listener the handshake runs
   * in the background as the connection arrives (one whose handshake failed is skipped; one
   * still handshaking is handed out at once and its first read waits for the handshake), so a
   * slow client cannot hold up the accept loop.
   *
   * @throws {ListenerClosed} once the listener is closed (also while waiting).
   * @throws {Error} an accept failure Node reported (`EMFILE`, `ENFILE`, …): retry after a pause.
   * @example
   * ```ts
   * const [sock, { address, port }] = await listener.accept();
   * ```
   */
  accept(): Promise<Accepted> {
    return suspend<Accepted>(this.#startAccept);
  }

  /**
   * @internal Registers `waiter` as an accept waiter, as `accept()` does, and returns the
   * canceler. Lets `serve` wait for a connection or its own stop with one waiter.
   */
  _acceptInto(waiter: Waiter<Accepted>): (() => void) | undefined {
    return this.#startAccept(waiter);
  }

  /**
   * Stops listening: the address is released, connections still queued (never accepted) are
   * closed, and threads waiting in `accept()` fail with `ListenerClosed`. Connections already
   * accepted are not touched. Calling it again is harmless.
   *
   * @example
   * ```ts
   * await listener.close();
   * ```
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      const queue = this.#queue;
      for (let i = this.#head; i < queue.length; i++) {
        const item = queue[i];
        if (!(item instanceof Error)) item?.destroy();
      }
      this.#queue = [];
      this.#head = 0;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w.reject(new ListenerClosed());
      // Invariant: server.close() releases the port at once; its callback would wait for every
      // connection ever accepted to end, which is not the listener's business.
      if (this.#server.listening) this.#server.close();
      this.#server.off("connection", this.#onConnection);
    }
    return Promise.resolve();
  }

  /** `await using listener = await listen(…)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Iterates over accepted connections until the listener is closed (then it ends without
   * error). Accept failures such as `EMFILE` are thrown.
   *
   * @example
   * ```ts
   * for await (const [sock] of listener) spawnN(echo, sock);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Accepted> {
    for (;;) {
      let accepted: Accepted;
      try {
        accepted = await this.accept();
      } catch (error) {
        if (error instanceof ListenerClosed) return;
        throw error;
      }
      yield accepted;
    }
  }

  readonly #startAccept = (waiter: Waiter<Accepted>): (() => void) | undefined => {
    if (this.#closed) {
      waiter.reject(new ListenerClosed());
      return undefined;
    }
    while (this.#head < this.#queue.length) {
      const item = this.#shift();
      if (item instanceof Error) {
        waiter.reject(item);
        return undefined;
      }
      if (item.destroyed) continue; // the client gave up while queued
      waiter.resolve(this.#wrap(item));
      return undefined;
    }
    this.#waiters.push(waiter);
    return () => {
      const i = this.#waiters.indexOf(waiter);
      if (i >= 0) this.#waiters.splice(i, 1);
    };
  };

  #shift(): Socket | Error {
    const item = this.#queue[this.#head] as Socket | Error;
    this.#queue[this.#head] = undefined as unknown as Socket;
    this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  #wrap(socket: Socket): Accepted {
    socket.off("error", ignoreError);
    const address: AddressInfo = {
      address: socket.remoteAddress ?? "",
      family: socket.remoteFamily ?? "unix",
      port: socket.remotePort ?? 0,
    };
    return [new GreenSocket(socket, { highWaterMark: this.#init.highWaterMark }), address];
  }

  // On a TLS listener the handshake starts as the connection arrives, so a client's
  // `connect()` (which waits for the handshake) completes even before anyone accepts.
  #secure(raw: Socket): Socket {
    const tls = this.#init.tls;
    if (tls === undefined) return raw;
    return new TLSSocket(raw, {
      ...tls.options,
      isServer: true,
      secureContext: tls.context,
    }) as Socket;
  }

  // Hands an item to the first waiter still waiting; returns false if none took it.
  #deliver(item: Socket | Error): boolean {
    while (this.#waiters.length > 0) {
      const waiter = this.#waiters.shift() as Waiter<Accepted>;
      if (waiter.settled) continue;
      if (item instanceof Error) waiter.reject(item);
      else waiter.resolve(this.#wrap(item));
      return true;
    }
    return false;
  }

  readonly #onConnection = (raw: Socket): void => {
    if (this.#closed) {
      raw.destroy();
      return;
    }
    const socket = this.#secure(raw);
    if (this.#waiters.length > 0 && this.#deliver(socket)) return;
    // A queued connection must not crash the process if its peer resets it (or, for TLS,
    // fails its handshake: the socket is then destroyed and accept skips it).
    socket.on("error", ignoreError);
    this.#queue.push(socket);
  };

  readonly #onError = (error: NodeJS.ErrnoException): void => {
    if (error.syscall === "accept" && !this.#closed) {
      if (this.#waiters.length > 0 && this.#deliver(error)) return;
      // Keep one error in a row: a storm of EMFILE needs reporting once per accept, not per failure.
      const last = this.#queue[this.#queue.length - 1];
      if (this.#queue.length > this.#head && last instanceof Error) return;
      this.#queue.push(error);
      return;
    }
    getHub().reportError(error, "a GreenListener's server");
  };
}
