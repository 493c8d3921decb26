/**
 * `echo-server`: the server pattern. An accept loop hands each connection to a green thread
 * from a `GreenPool`; each thread reads and writes as if the calls blocked.
 *
 * Two handlers: `--simple` is the seed page's byte-at-a-time echo, verbatim; the default is
 * Eventlet's "more robust" `echoserver.py` — line-based, logs connects and disconnects, and
 * stops cleanly on Ctrl-C (closing the listener, then every open connection, then waiting for
 * the handlers to finish), so the process exits on its own.
 *
 * Run: `node dist/echo-server.js`, then `nc 127.0.0.1 6000` (or `node dist/echo-client.js`).
 *
 * @module
 */

import { GreenPool } from "@tendril/core";
import { type GreenListener, type GreenSocket, ListenerClosed, listen } from "@tendril/green-net";
import { dim, log, onShutdown, parseCli, runMain, tcpAddress } from "./cli.js";

/** Options of `startEchoServer`. */
export interface EchoServerOptions {
  host?: string;
  /** Port to listen on; 0 picks a free one (default 6000, as on the seed page). */
  port?: number;
  /** The seed's byte-at-a-time handler instead of the line-based one. */
  simple?: boolean;
  /** Log connects and disconnects (default true). */
  logConnections?: boolean;
  /** Log every echoed line (default false). */
  verbose?: boolean;
  /** How many clients at once (default 10,000, as on the seed page). */
  maxClients?: number;
}

/** A running echo server. */
export interface EchoServer {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Resolves when the server has stopped (after `close()`). */
  readonly done: Promise<void>;
  /** Stops accepting, closes open connections and waits for their handlers. */
  close(): Promise<void>;
}

// #region handle
/** The seed page's handler: echo every byte back, one at a time, until the client hangs up. */
async function handleSimple(client: GreenSocket): Promise<void> {
  for (;;) {
    const c = await client.recv(1);
    if (c.length === 0) break;
    await client.sendall(c);
  }
}
// #endregion handle

/**
 * Starts an echo server on a green listener, running the accept loop in the calling thread's
 * background, and returns once it is listening.
 *
 * @throws {Error} when the address cannot be bound (`EADDRINUSE`, …).
 * @example
 * ```ts
 * const server = await startEchoServer({ port: 0 });
 * console.log(`listening on ${server.port}`);
 * await server.close();
 * ```
 */
export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const logConnections = options.logConnections ?? true;
  const verbose = options.verbose ?? false;
  const clients = new Set<GreenSocket>();
  let accepted = 0;
  let stopping = false;

  // #region handle-lines
  /** Eventlet's robust handler: line by line, with logging, until an empty read (EOF). */
  async function handle(client: GreenSocket): Promise<void> {
    const peer = `${client.remoteAddress}:${client.remotePort}`;
    if (logConnections) log(`${peer} connected`);
    try {
      for (;;) {
        const line = await client.readLine();
        if (line === "") break; // the client closed its side
        await client.sendall(line);
        if (verbose) log(`${peer} echoed ${dim(JSON.stringify(line.trimEnd()))}`);
      }
    } finally {
      if (logConnections) log(`${peer} disconnected`);
    }
  }
  // #endregion handle-lines

  /** Runs one client's session, and always closes its socket. */
  async function session(client: GreenSocket): Promise<void> {
    clients.add(client);
    try {
      if (stopping) return; // accepted while shutting down: close() has already run
      await (options.simple === true ? handleSimple(client) : handle(client));
    } catch (error) {
      if (!stopping) log(`client error: ${(error as Error).message}`);
    } finally {
      clients.delete(client);
      await client.close();
    }
  }

  // #region serve
  const listener: GreenListener = await listen([options.host ?? "127.0.0.1", options.port ?? 6000]);
  const pool = new GreenPool(options.maxClients ?? 10_000);

  async function acceptLoop(): Promise<void> {
    for (;;) {
      let client: GreenSocket;
      try {
        [client] = await listener.accept();
      } catch (error) {
        if (stopping || error instanceof ListenerClosed) break;
        throw error;
      }
      accepted++;
      await pool.spawnN(session, client);
    }
  }
  // #endregion serve

  const done = acceptLoop().then(() => pool.waitall());
  const { host, port } = tcpAddress(listener.address());
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    get accepted() {
      return accepted;
    },
    done,
    close() {
      closing ??= (async () => {
        stopping = true;
        await listener.close();
        // Closing a socket ends its handler's pending read, so every handler finishes.
        await Promise.all([...clients].map((c) => c.close()));
        await done;
      })();
      return closing;
    },
  };
}

const spec = {
  name: "echo-server",
  summary: "the server pattern: one green thread per connection, from a GreenPool",
  description: `Echoes what each client sends. By default line by line, logging connects and
disconnects (Eventlet's "more robust" echoserver.py); --simple runs the seed page's
byte-at-a-time handler. Ctrl-C closes the listener and every connection, then exits.
Try it with: nc 127.0.0.1 6000   or   node dist/echo-client.js --port 6000`,
  flags: {
    host: {
      type: "string",
      default: "127.0.0.1",
      description: "interface to listen on",
      valueName: "HOST",
    },
    port: {
      type: "port",
      short: "p",
      default: 6000,
      description: "port to listen on (0: any free port)",
    },
    simple: { type: "boolean", description: "use the seed page's byte-at-a-time handler" },
    verbose: { type: "boolean", short: "v", description: "log every echoed line" },
    quiet: { type: "boolean", short: "q", description: "do not log connects and disconnects" },
    duration: {
      type: "duration",
      description: "stop by itself after this long (e.g. 10s)",
      valueName: "TIME",
    },
  },
  examples: [
    "node dist/echo-server.js",
    "node dist/echo-server.js --port 0 --simple --duration 30s",
  ],
} as const;

/** Runs the echo server until Ctrl-C (or `--duration`). */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(spec, argv);
  const server = await startEchoServer({
    host: values.host,
    port: values.port,
    simple: values.simple === true,
    verbose: values.verbose === true,
    logConnections: values.quiet !== true,
  });
  log(`echo server listening on ${server.host}:${server.port}${values.simple ? " (simple)" : ""}`);
  const off = onShutdown(() => void server.close());
  const timer =
    values.duration !== undefined
      ? setTimeout(() => void server.close(), values.duration)
      : undefined;
  try {
    await server.done;
  } finally {
    clearTimeout(timer);
    off();
  }
  log(`stopped after ${server.accepted} connection${server.accepted === 1 ? "" : "s"}`);
  return 0;
}

runMain(import.meta.url, main);
