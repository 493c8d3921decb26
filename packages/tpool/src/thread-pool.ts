/**
 * `ThreadPool`: Eventlet's `tpool` — run blocking or CPU-heavy work on worker threads while the
 * green threads carry on — on piscina, the ecosystem's well-kept worker pool.
 *
 * Every submission is a green operation. The calling thread waits first for room (threads plus
 * `maxQueue` queue slots, FIFO) and then for the result; kill or a `Timeout` interrupts either
 * wait. Interrupted while waiting for room, it takes no room. Interrupted while its task is
 * queued, the task is dropped from piscina's queue; while its task runs, piscina *terminates
 * that worker thread* (JavaScript cannot stop a running function any other way) and starts a
 * fresh one. So an interrupted task never runs on, and never holds a thread.
 *
 * Trade-off: the pool counts capacity itself instead of using piscina's `maxQueue`, because
 * piscina rejects at once when its queue is full, and a green caller should be able to wait
 * its turn (Eventlet's tpool blocks). `whenFull: "reject"` keeps piscina's behaviour.
 *
 * @module
 */

import { fileURLToPath, pathToFileURL } from "node:url";
import type { ResourceLimits, TransferListItem } from "node:worker_threads";
import { getHub, green, suspend, type Waiter } from "@tendril/core";
import { checkInteger, describeValue } from "@tendril/core/validate";
import { Piscina } from "piscina";
import { NoSuchExport, ThreadPoolClosed, ThreadPoolFull } from "./errors.js";

/**
 * Options of a `ThreadPool`.
 *
 * @example
 * ```ts
 * const options: ThreadPoolOptions = {
 *   filename: new URL("./workers/resize.js", import.meta.url),
 *   minThreads: 1,
 *   maxThreads: 4,
 *   maxQueue: 32,
 *   whenFull: "reject", // ThreadPoolFull instead of waiting for room
 *   resourceLimits: { maxOldGenerationSizeMb: 256 },
 * };
 * const pool = new ThreadPool(options);
 * ```
 */
export interface ThreadPoolOptions {
  /**
   * The worker module (an absolute path or a `file:` URL): its exports are the tasks. `run`
   * calls its default export (or `name`), `execute` calls a named export.
   */
  filename: string | URL;
  /** Threads kept even when idle. Default: piscina's (half the cores). */
  minThreads?: number;
  /** Most threads at once. Default: piscina's (1.5 × the cores). */
  maxThreads?: number;
  /**
   * Tasks that may wait for a thread, beyond those running. Default: `maxThreads` squared
   * (piscina's `"auto"`). When it is reached, see `whenFull`.
   */
  maxQueue?: number;
  /** When the queue is full: `"wait"` (default) for room, as a green operation, or `"reject"` with `ThreadPoolFull`. */
  whenFull?: "wait" | "reject";
  /** Milliseconds an idle thread above `minThreads` lives. Default: piscina's. */
  idleTimeoutMs?: number;
  /** Memory limits of each worker thread. */
  resourceLimits?: ResourceLimits;
  /** `process.env` of the workers (default: a copy of ours). */
  env?: Record<string, string>;
  /** `process.argv` extras and Node flags of the workers. */
  argv?: string[];
  execArgv?: string[];
  /** A value the workers read as `workerData` from `piscina`. */
  workerData?: unknown;
}

/**
 * Options of one `run`.
 *
 * @example
 * ```ts
 * const image = new Uint8Array(4 << 20);
 * const options: RunTaskOptions = { name: "thumbnail", transferList: [image.buffer] };
 * const thumb = await pool.run<Uint8Array>(image, options); // image is unusable here afterwards
 * ```
 */
export interface RunTaskOptions {
  /** The export of the worker module to call. Default `"default"`. */
  name?: string;
  /**
   * Objects to *move* to the worker instead of copying (`ArrayBuffer`, `MessagePort`, …); they
   * are unusable here afterwards.
   */
  transferList?: readonly TransferListItem[];
}

const EXECUTE_WORKER = fileURLToPath(new URL("../worker/execute.js", import.meta.url));
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A pool of worker threads for green threads. Tasks are exports of one worker module.
 *
 * @example
 * ```ts
 * // hash.js (the worker module): export default ({ data }) => createHash("sha256").update(data).digest("hex");
 * const pool = new ThreadPool({ filename: new URL("./hash.js", import.meta.url), maxThreads: 4 });
 * const hex = await pool.run<string>({ data: "hello" });
 * await pool.close();
 * ```
 */
export class ThreadPool {
  readonly #piscina: Piscina;
  readonly #module: string;
  readonly #capacity: number;
  readonly #reject: boolean;
  #inFlight = 0;
  #waiters: Array<Waiter<void>> = [];
  #closed = false;

  /**
   * Starts the pool (and its `minThreads` threads).
   *
   * @throws {TypeError|RangeError} when an option is malformed; the message names the value.
   * @example
   * ```ts
   * const pool = new ThreadPool({ filename: "/srv/app/workers/resize.js", maxThreads: 2, maxQueue: 16 });
   * ```
   */
  constructor(options: ThreadPoolOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        `ThreadPool: options must be an object, received ${describeValue(options)}`,
      );
    }
    const filename = toPath(options.filename);
    const maxThreads =
      options.maxThreads === undefined
        ? undefined
        : checkInteger("ThreadPool maxThreads", options.maxThreads, 1);
    const minThreads =
      options.minThreads === undefined
        ? undefined
        : checkInteger("ThreadPool minThreads", options.minThreads, 0);
    if (minThreads !== undefined && maxThreads !== undefined && minThreads > maxThreads) {
      throw new RangeError(
        `ThreadPool minThreads must be <= maxThreads, received minThreads ${minThreads} and maxThreads ${maxThreads}`,
      );
    }
    if (
      options.whenFull !== undefined &&
      options.whenFull !== "wait" &&
      options.whenFull !== "reject"
    ) {
      throw new TypeError(
        `ThreadPool whenFull must be "wait" or "reject", received ${describeValue(options.whenFull)}`,
      );
    }
    const idleTimeout =
      options.idleTimeoutMs === undefined
        ? undefined
        : checkInteger("ThreadPool idleTimeoutMs", options.idleTimeoutMs, 0);
    // Only the options given: piscina spreads them over its defaults, so an `undefined` would
    // replace a default.
    const given: Record<string, unknown> = {
      minThreads,
      maxThreads,
      idleTimeout,
      resourceLimits: options.resourceLimits,
      env: options.env,
      argv: options.argv,
      execArgv: options.execArgv,
      workerData: options.workerData,
    };
    for (const key of Object.keys(given)) if (given[key] === undefined) delete given[key];
    this.#piscina = new Piscina({ filename, ...given });
    const threads = this.#piscina.maxThreads;
    const maxQueue =
      options.maxQueue === undefined
        ? threads ** 2
        : checkInteger("ThreadPool maxQueue", options.maxQueue, 0);
    this.#capacity = threads + maxQueue;
    this.#reject = options.whenFull === "reject";
    this.#module = pathToFileURL(filename).href;
  }

  /** The most threads the pool runs at once. */
  get maxThreads(): number {
    return this.#piscina.maxThreads;
  }

  /** Threads running now (busy or idle). */
  get threads(): number {
    return this.#piscina.threads.length;
  }

  /** Tasks submitted and not yet settled: running, queued in piscina, or handed over. */
  running(): number {
    return this.#inFlight;
  }

  /** Green threads waiting for room to submit a task. */
  waiting(): number {
    return this.#waiters.length;
  }

  /** Tasks completed by the pool's threads so far. */
  get completed(): number {
    return this.#piscina.completed;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `task` on a worker thread: the worker module's default export (or export `name`) is
   * called with the task (structured-cloned, or moved for the objects in `transferList`), and
   * its result — awaited if it is a promise — comes back. A green operation: see the module
   * comment for what kill and `Timeout` do to the task.
   *
   * @throws {ThreadPoolFull} with `whenFull: "reject"` when the pool is full.
   * @throws {ThreadPoolClosed} after `close()`.
   * @throws {TypeError} for malformed options.
   * @throws {unknown} what the task threw in the worker.
   * @example
   * ```ts
   * const pixels = new Uint8Array(1 << 20);
   * const histogram = await pool.run<number[]>(pixels, { name: "histogram", transferList: [pixels.buffer] });
   * ```
   */
  async run<R = unknown>(task: unknown, options: RunTaskOptions = {}): Promise<R> {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        `ThreadPool.run: options must be an object, received ${describeValue(options)}`,
      );
    }
    const name = options.name ?? "default";
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(
        `ThreadPool.run: name must be a non-empty string, received ${describeValue(options.name)}`,
      );
    }
    const transferList = options.transferList;
    if (transferList !== undefined && !Array.isArray(transferList)) {
      throw new TypeError(
        `ThreadPool.run: transferList must be an array, received ${describeValue(transferList)}`,
      );
    }
    return this.#submit<R>(task, { name, transferList: transferList as TransferListItem[] });
  }

  /**
   * Eventlet's `tpool.execute(fn, ...args)`: calls the worker module's export `name` with
   * `args` spread, on a worker thread. A function itself cannot cross to another thread, so it
   * is named by its export. The arguments are structured-cloned; use `run` with `transferList`
   * to move buffers.
   *
   * @throws {TypeError} when `name` is not a non-empty string — a function passed instead is
   *   refused with a message that says how to name it.
   * @throws {NoSuchExport} when the worker module has no exported function `name`.
   * @throws {ThreadPoolFull|ThreadPoolClosed} as `run`.
   * @example
   * ```ts
   * // math.js: export function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
   * const pool = new ThreadPool({ filename: new URL("./math.js", import.meta.url) });
   * console.log(await pool.execute<number>("fib", 30)); // 832040
   * ```
   */
  async execute<R = unknown>(name: string, ...args: unknown[]): Promise<R> {
    if (typeof name === "function") {
      throw new TypeError(
        `ThreadPool.execute: functions cannot cross to a worker thread; export ${describeValue(name)} from the pool's worker module and pass its name as a string`,
      );
    }
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(
        `ThreadPool.execute: name must be a non-empty string naming an export, received ${describeValue(name)}`,
      );
    }
    const reply = await this.#submit<{ value?: R; missing?: string }>(
      { module: this.#module, name, args },
      { name: "default", filename: EXECUTE_WORKER },
    );
    if (reply.missing !== undefined) throw new NoSuchExport(this.#module, name, reply.missing);
    return reply.value as R;
  }

  /**
   * Stops accepting tasks, fails the green threads still waiting for room with
   * `ThreadPoolClosed`, lets the tasks already submitted finish — for at most `graceMs`
   * (default: no limit) — and stops the threads. Tasks still running after `graceMs` fail (their
   * threads are terminated); `close({ graceMs: 0 })` aborts every task at once (their callers
   * get piscina's `AbortError`). The same options as every graceful `close()` in Tendril. A green operation;
   * interrupted, it aborts what is left.
   *
   * @throws {RangeError} for a `graceMs` that is not a number >= 0.
   * @example
   * ```ts
   * try { await serveForever(pool); } finally { await pool.close({ graceMs: 10_000 }); }
   * ```
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    const graceMs = options.graceMs ?? Number.POSITIVE_INFINITY;
    if (typeof graceMs !== "number" || !(graceMs >= 0)) {
      return Promise.reject(
        new RangeError(
          `ThreadPool.close: graceMs must be a number >= 0, received ${describeValue(options.graceMs)}`,
        ),
      );
    }
    if (!this.#closed) {
      this.#closed = true;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const waiter of waiters) waiter.reject(new ThreadPoolClosed("run a task"));
    }
    const piscina = this.#piscina;
    const abort = (): void => {
      void piscina.destroy();
    };
    if (graceMs === 0 || graceMs === Number.POSITIVE_INFINITY) {
      return green(piscina.close({ force: graceMs === 0 }), abort);
    }
    const closing = new Promise<void>((resolve, reject) => {
      // piscina's close() is one-shot (a forced close after a graceful one waits with it), so
      // the end of the grace destroys the pool: its threads are terminated, its tasks fail.
      const timer = getHub().schedule(graceMs, () => {
        piscina.destroy().then(resolve, reject);
      });
      piscina.close({ force: false }).then(
        () => {
          timer.cancel();
          resolve();
        },
        (error: unknown) => {
          timer.cancel();
          reject(error);
        },
      );
    });
    return green(closing, abort);
  }

  /** `await using pool = new ThreadPool(…)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #submit<R>(
    task: unknown,
    options: { name: string; transferList?: TransferListItem[]; filename?: string },
  ): Promise<R> {
    await this.#acquire();
    const controller = new AbortController();
    let result: Promise<R>;
    try {
      result = this.#piscina.run(task, {
        name: options.name,
        filename: options.filename,
        transferList: options.transferList,
        signal: controller.signal,
      }) as Promise<R>;
    } catch (error) {
      this.#release();
      throw error;
    }
    // Invariant: the room is given back when piscina settles the task — after an abort too,
    // when piscina has dropped it from its queue or terminated its thread.
    result.then(this.#release, this.#release);
    return green(result, (reason) => controller.abort(reason));
  }

  #acquire(): Promise<void> {
    if (this.#closed) return Promise.reject(new ThreadPoolClosed("run a task"));
    if (this.#inFlight < this.#capacity && this.#waiters.length === 0) {
      this.#inFlight++;
      return RESOLVED;
    }
    if (this.#reject) return Promise.reject(new ThreadPoolFull(this.#capacity));
    return suspend<void>((waiter) => {
      this.#waiters.push(waiter);
      return () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
      };
    });
  }

  // Hands the room straight to the first live waiter (it counts as in flight), else frees it.
  #release = (): void => {
    for (;;) {
      const next = this.#waiters.shift();
      if (next === undefined) break;
      if (next.resolve()) return;
    }
    this.#inFlight--;
  };
}

function toPath(filename: unknown): string {
  if (filename instanceof URL) {
    if (filename.protocol !== "file:") {
      throw new TypeError(
        `ThreadPool filename must be a file: URL or a path, received ${filename.href}`,
      );
    }
    return fileURLToPath(filename);
  }
  if (typeof filename === "string" && filename.length > 0) {
    return filename.startsWith("file:") ? fileURLToPath(filename) : filename;
  }
  throw new TypeError(
    `ThreadPool filename must be the worker module's path or file: URL, received ${describeValue(filename)}`,
  );
}
