/**
 * The errors of green subprocesses, each with a stable `code`. A command that cannot be started
 * (`ENOENT`, `EACCES`) rejects with Node's own system error, as `child_process` raises it.
 *
 * @module
 */

import { TendrilError } from "@tendril/core";

/**
 * `run(..., { check: true })` ran a command that exited with a non-zero status or was ended by a
 * signal (Python's `CalledProcessError`). It carries what the command wrote, so the caller can
 * show it.
 *
 * @example
 * ```ts
 * try { await run("false", [], { check: true }); }
 * catch (error) { if (error instanceof ProcessFailed) console.log(error.exitCode); } // 1
 * ```
 */
export class ProcessFailed extends TendrilError {
  /** The command as it was given. */
  readonly command: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** The exit status, or `null` when a signal ended the process. */
  readonly exitCode: number | null;
  /** The signal that ended the process, or `null`. */
  readonly signal: NodeJS.Signals | null;
  /** What it wrote on stdout (empty when stdout was not piped). */
  readonly stdout: Uint8Array;
  /** What it wrote on stderr (empty when stderr was not piped). */
  readonly stderr: Uint8Array;
  constructor(
    command: string,
    args: readonly string[],
    exit: { exitCode: number | null; signal: NodeJS.Signals | null },
    stdout: Uint8Array,
    stderr: Uint8Array,
  ) {
    const how =
      exit.signal !== null ? `was ended by ${exit.signal}` : `exited with status ${exit.exitCode}`;
    super("ERR_TENDRIL_PROCESS_FAILED", `command ${JSON.stringify(command)} ${how}`);
    this.command = command;
    this.args = args;
    this.exitCode = exit.exitCode;
    this.signal = exit.signal;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}
