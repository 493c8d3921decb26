/**
 * `port-forwarder`: accepts connections on one port and relays each to a target address —
 * Eventlet's `forwarder.py`. Per connection, two green threads pump bytes, one each way; when
 * one side finishes sending, the pump passes the end-of-stream on (`shutdown("write")`) so
 * half-closed protocols work, and the connection ends when both directions have.
 *
 * With no `--target`, it starts the embedded local internet and forwards to it, so
 * `curl http://127.0.0.1:<port>/` shows a page that went through the forwarder.
 *
 * @module
 */

import { GreenPool, spawn } from "@tendril/core";
import { connect, type GreenSocket, ListenerClosed, listen } from "@tendril/green-net";
import { formatBytes, log, onShutdown, parseCli, runMain, tcpAddress, usageError } from "./cli.js";
import { startInternet } from "./internet/internet.js";

/** Options of `startForwarder`. */
export interface ForwarderOptions {
  host?: string;
  port?: number;
  targetHost: string;
  targetPort: number;
  /** Log each connection with its byte counts (default true). */
  logConnections?: boolean;
}

/** A running port forwarder. */
export interface Forwarder {
  readonly host: string;
  readonly port: number;
  /** Connections relayed so far, and bytes each way. */
  readonly stats: { connections: number; bytesUp: number; bytesDown: number };
  readonly done: Promise<void>;
  close(): Promise<void>;
}

// #region pump
/** Copies `from` to `to` until `from` ends, then ends `to`'s writing side. Returns the bytes copied. */
async function pump(from: GreenSocket, to: GreenSocket): Promise<number> {
  let total = 0;
  for (;;) {
    const chunk = await from.recv(65536);
    if (chunk.length === 0) break; // end of stream
    await to.sendall(chunk);
    total += chunk.length;
  }
  await to.shutdown("write");
  return total;
}
// #endregion pump

/**
 * Starts forwarding and returns once listening.
 *
 * @throws {Error} when the listening address cannot be bound.
 * @example
 * ```ts
 * const fwd = await startForwarder({ port: 0, targetHost: "127.0.0.1", targetPort: 6000 });
 * await fwd.close();
 * ```
 */
export async function startForwarder(options: ForwarderOptions): Promise<Forwarder> {
  const stats = { connections: 0, bytesUp: 0, bytesDown: 0 };
  const logConnections = options.logConnections ?? true;
  const open = new Set<GreenSocket>();
  let stopping = false;

  // #region relay
  /** One client: connect to the target, then pump both ways at once. */
  async function relay(client: GreenSocket): Promise<void> {
    const peer = `${client.remoteAddress}:${client.remotePort}`;
    const upstream = await connect([options.targetHost, options.targetPort]);
    open.add(upstream);
    try {
      if (stopping) return;
      const up = spawn(pump, client, upstream);
      const down = spawn(pump, upstream, client);
      const [sent, received] = await Promise.all([up.wait(), down.wait()]);
      stats.bytesUp += sent;
      stats.bytesDown += received;
      if (logConnections)
        log(`${peer} ⇄ target: ${formatBytes(sent)} up, ${formatBytes(received)} down`);
    } finally {
      open.delete(upstream);
      await upstream.close();
    }
  }
  // #endregion relay

  const listener = await listen([options.host ?? "127.0.0.1", options.port ?? 8080]);
  const pool = new GreenPool(1000);
  const done = (async () => {
    for (;;) {
      let client: GreenSocket;
      try {
        [client] = await listener.accept();
      } catch (error) {
        if (stopping || error instanceof ListenerClosed) break;
        throw error;
      }
      stats.connections++;
      open.add(client);
      await pool.spawnN(async () => {
        try {
          if (stopping) return; // accepted while shutting down
          await relay(client);
        } catch (error) {
          if (!stopping) log(`relay failed: ${(error as Error).message}`);
        } finally {
          open.delete(client);
          await client.close();
        }
      });
    }
    await pool.waitall();
  })();

  const { host, port } = tcpAddress(listener.address());
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    stats,
    done,
    close() {
      closing ??= (async () => {
        stopping = true;
        await listener.close();
        await Promise.all([...open].map((s) => s.close()));
        await done;
      })();
      return closing;
    },
  };
}

/** Parses `host:port` (or `[v6]:port`, or a bare port for 127.0.0.1). */
export function parseHostPort(text: string): [string, number] | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text.trim()) ?? /^()()(\d+)$/.exec(text.trim());
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (!(port >= 0 && port <= 65535)) return undefined;
  return [m[1] || m[2] || "127.0.0.1", port];
}

const spec = {
  name: "port-forwarder",
  summary: "relay every connection on one port to a target address",
  description: `Each connection gets two green threads, one pumping each way. With no --target,
the embedded local internet is started and used as the target, so you can try:
  curl http://127.0.0.1:8080/`,
  flags: {
    listen: {
      type: "string",
      short: "l",
      default: "127.0.0.1:8080",
      description: "address to listen on (port 0: any free port)",
      valueName: "HOST:PORT",
    },
    target: {
      type: "string",
      short: "t",
      description: "address to forward to (default: the embedded internet)",
      valueName: "HOST:PORT",
    },
    duration: {
      type: "duration",
      description: "stop by itself after this long",
      valueName: "TIME",
    },
    quiet: { type: "boolean", short: "q", description: "do not log each connection" },
  },
  examples: [
    "node dist/port-forwarder.js",
    "node dist/port-forwarder.js --listen 127.0.0.1:7000 --target 127.0.0.1:6000",
  ],
} as const;

/** Runs the forwarder until Ctrl-C (or `--duration`). */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(spec, argv);
  const at = parseHostPort(values.listen);
  if (at === undefined)
    usageError(spec.name, `--listen must be HOST:PORT, received ${JSON.stringify(values.listen)}`);
  let target = values.target !== undefined ? parseHostPort(values.target) : undefined;
  if (values.target !== undefined && target === undefined) {
    usageError(spec.name, `--target must be HOST:PORT, received ${JSON.stringify(values.target)}`);
  }
  const internet = target === undefined ? await startInternet({ pages: 200 }) : undefined;
  if (internet !== undefined) {
    const url = new URL(internet.origin);
    target = [url.hostname, Number(url.port)];
    log(`started the embedded internet at ${internet.origin}`);
  }
  const [targetHost, targetPort] = target as [string, number];
  const fwd = await startForwarder({
    host: at[0],
    port: at[1],
    targetHost,
    targetPort,
    logConnections: values.quiet !== true,
  });
  log(`forwarding ${fwd.host}:${fwd.port} → ${targetHost}:${targetPort}`);
  if (internet !== undefined) log(`try: curl http://${fwd.host}:${fwd.port}/`);
  const off = onShutdown(() => void fwd.close());
  const timer =
    values.duration !== undefined ? setTimeout(() => void fwd.close(), values.duration) : undefined;
  try {
    await fwd.done;
  } finally {
    clearTimeout(timer);
    off();
    await internet?.close();
  }
  log(
    `stopped: ${fwd.stats.connections} connection(s), ${formatBytes(fwd.stats.bytesUp)} up, ${formatBytes(fwd.stats.bytesDown)} down`,
  );
  return 0;
}

runMain(import.meta.url, main);
