/**
 * Runs the example programs as a user does — `node dist/<name>.js …` in a child process —
 * and reads their output. Every child is killed when its test ends, whatever happened, so a
 * failing test never leaves a server behind; and every wait is bounded.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The compiled program's path; fails with a clear message when it was not built. */
export function programPath(name: string): string {
  const path = join(root, "dist", `${name}.js`);
  if (!existsSync(path)) {
    throw new Error(
      `${path} does not exist: build the examples first (pnpm --filter @tendril/examples build, or pnpm test from the root)`,
    );
  }
  return path;
}

/** A running program. */
export interface Program {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout, waiting at most `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the program has exited, waiting at most `ms`. */
  exited(ms?: number): Promise<number | null>;
  /** Kills the program if it still runs. */
  kill(): void;
}

const running = new Set<ChildProcess>();

/** Starts `node dist/<name>.js ...args`, with colours off. */
export function start(name: string, args: readonly string[] = []): Program {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [programPath(name), ...args], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exit = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      running.delete(child);
      resolve(code);
      for (const listener of listeners) listener();
    });
  });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m !== null) {
            done();
            resolve(m);
          } else if (child.exitCode !== null) {
            done();
            reject(
              new Error(
                `${name} exited (${child.exitCode}) before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `${name} did not print ${pattern} within ${ms} ms\nstdout:\n${out}\nstderr:\n${err}`,
            ),
          );
        }, ms);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    exited(ms = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`${name} did not exit within ${ms} ms\nstdout:\n${out}\nstderr:\n${err}`),
            ),
          ms,
        );
      });
      return Promise.race([exit, late]).finally(() => clearTimeout(timer));
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Runs a program to completion and returns its exit code and output. */
export async function run(
  name: string,
  args: readonly string[] = [],
  ms = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const program = start(name, args);
  try {
    const code = await program.exited(ms);
    return { code, stdout: program.stdout(), stderr: program.stderr() };
  } finally {
    program.kill();
  }
}

/** Kills every program still running (for `afterEach`). */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** A plain `node:net` client that reads lines: an independent check of the servers. */
export interface LineClient {
  send(text: string): void;
  /** The next line received (without its newline), waiting at most `ms`. */
  nextLine(ms?: number): Promise<string>;
  /** Resolves when the server closes the connection. */
  closed(ms?: number): Promise<void>;
  close(): void;
}

/** Connects to 127.0.0.1:`port`. */
export async function lineClient(port: number): Promise<LineClient> {
  const { connect } = await import("node:net");
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.setEncoding("utf8");
  let buffer = "";
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
    wake?.();
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    ended = true;
    wake?.();
  });
  const until = async (ready: () => boolean, ms: number, what: string) => {
    const deadline = Date.now() + ms;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; got lines ${JSON.stringify(lines)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  return {
    send: (text) => void socket.write(text),
    async nextLine(ms = 5000) {
      await until(() => lines.length > 0 || ended, ms, "a line");
      const line = lines.shift();
      if (line === undefined) throw new Error("the connection closed before a line arrived");
      return line;
    },
    closed: (ms = 5000) => until(() => ended, ms, "the server to close the connection"),
    close: () => socket.destroy(),
  };
}

/** `value`, or a failed test naming `what` when it is missing. */
export function must<T>(value: T | null | undefined, what = "a value"): T {
  if (value === null || value === undefined)
    throw new Error(`expected ${what}, got ${String(value)}`);
  return value;
}
