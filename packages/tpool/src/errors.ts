/**
 * The errors of `ThreadPool`, each with a stable `code`. An error thrown by a task inside its
 * worker is re-thrown to the caller as the worker threw it (structured-cloned).
 *
 * @module
 */

import { TendrilError } from "@tendril/core";

/**
 * A task was submitted with `whenFull: "reject"` while every thread was busy and the queue held
 * `maxQueue` tasks.
 *
 * @example
 * ```ts
 * const pool = new ThreadPool({ filename, maxThreads: 1, maxQueue: 0, whenFull: "reject" });
 * try { await pool.run(1); } catch (error) { if (error instanceof ThreadPoolFull) console.log("busy"); }
 * ```
 */
export class ThreadPoolFull extends TendrilError {
  /** The pool's capacity: threads plus queue slots. */
  readonly capacity: number;
  constructor(capacity: number) {
    super(
      "ERR_TENDRIL_TPOOL_FULL",
      `the thread pool is full: ${capacity} task(s) are running or queued (maxThreads + maxQueue)`,
    );
    this.capacity = capacity;
  }
}

/**
 * The pool was closed: no new task is accepted, and tasks still waiting for room fail.
 *
 * @example
 * ```ts
 * await pool.close();
 * await pool.run(1); // rejects with ThreadPoolClosed
 * ```
 */
export class ThreadPoolClosed extends TendrilError {
  constructor(operation: string) {
    super("ERR_TENDRIL_TPOOL_CLOSED", `cannot ${operation}: the thread pool is closed`);
  }
}

/**
 * `execute(name, …)` named something the worker module does not export as a function.
 *
 * @example
 * ```ts
 * try { await pool.execute("fibb", 30); }
 * catch (error) { if (error instanceof NoSuchExport) console.log(error.exportName); } // "fibb"
 * ```
 */
export class NoSuchExport extends TendrilError {
  /** The name that was asked for. */
  readonly exportName: string;
  constructor(module: string, exportName: string, found: string) {
    super(
      "ERR_TENDRIL_TPOOL_NO_EXPORT",
      `ThreadPool.execute: ${module} has no exported function named ${JSON.stringify(exportName)} (found ${found})`,
    );
    this.exportName = exportName;
  }
}
