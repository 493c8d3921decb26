/**
 * `echo-client`: a load generator for the echo server — the client side of the server
 * pattern. Each connection is a green thread that sends a line, waits for its echo, and
 * repeats; a ticker thread prints round trips per second while they run.
 *
 * With no `--port` it starts an echo server in the same process first, so one command shows
 * both sides.
 *
 * Run: `node dist/echo-client.js` or `node dist/echo-client.js --port 6000 -c 100 -d 10s`.
 *
 * @module
 */

import { type GreenThread, sleep, spawn } from "@tendril/core";
import { connect, type GreenSocket } from "@tendril/green-net";
import {
  bold,
  dim,
  formatCount,
  formatMs,
  onShutdown,
  parseCli,
  runMain,
  StatusLine,
  table,
} from "./cli.js";
import { startEchoServer } from "./echo-server.js";

/** Options of `runEchoLoad`. */
export interface EchoLoadOptions {
  host?: string;
  port: number;
  /** Concurrent connections (default 50). */
  connections?: number;
  /** How long to run, in milliseconds (default 5000). */
  durationMs?: number;
  /** Stop each connection after this many round trips (default: no limit). */
  count?: number;
  /** Bytes per line, newline included (default 32). */
  size?: number;
  /** Print the live rate (default true). */
  progress?: boolean;
  /** Stops the run early when aborted (Ctrl-C). */
  signal?: AbortSignal;
}

/** What a load run measured. */
export interface EchoLoadResult {
  roundTrips: number;
  errors: number;
  elapsedMs: number;
  perSecond: number;
  /** Round-trip latency percentiles, in milliseconds. */
  p50: number;
  p99: number;
  max: number;
}

/**
 * Opens `connections` connections and ping-pongs lines over each until the duration ends,
 * then reports the rate and latency.
 *
 * @throws {Error} when the server cannot be reached at all.
 * @example
 * ```ts
 * const result = await runEchoLoad({ port: 6000, connections: 10, durationMs: 2000 });
 * console.log(result.perSecond);
 * ```
 */
export async function runEchoLoad(options: EchoLoadOptions): Promise<EchoLoadResult> {
  const host = options.host ?? "127.0.0.1";
  const connections = options.connections ?? 50;
  const durationMs = options.durationMs ?? 5000;
  const limit = options.count ?? Number.POSITIVE_INFINITY;
  const size = Math.max(2, options.size ?? 32);
  const line = `${"x".repeat(size - 1)}\n`;
  const samples: number[] = []; // a reservoir of latencies, enough for percentiles
  let roundTrips = 0;
  let errors = 0;
  let stopped = false;

  // #region worker
  /** One connection: send a line, wait for the same line back, count it, repeat. */
  async function worker(): Promise<void> {
    let sock: GreenSocket;
    try {
      sock = await connect([host, options.port]);
    } catch (error) {
      errors++;
      throw error;
    }
    try {
      for (let n = 0; n < limit && !stopped; n++) {
        const sent = performance.now();
        await sock.sendall(line);
        const echo = await sock.readLine();
        if (echo !== line) throw new Error(`bad echo: ${JSON.stringify(echo.slice(0, 40))}`);
        roundTrips++;
        if (samples.length < 50_000) samples.push(performance.now() - sent);
        else samples[roundTrips % 50_000] = performance.now() - sent;
      }
    } catch {
      if (!stopped) errors++;
    } finally {
      await sock.close();
    }
  }

  const started = performance.now();
  const workers: GreenThread<void>[] = [];
  for (let i = 0; i < connections; i++) workers.push(spawn(worker));
  // #endregion worker

  // The ticker: a green thread that wakes once a second to print the rate.
  const status = new StatusLine(process.stdout, 1000);
  const ticker = spawn(async () => {
    if (options.progress === false) return;
    let last = 0;
    let lastAt = started;
    for (;;) {
      await sleep(1000);
      const now = performance.now();
      const rate = ((roundTrips - last) * 1000) / (now - lastAt);
      [last, lastAt] = [roundTrips, now];
      status.update(
        `${bold(formatCount(rate))} round trips/s   ${dim("total")} ${formatCount(roundTrips)}   ${dim("connections")} ${connections}   ${dim("errors")} ${errors}`,
      );
    }
  });
  const stopTimer = setTimeout(() => {
    stopped = true;
  }, durationMs);
  const onAbort = () => {
    stopped = true;
  };
  options.signal?.addEventListener("abort", onAbort);
  try {
    const outcomes = await Promise.allSettled(workers.map((w) => w.wait()));
    const failed = outcomes.find((o) => o.status === "rejected");
    if (roundTrips === 0 && failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  } finally {
    clearTimeout(stopTimer);
    options.signal?.removeEventListener("abort", onAbort);
    await ticker.kill();
    status.done();
  }
  const elapsedMs = performance.now() - started;
  samples.sort((a, b) => a - b);
  const at = (q: number) =>
    samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0;
  return {
    roundTrips,
    errors,
    elapsedMs,
    perSecond: (roundTrips * 1000) / elapsedMs,
    p50: at(0.5),
    p99: at(0.99),
    max: samples.at(-1) ?? 0,
  };
}

/** The result as a small table. */
export function formatEchoResult(r: EchoLoadResult): string {
  return table(
    ["round trips", "per second", "p50", "p99", "max", "errors"],
    [
      [
        formatCount(r.roundTrips),
        formatCount(r.perSecond),
        formatMs(r.p50),
        formatMs(r.p99),
        formatMs(r.max),
        String(r.errors),
      ],
    ],
    { right: [0, 1, 2, 3, 4, 5] },
  );
}

const spec = {
  name: "echo-client",
  summary: "a load generator for the echo server: round trips per second",
  description: `Opens --connections connections, each a green thread sending a line and waiting for
its echo, and prints the round trips per second. With no --port it first starts an echo
server in this process (on a free port), so it runs anywhere with one command.`,
  flags: {
    host: {
      type: "string",
      default: "127.0.0.1",
      description: "echo server's host",
      valueName: "HOST",
    },
    port: {
      type: "port",
      short: "p",
      description: "echo server's port (default: start one here)",
    },
    connections: {
      type: "number",
      integer: true,
      min: 1,
      short: "c",
      default: 50,
      description: "concurrent connections",
    },
    duration: {
      type: "duration",
      short: "d",
      default: 5,
      description: "how long to run",
      valueName: "TIME",
    },
    count: {
      type: "number",
      integer: true,
      min: 1,
      short: "n",
      description: "stop each connection after N round trips",
    },
    size: {
      type: "number",
      integer: true,
      min: 2,
      short: "s",
      default: 32,
      description: "bytes per line, newline included",
    },
  },
  examples: [
    "node dist/echo-client.js",
    "node dist/echo-client.js --port 6000 --connections 200 --duration 10s",
  ],
} as const;

/** Runs the load generator. */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(spec, argv);
  const server =
    values.port === undefined
      ? await startEchoServer({ port: 0, logConnections: false })
      : undefined;
  const port = server?.port ?? (values.port as number);
  console.log(
    `${server !== undefined ? "started an echo server, " : ""}hammering ${values.host}:${port} with ${values.connections} connections for ${formatMs(values.duration)}…`,
  );
  const abort = new AbortController();
  const off = onShutdown(() => abort.abort());
  try {
    const result = await runEchoLoad({
      host: values.host,
      port,
      connections: values.connections,
      durationMs: values.duration,
      size: values.size,
      signal: abort.signal,
      ...(values.count !== undefined ? { count: values.count } : {}),
    });
    console.log(formatEchoResult(result));
    return abort.signal.aborted || result.roundTrips > 0 ? 0 : 1; // Ctrl-C is a clean stop: 0
  } finally {
    off();
    await server?.close();
  }
}

runMain(import.meta.url, main);
