/**
 * `@tendril/tpool`: Eventlet's `tpool` for Tendril — a pool of worker threads, on piscina, whose
 * `run` and `execute` are green operations (kill and `Timeout` cancel the task).
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "./node-version.js";

/** Errors: a full pool (with `whenFull: "reject"`), a closed one, an unknown task name. */
export { NoSuchExport, ThreadPoolClosed, ThreadPoolFull } from "./errors.js";
export type { TpoolErrorCode, TpoolErrorCodes } from "./error-codes.js";
/** The pool: run a worker module's exports on threads, as green operations. */
export {
  type RunTaskOptions,
  ThreadPool,
  type ThreadPoolOptions,
} from "./thread-pool.js";
