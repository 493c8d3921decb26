/**
 * `@tendril/green-net/subprocess`: child processes for green threads — Eventlet's
 * `green.subprocess`. `spawnProcess` gives a process whose pipes are `GreenSocket`s and whose
 * `wait()`/`communicate()` are green operations; `run` does it all in one call. Kill or a
 * `Timeout` of the waiting thread ends the child and lets Node reap it.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "../node-version.js";

/** The codes of this package's errors (they extend `@tendril/core`'s `TendrilErrorCodes`). */
export type { GreenNetErrorCode } from "../error-codes.js";
/** Errors: a checked command that failed. */
export { ProcessFailed } from "./errors.js";
/** Processes: start one, stream its pipes, wait for it, end it. */
export {
  type Communicated,
  GreenProcess,
  type ProcessExit,
  type SpawnProcessOptions,
  type StdioMode,
  spawnProcess,
  type TerminateOptions,
} from "./green-process.js";
/** One call: run a command to completion and collect its output. */
export { type CompletedProcess, type RunOptions, run } from "./run.js";
