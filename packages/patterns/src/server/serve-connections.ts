/**
 * The server pattern of the seed page — `while True: sock, addr = server.accept();
 * pool.spawn_n(handle, sock)` — with what the seed leaves out and every real server needs:
 *
 * - **Bounded concurrency.** Each connection runs in a green thread from a `GreenPool`; when
 *   the pool is full the loop stops accepting, and new clients wait in the kernel's backlog
 *   instead of exhausting memory or file descriptors.
 * - **Accept errors survive.** `EMFILE`/`ENFILE` and friends are reported and retried with
 *   backoff (Eventlet's accept loop died on them).
 * - **Graceful shutdown.** On SIGINT/SIGTERM (or `close()`): stop accepting (the port is
 *   released at once), tell handlers through an `AbortSignal`, let in-flight connections finish
 *   for up to `graceMs`, kill the rest, then exit. A second signal skips the wait.
 * - **One loop per core.** With `workers`, the primary process forks that many copies of the
 *   program with `node:cluster`; each runs its own accept loop on the shared port (or, with
 *   `reusePort`, binds the port itself with `SO_REUSEPORT`, on Node >= 22.12).
 *
 * Handler errors are reported (to `onError`, default the hub's error reporter) and close only
 * their own connection: one bad client never stops the server.
 *
 * @module
 */

import cluster, { type Worker } from "node:cluster";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import {
  Event,
  GreenPool,
  type GreenThread,
  GreenThreadExit,
  getCurrent,
  getHub,
  spawn,
} from "@tendril/core";
import { checkFunction, describeValue } from "@tendril/core/validate";
import {
  AcceptBackoff,
  type CloseOptions,
  type GreenListener,
  type GreenSocket,
  type ListenOptions,
  listen,
  type SocketAddress,
} from "@tendril/green-net";

/**
 * What a connection handler receives beside the socket.
 *
 * @example
 * ```ts
 * await serveConnections(["127.0.0.1", 7000], async (sock, { peer, signal }: ConnectionContext) => {
 *   console.log(`connection from ${peer.address}`);
 *   await sock.sendall(await (await fetch("http://127.0.0.1:8080/motd", { signal })).text());
 * });
 * ```
 */
export interface ConnectionContext {
  /** The peer's address. */
  readonly peer: AddressInfo;
  /** Aborted when the server starts shutting down: long-lived handlers should wind down. */
  readonly signal: AbortSignal;
}

/**
 * A connection handler: the socket is closed for you when it returns or throws.
 *
 * @example
 * ```ts
 * const echo: ConnectionHandler = async (sock) => {
 *   for await (const chunk of sock) await sock.sendall(chunk);
 * };
 * await serveConnections(["127.0.0.1", 7000], echo);
 * ```
 */
export type ConnectionHandler = (socket: GreenSocket, context: ConnectionContext) => unknown;

/**
 * Options of `serveConnections`. Times are in milliseconds.
 *
 * @example
 * ```ts
 * await serveConnections(["0.0.0.0", 7000], handler, {
 *   concurrency: 1000,
 *   graceMs: 10_000,
 *   signals: ["SIGTERM"],
 * });
 * ```
 */
export interface ServeConnectionsOptions {
  /** Connections handled at once (the pool's size). Default 10_000, as in the seed. */
  concurrency?: number;
  /** The pool connections run on, instead of a new `GreenPool(concurrency)`. */
  pool?: GreenPool;
  /** Signals that start a graceful shutdown; `false` for none. Default `["SIGINT", "SIGTERM"]`. */
  signals?: readonly NodeJS.Signals[] | false;
  /** How long a shutdown waits for connections before killing them. Default 30_000. */
  graceMs?: number;
  /** Exit the process once a shutdown started by a signal is done. Default `true`. */
  exitOnSignal?: boolean;
  /**
   * Processes to run: `1` (default) serves in this process; `n > 1` or `"auto"` (one per core)
   * makes this process a `node:cluster` primary that forks `n` workers, each serving.
   */
  workers?: number | "auto";
  /** With `workers`: each worker binds the port with `SO_REUSEPORT` (Node >= 22.12). */
  reusePort?: boolean;
  /** Options for `listen` when an address is given (backlog, tls, …). */
  listen?: Omit<ListenOptions, "reusePort">;
  /** Receives handler errors and accept errors. Default: the hub's error reporter. */
  onError?: (error: unknown, where: string) => void;
  /** Receives one-line lifecycle messages ("shutting down", …). Default: none. */
  log?: (message: string) => void;
}

/**
 * A running server (in a cluster primary: the workers, taken together).
 *
 * @example
 * ```ts
 * const server: ConnectionServer = await serveConnections(["127.0.0.1", 7000], handler);
 * console.log(server.address, server.connections());
 * await server.close(); // stop accepting, drain, then resolve
 * ```
 */
export interface ConnectionServer {
  /** The address served. */
  readonly address: AddressInfo | string;
  /** Aborted once shutdown has begun. */
  readonly signal: AbortSignal;
  /** Resolves when the server has shut down completely. */
  readonly closed: Promise<void>;
  /** Connections being handled now (in a primary: `0`; each worker counts its own). */
  connections(): number;
  /**
   * Stops accepting, waits up to `graceMs` (default: the server's `graceMs`) for in-flight
   * connections, kills the rest, and resolves when done — `HttpServer.close`'s contract.
   * Calling it again returns the same promise; `{ graceMs: 0 }` cuts at once, also during a
   * drain already begun.
   *
   * @throws {RangeError} for a `graceMs` that is not a number >= 0.
   */
  close(options?: CloseOptions): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

/** `close()`'s options as the internal shutdown request: `graceMs: 0` forces. */
function closeRequest(options: CloseOptions): { drainTimeout?: number; force: boolean } {
  const graceMs = options?.graceMs;
  if (graceMs === undefined) return { force: false };
  if (typeof graceMs !== "number" || !(graceMs >= 0)) {
    throw new RangeError(
      `ConnectionServer.close: graceMs must be a number >= 0, received ${String(graceMs)}`,
    );
  }
  return graceMs === 0 ? { force: true } : { drainTimeout: graceMs, force: false };
}

function reportDefault(error: unknown, where: string): void {
  getHub().reportError(error, where);
}

function workerCount(value: unknown): number {
  if (value === undefined) return 1;
  if (value === "auto") return availableParallelism();
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    const error = typeof value === "number" ? RangeError : TypeError;
    throw new error(
      `serveConnections: workers must be an integer >= 1 or "auto", received ${describeValue(value)}`,
    );
  }
  return value;
}

function ignoreSignal(): void {}

function nodeHasReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

function isListener(value: unknown): value is GreenListener {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as GreenListener).accept === "function" &&
    typeof (value as GreenListener).close === "function"
  );
}

/**
 * Serves connections on `address` (anything `listen` takes) or on an existing `GreenListener`:
 * accepts in a loop and runs `handler(socket, { peer, signal })` for each connection in a green
 * thread from a bounded pool, closing the socket after. Resolves, once listening, to a
 * `ConnectionServer` whose `close()` (also run on SIGINT/SIGTERM) stops accepting, drains,
 * and kills what is left after `graceMs`. With `workers`, forks one process per worker
 * (`node:cluster`), each running this same accept loop.
 *
 * @throws {TypeError|RangeError} for a bad option.
 * @throws {Error} the bind error of `listen` (`EADDRINUSE`, …); `Unsupported` for `reusePort`
 *   on a Node that lacks it.
 * @example
 * ```ts
 * const server = await serveConnections(["0.0.0.0", 6000], async (sock) => {
 *   for (;;) { const c = await sock.recv(1); if (c.length === 0) break; await sock.sendall(c); }
 * }, { concurrency: 10_000 });
 * await server.closed; // after Ctrl-C: stopped accepting, drained, done
 * ```
 */
export async function serveConnections(
  address: SocketAddress | GreenListener,
  handler: ConnectionHandler,
  options: ServeConnectionsOptions = {},
): Promise<ConnectionServer> {
  checkFunction("serveConnections: handler", handler);
  const workers = workerCount(options.workers);
  if (options.reusePort && !nodeHasReusePort()) {
    throw new RangeError(
      `serveConnections: reusePort needs Node.js >= 22.12 or >= 23.1, this is ${process.versions.node}; leave it off to share the port through node:cluster`,
    );
  }
  if (workers > 1 && cluster.isPrimary && !isListener(address)) {
    return servePrimary(workers, options);
  }
  if (workers > 1 && cluster.isWorker && options.signals !== false) {
    // A cluster worker: Ctrl-C reaches the whole process group, but the primary coordinates
    // the shutdown (it sends SIGTERM), so SIGINT is ignored here rather than fatal.
    process.on("SIGINT", ignoreSignal);
    options = { ...options, signals: ["SIGTERM"] };
  }
  const listener = isListener(address)
    ? address
    : await listen(address, {
        ...options.listen,
        ...(options.reusePort ? { reusePort: true } : {}),
      });
  return serveOn(listener, handler, options);
}

function serveOn(
  listener: GreenListener,
  handler: ConnectionHandler,
  options: ServeConnectionsOptions,
): ConnectionServer {
  const pool = options.pool ?? new GreenPool(options.concurrency ?? 10_000);
  const drainTimeoutDefault = options.graceMs ?? 30_000;
  const onError = options.onError ?? reportDefault;
  const log = options.log ?? (() => undefined);
  const controller = new AbortController();
  // Invariant: every connection thread is here from the moment it is spawned — not from when
  // it starts — with its socket, so a shutdown sees (and can close) one that has not run yet.
  const live = new Map<GreenThread<unknown>, GreenSocket>();
  let drained: Event<void> | null = null;
  let shutdownPromise: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const address = listener.address();

  const runConnection = async (socket: GreenSocket, peer: AddressInfo): Promise<void> => {
    const self = getCurrent();
    try {
      // Spawned before a shutdown began but started after: the server has stopped serving.
      if (controller.signal.aborted) return;
      await handler(socket, { peer, signal: controller.signal });
    } catch (error) {
      if (!(error instanceof GreenThreadExit))
        onError(error, `connection from ${peer.address}:${peer.port}`);
    } finally {
      live.delete(self);
      await socket.close().catch(() => undefined);
      if (live.size === 0 && drained !== null && !drained.ready()) drained.send();
    }
  };

  const acceptLoop = spawn(async () => {
    // green-net's accept policy, shared with `serve`: which failures are transient, and the
    // backoff between tries.
    const backoff = new AcceptBackoff();
    for (;;) {
      let accepted: [GreenSocket, AddressInfo];
      try {
        accepted = await listener.accept();
        backoff.reset();
      } catch (error) {
        if (controller.signal.aborted || listener.closed) return;
        if (AcceptBackoff.retryable(error)) {
          // Out of descriptors or memory: report, wait, and try again (Eventlet died here).
          onError(error, "accept");
          await backoff.wait();
          continue;
        }
        throw error;
      }
      const [socket, peer] = accepted;
      try {
        // Invariant: spawn waits while the pool is full, so a full server stops accepting.
        const thread = await pool.spawn(runConnection, socket, peer);
        if (!thread.dead) live.set(thread, socket);
      } catch (error) {
        await socket.close().catch(() => undefined);
        throw error;
      }
    }
  });
  acceptLoop.name = "accept loop";
  acceptLoop.link((thread) => {
    // The loop only ends on its own when the listener fails for good: shut down.
    thread.wait().catch((error: unknown) => {
      if (!(error instanceof GreenThreadExit)) onError(error, "accept loop");
    });
    if (shutdownPromise === null) void shutdown({ force: false });
  });

  const signals = options.signals === false ? [] : (options.signals ?? DEFAULT_SIGNALS);
  const exitOnSignal = options.exitOnSignal ?? true;
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled++;
    if (signalled === 1) {
      log(`${signal}: stopping accepting, draining ${live.size} connection(s)`);
      shutdown().then(
        () => {
          log("drained; exiting");
          if (exitOnSignal) process.exit(process.exitCode ?? 0);
        },
        (error: unknown) => {
          onError(error, "shutdown");
          if (exitOnSignal) process.exit(1);
        },
      );
    } else {
      log(`${signal} again: closing ${live.size} connection(s) now`);
      void shutdown({ force: true });
    }
  };
  for (const signal of signals) process.on(signal, onSignal);

  function shutdown(request: { drainTimeout?: number; force?: boolean } = {}): Promise<void> {
    if (request.force) forceNow = true;
    if (shutdownPromise !== null) {
      if (request.force && drained !== null && !drained.ready()) drained.send();
      return shutdownPromise;
    }
    shutdownPromise = runShutdown(request.drainTimeout ?? drainTimeoutDefault);
    return shutdownPromise;
  }
  let forceNow = false;

  async function runShutdown(drainTimeout: number): Promise<void> {
    controller.abort(new GreenThreadExit("the server is shutting down"));
    await listener.close();
    if (!acceptLoop.dead) await acceptLoop.kill();
    if (live.size > 0 && !forceNow) {
      drained = new Event<void>();
      await drained.wait({ timeout: drainTimeout });
    }
    const stragglers = [...live];
    if (stragglers.length > 0) log(`killing ${stragglers.length} connection(s) still open`);
    // A thread killed before it started never runs its `finally`: close its socket here.
    await Promise.all(
      stragglers.map(async ([thread, socket]) => {
        await thread.kill();
        live.delete(thread);
        await socket.close().catch(() => undefined);
      }),
    );
    // Invariant: the signal listeners stay until the end, so a second Ctrl-C during the drain
    // forces it instead of killing the process with connections half-closed.
    for (const signal of signals) process.off(signal, onSignal);
    resolveClosed();
  }

  return {
    address,
    signal: controller.signal,
    closed,
    connections: () => live.size,
    close: (options: CloseOptions = {}) => shutdown(closeRequest(options)),
    [Symbol.asyncDispose]: () => shutdown(),
  };
}

function servePrimary(count: number, options: ServeConnectionsOptions): Promise<ConnectionServer> {
  const log = options.log ?? (() => undefined);
  const onError = options.onError ?? reportDefault;
  const controller = new AbortController();
  const workers = new Set<Worker>();
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let shutdownPromise: Promise<void> | null = null;
  const signals = options.signals === false ? [] : (options.signals ?? DEFAULT_SIGNALS);
  const exitOnSignal = options.exitOnSignal ?? true;

  const fork = (): Worker => {
    const worker = cluster.fork();
    workers.add(worker);
    worker.on("exit", (code, signal) => {
      workers.delete(worker);
      if (controller.signal.aborted) {
        if (workers.size === 0) resolveClosed();
        return;
      }
      onError(
        new Error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`),
        "cluster",
      );
      // Invariant: a worker that dies at once is not restarted in a tight loop.
      getHub().schedule(1000, () => {
        if (!controller.signal.aborted) fork();
      });
    });
    return worker;
  };

  let sent = 0;
  const tellWorkers = (): void => {
    sent++;
    for (const worker of workers) worker.process.kill("SIGTERM");
  };
  // Workers drain on their first SIGTERM and close at once on the second.
  const shutdown = (request: { drainTimeout?: number; force?: boolean } = {}): Promise<void> => {
    if (shutdownPromise === null) {
      controller.abort(new GreenThreadExit("the server is shutting down"));
      void closed.then(() => {
        for (const signal of signals) process.off(signal, onSignal);
      });
      log(`stopping ${workers.size} worker(s)`);
      if (workers.size === 0) resolveClosed();
      shutdownPromise = closed;
      tellWorkers();
    }
    if (request.force && sent < 2) tellWorkers();
    return shutdownPromise;
  };
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled++;
    log(`${signal}: shutting down the workers`);
    void shutdown({ force: signalled > 1 }).then(() => {
      if (exitOnSignal) process.exit(process.exitCode ?? 0);
    });
  };
  // Invariant: the primary's listener stays installed during the drain (unlike a worker's), so
  // a second Ctrl-C forces the workers instead of killing the primary before its workers.
  for (const signal of signals) process.on(signal, onSignal);

  return new Promise<ConnectionServer>((resolve, reject) => {
    let listening = 0;
    let address: AddressInfo | string | undefined;
    const onListening = (
      _worker: Worker,
      info: { address: string; port: number; addressType: number | string },
    ): void => {
      address ??= {
        address: info.address,
        port: info.port,
        family: info.addressType === 6 ? "IPv6" : "IPv4",
      };
      listening++;
      if (listening === count) {
        cluster.off("listening", onListening);
        cluster.off("exit", onEarlyExit);
        log(`${count} workers listening`);
        resolve({
          address: address as AddressInfo,
          signal: controller.signal,
          closed,
          connections: () => 0,
          close: (options: CloseOptions = {}) => shutdown(closeRequest(options)),
          [Symbol.asyncDispose]: () => shutdown(),
        });
      }
    };
    const onEarlyExit = (worker: Worker, code: number, signal: string | null): void => {
      cluster.off("listening", onListening);
      cluster.off("exit", onEarlyExit);
      void shutdown();
      reject(new Error(`worker ${worker.process.pid} exited (${signal ?? code}) before listening`));
    };
    cluster.on("listening", onListening);
    cluster.on("exit", onEarlyExit);
    for (let i = 0; i < count; i++) fork();
  });
}
