/**
 * `startRedisServer()`: a real `redis-server` (Debian's package) on 127.0.0.1 and a free port,
 * with its data in a fresh temporary folder, stopped and removed by `stop()`.
 *
 * Trade-off: the port is found by binding port 0 and closing it before redis binds it, so
 * another process could take it in between; the start is retried on a new port when redis
 * says the address is in use. Redis cannot be told to pick a port itself and report it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface RedisServerOptions {
  /** Append-only persistence (`appendonly yes`, fsync every write), so a restart keeps the data. Default false. */
  readonly persistent?: boolean;
  /** How long to wait for the server to accept connections. Default 10,000 ms. */
  readonly startTimeoutMs?: number;
  /** Extra `redis-server` arguments, e.g. `["--maxmemory", "10mb"]`. */
  readonly args?: readonly string[];
}

export interface RedisServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's data folder (removed by `stop()`). */
  readonly dir: string;
  /** The running server's pid (changes on `restart()`). */
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and starts it again on the same port and folder. */
  restart(options?: { readonly downMs?: number; readonly signal?: NodeJS.Signals }): Promise<void>;
  /** Stops the server and removes its folder. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The absolute path of `name` on PATH (or in /usr/sbin, /usr/bin), or `undefined`. */
export function findExecutable(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? "").split(delimiter),
    "/usr/sbin",
    "/usr/bin",
    "/usr/local/bin",
  ];
  for (const dir of dirs) {
    if (dir === "") continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited(child);
  clearTimeout(timer);
}

async function launch(
  binary: string,
  port: number,
  dir: string,
  options: RedisServerOptions,
): Promise<{ child: ChildProcess; log: () => string }> {
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--protected-mode",
    "no",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    options.persistent ? "yes" : "no",
    "--appendfsync",
    "always",
    "--daemonize",
    "no",
    "--logfile",
    "",
    ...(options.args ?? []),
  ];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  });
  child.stderr?.on("data", (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  });
  child.on("error", (e) => {
    output += `\nspawn error: ${e.message}`;
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `redis-server exited (${child.exitCode ?? child.signalCode}) before accepting connections:\n${output}`,
      );
    }
    if (await ping(port)) return { child, log: () => output };
    if (Date.now() > deadline) {
      await terminate(child, "SIGKILL");
      throw new Error(
        `redis-server did not accept connections on port ${port} in time:\n${output}`,
      );
    }
    await delay(20);
  }
}

/**
 * Starts a real `redis-server` on 127.0.0.1 and a free port. Throws with install instructions
 * when Debian's `redis-server` is not installed (`apt-get install redis-server`).
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = findExecutable("redis-server");
  if (binary === undefined) {
    throw new Error(
      "redis-server is not installed: run `apt-get install redis-server` (Debian's package); .ci/run does",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "tendril-redis-"));
  let port = 0;
  let current: { child: ChildProcess; log: () => string } | undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt < 5 && current === undefined; attempt++) {
    port = await freePort();
    try {
      current = await launch(binary, port, dir, options);
    } catch (error) {
      lastError = error;
    }
  }
  if (current === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError;
  }
  let stopped = false;
  const server: RedisServer = {
    host: "127.0.0.1",
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() {
      return current?.child.pid ?? -1;
    },
    async restart({ downMs = 0, signal = "SIGTERM" } = {}) {
      if (stopped) throw new Error("redis-server was stopped; start a new one");
      if (current) await terminate(current.child, signal);
      current = undefined;
      if (downMs > 0) await delay(downMs);
      current = await launch(binary, port, dir, options);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (current) await terminate(current.child);
      current = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]() {
      return server.stop();
    },
  };
  return server;
}
