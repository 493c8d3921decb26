/**
 * `run`: start a command, feed it, collect what it writes, wait for it — Python's
 * `subprocess.run`, as one green operation.
 *
 * @module
 */

import { describeValue } from "@tendril/core/validate";
import { ProcessFailed } from "./errors.js";
import { type Communicated, type SpawnProcessOptions, spawnProcess } from "./green-process.js";

/**
 * Options of `run`: those of `spawnProcess`, and what to send and check.
 *
 * @example
 * ```ts
 * const options: RunOptions = { input: "b\na\n", check: true, cwd: "/tmp" };
 * const { stdout } = await run("sort", [], options); // rejects with ProcessFailed on failure
 * ```
 */
export interface RunOptions extends SpawnProcessOptions {
  /** Sent to the child's stdin, which is then closed. Default: nothing (stdin closed at once). */
  input?: Uint8Array | string;
  /**
   * Reject with `ProcessFailed` when the command exits with a non-zero status or is ended by a
   * signal. Default `false`, as Python's `check`: the caller reads `exitCode`.
   */
  check?: boolean;
}

/**
 * What `run` returns: the command, everything it wrote, and how it ended.
 *
 * @example
 * ```ts
 * const done: CompletedProcess = await run("ls", ["-l", "/tmp"]);
 * console.log(done.command, done.args, done.exitCode); // "ls" ["-l", "/tmp"] 0
 * console.log(done.stdout.toString());
 * ```
 */
export interface CompletedProcess extends Communicated {
  /** The command as it was given. */
  command: string;
  /** Its arguments. */
  args: readonly string[];
}

/**
 * Runs `command` to completion: sends `input`, collects stdout and stderr, waits for the exit.
 * A green operation: kill or a `Timeout` of the calling thread ends the child (its
 * `killSignal`, then SIGKILL after `killGraceMs`) before the error is re-thrown.
 *
 * @throws {ProcessFailed} with `check: true`, when the command fails.
 * @throws {TypeError|RangeError} for malformed arguments (as `spawnProcess`), or an `input`
 *   that is not a string or Uint8Array.
 * @throws {Error} Node's system error when the command cannot be started (`ENOENT`).
 * @example
 * ```ts
 * const { stdout } = await run("git", ["rev-parse", "HEAD"], { check: true });
 * console.log(stdout.toString().trim());
 * const done = await withTimeout(2000, () => run("sleep", ["60"])); // rejects after 2 s; sleep is killed
 * ```
 */
export async function run(
  command: string,
  args: readonly string[] = [],
  options: RunOptions = {},
): Promise<CompletedProcess> {
  const input = options?.input;
  if (input !== undefined && typeof input !== "string" && !(input instanceof Uint8Array)) {
    throw new TypeError(
      `run: input must be a string or a Uint8Array, received ${describeValue(input)}`,
    );
  }
  const proc = await spawnProcess(command, args, options);
  const result = await proc.communicate(input);
  if (options.check === true && (result.exitCode !== 0 || result.signal !== null)) {
    throw new ProcessFailed(command, args, result, result.stdout, result.stderr);
  }
  return { command, args, ...result };
}
