/**
 * `GreenProcess`: a child process that green threads wait for as if `wait()` blocked — Eventlet's
 * `green.subprocess.Popen` on `node:child_process`.
 *
 * The pipes are `GreenSocket`s (Node's child pipes are `net.Socket`s), so streaming output is
 * `readLine()`/`recv()`/`for await`, with their backpressure and interruption rules. `wait()`
 * and `communicate()` are green operations, and an interrupted one does what Eventlet users
 * wanted and rarely wrote by hand: the waiting thread owned the child, so kill or a `Timeout`
 * ends the child too — `killSignal` first (SIGTERM by default), then SIGKILL if it is still
 * running after `killGraceMs`. Node reaps every child once it exits, so nothing is left as a
 * zombie; `wait()` can be called again afterwards to learn how the child ended.
 *
 * Trade-off: the escalation timer runs on the hub (so the virtual hub drives it in tests) and
 * keeps the process alive until the child is gone, because a parent that exits first would
 * leave an orphan that ignores SIGTERM running for good.
 *
 * @module
 */

import { type ChildProcess, type StdioOptions, spawn as spawnChild } from "node:child_process";
import type { Socket } from "node:net";
import { constants } from "node:os";
import { getHub, green, suspend, type TimerHandle, type Waiter } from "@tendril/core";
import { checkInteger, describeValue } from "@tendril/core/validate";
import { GreenSocket } from "../socket/green-socket.js";

/**
 * What a standard stream of the child is connected to: a pipe to us, nothing, or our own stream.
 *
 * @example
 * ```ts
 * const quiet: StdioMode = "ignore";
 * const proc = await spawnProcess("make", ["all"], { stdin: quiet, stdout: "inherit" });
 * ```
 */
export type StdioMode = "pipe" | "ignore" | "inherit";

/**
 * Options of `spawnProcess` (and `run`).
 *
 * @example
 * ```ts
 * const options: SpawnProcessOptions = {
 *   cwd: "/srv/app",
 *   env: { ...process.env, NODE_ENV: "production" },
 *   stdin: "ignore",
 *   killSignal: "SIGINT",
 *   killGraceMs: 10_000,
 * };
 * const proc = await spawnProcess("node", ["server.js"], options);
 * ```
 */
export interface SpawnProcessOptions {
  /** The child's working directory. Default: ours. */
  cwd?: string;
  /** The child's environment. Default: ours (`process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The child's stdin. Default `"pipe"` (`process.stdin` is then a `GreenSocket` to write to). */
  stdin?: StdioMode;
  /** The child's stdout. Default `"pipe"`. */
  stdout?: StdioMode;
  /** The child's stderr. Default `"pipe"`. */
  stderr?: StdioMode;
  /** The signal sent when an interrupted `wait`/`communicate` ends the child. Default `"SIGTERM"`. */
  killSignal?: NodeJS.Signals | number;
  /**
   * How long a child may take to exit after `killSignal` before it is sent SIGKILL, in
   * milliseconds on the hub's clock. Default 5000; `0` sends SIGKILL straight after.
   */
  killGraceMs?: number;
}

/**
 * How a process ended: its exit status, or the signal that ended it (the other is `null`).
 *
 * @example
 * ```ts
 * const { exitCode, signal }: ProcessExit = await proc.wait();
 * if (signal !== null) console.log(`killed by ${signal}`);
 * else if (exitCode !== 0) console.log(`failed with status ${exitCode}`);
 * ```
 */
export interface ProcessExit {
  /** The exit status, or `null` when a signal ended the process. */
  exitCode: number | null;
  /** The signal that ended it, or `null` when it exited by itself. */
  signal: NodeJS.Signals | null;
}

/**
 * What `communicate()` collected: everything the child wrote, and how it ended.
 *
 * @example
 * ```ts
 * const proc = await spawnProcess("sort");
 * const result: Communicated = await proc.communicate("b\na\n");
 * console.log(result.stdout.toString(), result.stderr.length, result.exitCode); // "a\nb\n" 0 0
 * ```
 */
export interface Communicated extends ProcessExit {
  /** All of stdout (empty when stdout is not piped). */
  stdout: Buffer;
  /** All of stderr (empty when stderr is not piped). */
  stderr: Buffer;
}

/**
 * Options of `terminate()`.
 *
 * @example
 * ```ts
 * const options: TerminateOptions = { signal: "SIGINT", graceMs: 2000 };
 * const exit = await proc.terminate(options); // SIGINT, then SIGKILL after 2 s if still running
 * ```
 */
export interface TerminateOptions {
  /** The first signal. Default: the process's `killSignal`. */
  signal?: NodeJS.Signals | number;
  /** Milliseconds before SIGKILL follows. Default: the process's `killGraceMs`. */
  graceMs?: number;
}

const DEFAULT_GRACE_MS = 5000;
const EMPTY = Buffer.alloc(0);
const ignore = (): void => {};

/**
 * A running (or ended) child process for green threads. Create one with `spawnProcess`.
 *
 * @example
 * ```ts
 * const proc = await spawnProcess("sh", ["-c", "echo one; echo two"]);
 * for (let line = await proc.stdout!.readLine(); line !== ""; line = await proc.stdout!.readLine())
 *   console.log("child said", line.trim());
 * console.log(await proc.wait()); // { exitCode: 0, signal: null }
 * ```
 */
export class GreenProcess {
  /** The child's process id. */
  readonly pid: number;
  /** A pipe to the child's stdin, or `null` when stdin is not `"pipe"`. Close it to send EOF. */
  readonly stdin: GreenSocket | null;
  /** A pipe from the child's stdout, or `null` when stdout is not `"pipe"`. */
  readonly stdout: GreenSocket | null;
  /** A pipe from the child's stderr, or `null` when stderr is not `"pipe"`. */
  readonly stderr: GreenSocket | null;
  readonly #child: ChildProcess;
  readonly #killSignal: NodeJS.Signals | number;
  readonly #graceMs: number;
  #exit: ProcessExit | null = null;
  #waiters: Array<Waiter<ProcessExit>> = [];
  #killTimer: TimerHandle | null = null;
  #killing = false;

  /** @internal Use `spawnProcess`, which waits until the child has started. */
  constructor(child: ChildProcess, killSignal: NodeJS.Signals | number, graceMs: number) {
    this.#child = child;
    this.pid = child.pid as number;
    this.#killSignal = killSignal;
    this.#graceMs = graceMs;
    this.stdin = child.stdin === null ? null : new GreenSocket(child.stdin as Socket);
    this.stdout = child.stdout === null ? null : new GreenSocket(child.stdout as Socket);
    this.stderr = child.stderr === null ? null : new GreenSocket(child.stderr as Socket);
    // Once started, the child reports failures (of kill, say) through return values as well;
    // without a listener such an 'error' event would crash the process.
    child.on("error", ignore);
    if (child.exitCode !== null || child.signalCode !== null) this.#onExit();
    else child.once("exit", this.#onExit);
  }

  /** How the child ended, or `null` while it runs (Python's `returncode`, split in two). */
  get exit(): ProcessExit | null {
    return this.#exit;
  }

  /**
   * Waits until the child exits and returns how it ended. A green operation: when the waiting
   * thread is killed or its `Timeout` fires, the child is ended too (`killSignal`, then SIGKILL
   * after `killGraceMs`) and the error is re-thrown at once; call `wait()` again to wait for the
   * end. Beware, as with Python: a child that fills a pipe nobody reads never exits — read
   * its output, or use `communicate()`.
   *
   * @example
   * ```ts
   * const proc = await spawnProcess("sleep", ["60"], { stdout: "ignore" });
   * try { await withTimeout(1000, () => proc.wait()); }
   * catch (error) { if (isTimeout(error)) console.log(await proc.wait()); } // { exitCode: null, signal: "SIGTERM" }
   * ```
   */
  wait(): Promise<ProcessExit> {
    return suspend<ProcessExit>((waiter) => {
      if (this.#exit !== null) {
        waiter.resolve(this.#exit);
        return;
      }
      this.#waiters.push(waiter);
      return () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        this.#abandon();
      };
    });
  }

  /**
   * Sends `input` (if any) to stdin and closes it, reads stdout and stderr to their ends at the
   * same time (so a child that writes a lot never deadlocks against us), then waits for the
   * child to exit. Any error — an interruption included — ends the child as `wait()` does
   * before it is re-thrown. A child that exits without reading its input is not an error.
   *
   * @throws {TypeError} when `input` is not a string or `Uint8Array`, or is given while stdin
   *   is not piped.
   * @example
   * ```ts
   * const proc = await spawnProcess("sort");
   * const { stdout, exitCode } = await proc.communicate("b\na\n");
   * console.log(stdout.toString(), exitCode); // "a\nb\n" 0
   * ```
   */
  async communicate(input?: Uint8Array | string): Promise<Communicated> {
    if (input !== undefined && typeof input !== "string" && !(input instanceof Uint8Array)) {
      throw new TypeError(
        `communicate: input must be a string or a Uint8Array, received ${describeValue(input)}`,
      );
    }
    if (input !== undefined && this.stdin === null) {
      throw new TypeError('communicate: input was given but the process\'s stdin is not "pipe"');
    }
    try {
      const [, stdout, stderr] = await Promise.all([
        feed(this.stdin, input),
        readAll(this.stdout),
        readAll(this.stderr),
      ]);
      const exit = await this.wait();
      return { ...exit, stdout, stderr };
    } catch (error) {
      this.#abandon();
      throw error;
    }
  }

  /**
   * Sends `signal` (default: the process's `killSignal`) to the child, without waiting.
   * Returns `false` when the child has already exited (nothing was sent).
   *
   * @throws {TypeError} when `signal` is not a known signal name or number.
   * @example
   * ```ts
   * proc.kill("SIGINT");
   * await proc.wait();
   * ```
   */
  kill(signal: NodeJS.Signals | number = this.#killSignal): boolean {
    checkSignal("kill: signal", signal);
    if (this.#exit !== null) return false;
    return this.#child.kill(signal);
  }

  /**
   * Ends the child and waits for it: `signal` first, then SIGKILL if it has not exited after
   * `graceMs`. Interrupting the wait leaves the escalation running.
   *
   * @throws {TypeError|RangeError} for an unknown signal or a grace that is not an integer >= 0.
   * @example
   * ```ts
   * const exit = await proc.terminate({ graceMs: 1000 });
   * console.log(exit.signal); // "SIGTERM", or "SIGKILL" if it ignored SIGTERM for a second
   * ```
   */
  terminate(options: TerminateOptions = {}): Promise<ProcessExit> {
    const signal = options.signal ?? this.#killSignal;
    checkSignal("terminate: signal", signal);
    const graceMs =
      options.graceMs === undefined
        ? this.#graceMs
        : checkInteger("terminate: graceMs", options.graceMs, 0);
    this.#startKill(signal, graceMs);
    return this.wait();
  }

  /** `await using proc = await spawnProcess(…)` ends the child (if running) and closes its pipes. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#exit === null) await this.terminate();
    await Promise.all([this.stdin?.close(), this.stdout?.close(), this.stderr?.close()]);
  }

  // The thread that owned the child stopped waiting for it: end it, and stop feeding it.
  #abandon(): void {
    if (this.#exit !== null) return;
    this.#startKill(this.#killSignal, this.#graceMs);
    const stdin = this.#child.stdin;
    if (stdin !== null && !stdin.destroyed) stdin.destroy();
  }

  #startKill(signal: NodeJS.Signals | number, graceMs: number): void {
    if (this.#exit !== null || this.#killing) return;
    this.#killing = true;
    this.#child.kill(signal);
    // Invariant: the timer is cancelled when the child exits, so it never outlives the child.
    this.#killTimer = getHub().schedule(graceMs, () => {
      this.#killTimer = null;
      if (this.#exit === null) this.#child.kill("SIGKILL");
    });
  }

  #onExit = (): void => {
    const exit: ProcessExit = {
      exitCode: this.#child.exitCode,
      signal: this.#child.signalCode,
    };
    this.#exit = exit;
    this.#killTimer?.cancel();
    this.#killTimer = null;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve(exit);
  };
}

async function feed(stdin: GreenSocket | null, input: Uint8Array | string | undefined) {
  if (stdin === null) return;
  try {
    if (input !== undefined && input.length > 0) await stdin.sendall(input);
  } catch (error) {
    // A child may exit without reading its input (`head -1`): Python ignores that too.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EPIPE" && code !== "ECONNRESET") throw error;
  }
  await stdin.close();
}

async function readAll(sock: GreenSocket | null): Promise<Buffer> {
  if (sock === null) return EMPTY;
  const chunks: Uint8Array[] = [];
  for await (const chunk of sock) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function checkSignal(what: string, signal: unknown): asserts signal is NodeJS.Signals | number {
  if (typeof signal === "string" && Object.hasOwn(constants.signals, signal)) return;
  if (typeof signal === "number" && Number.isInteger(signal) && signal >= 0 && signal < 65) return;
  throw new TypeError(
    `${what} must be a signal name such as "SIGTERM" or a signal number, received ${describeValue(signal)}`,
  );
}

function checkStdio(what: string, mode: unknown): StdioMode {
  if (mode === undefined) return "pipe";
  if (mode === "pipe" || mode === "ignore" || mode === "inherit") return mode;
  throw new TypeError(
    `spawnProcess: ${what} must be "pipe", "ignore" or "inherit", received ${describeValue(mode)}`,
  );
}

/**
 * Starts `command` with `args` (no shell: arguments are passed as they are) and resolves once
 * the child is running. A green operation; an interrupted start kills the child.
 *
 * @throws {TypeError} when `command` is not a non-empty string, `args` not an array of
 *   strings, or an option is malformed (the message names the received value).
 * @throws {RangeError} when `killGraceMs` is not an integer >= 0.
 * @throws {Error} Node's system error when the command cannot be started (`ENOENT`, `EACCES`).
 * @example
 * ```ts
 * const proc = await spawnProcess("grep", ["-c", "x"]);
 * await proc.stdin!.sendall("x\ny\nx\n");
 * await proc.stdin!.close();
 * console.log(await proc.stdout!.readLine(), await proc.wait()); // "2\n" { exitCode: 0, signal: null }
 * ```
 */
export async function spawnProcess(
  command: string,
  args: readonly string[] = [],
  options: SpawnProcessOptions = {},
): Promise<GreenProcess> {
  if (typeof command !== "string" || command.length === 0) {
    throw new TypeError(
      `spawnProcess: command must be a non-empty string, received ${describeValue(command)}`,
    );
  }
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) {
    throw new TypeError(
      `spawnProcess: args must be an array of strings, received ${describeValue(args)}`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      `spawnProcess: options must be an object, received ${describeValue(options)}`,
    );
  }
  const stdio: StdioOptions = [
    checkStdio("stdin", options.stdin),
    checkStdio("stdout", options.stdout),
    checkStdio("stderr", options.stderr),
  ];
  const killSignal = options.killSignal ?? "SIGTERM";
  checkSignal("spawnProcess: killSignal", killSignal);
  const graceMs =
    options.killGraceMs === undefined
      ? DEFAULT_GRACE_MS
      : checkInteger("spawnProcess: killGraceMs", options.killGraceMs, 0);
  const child = spawnChild(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio,
    windowsHide: true,
  });
  await green(
    new Promise<void>((resolve, reject) => {
      const started = (): void => {
        child.off("error", failed);
        resolve();
      };
      const failed = (error: Error): void => {
        child.off("spawn", started);
        reject(error);
      };
      child.once("spawn", started);
      child.once("error", failed);
    }),
    () => {
      child.kill("SIGKILL");
    },
  );
  return new GreenProcess(child, killSignal, graceMs);
}
