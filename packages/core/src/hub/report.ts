/**
 * Where errors go that nobody can wait for. Kept apart from the hub so that every hub
 * implementation can reach it without an import cycle. One channel: core reports through the
 * installed hub's `reportError` (a `VirtualHub` records what it receives), and the hubs pass
 * errors on to the reporter set with `setErrorReporter`.
 *
 * @module
 */

/** Receives errors that nobody else can receive. See {@link setErrorReporter}. */
export type ErrorReporter = (error: unknown, source?: string) => void;

const defaultReporter: ErrorReporter = (error, source) => {
  const where = source ? ` in ${source}` : "";
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  process.stderr.write(`Unhandled error${where}: ${text}\n`);
};

let reporter: ErrorReporter = defaultReporter;

/**
 * Replaces the function that receives errors nobody can wait for — the failure of a
 * `spawnN` thread, a failing link, a `spawn`ed thread that failed and was never waited for.
 * The default writes the stack to stderr (as Eventlet prints a traceback) and the process
 * keeps running. Pass `null` to restore the default. Returns the previous reporter.
 *
 * @example
 * ```ts
 * const errors: unknown[] = [];
 * const previous = setErrorReporter((error) => errors.push(error));
 * spawnN(() => { throw new Error("boom"); });
 * await sleep(0);
 * setErrorReporter(previous);
 * ```
 */
export function setErrorReporter(fn: ErrorReporter | null): ErrorReporter {
  const previous = reporter;
  reporter = fn ?? defaultReporter;
  return previous;
}

/** Where `report` sends errors: the installed hub, once one other than the default is set. */
interface ErrorSink {
  reportError(error: unknown, source?: string): void;
}
let sink: ErrorSink | null = null;

/** @internal `setHub` calls it so that every report goes through the hub's `reportError`. */
export function routeReportsTo(hub: ErrorSink | null): void {
  sink = hub;
}

/**
 * @internal Core's one error channel: hands `error` to the current hub's `reportError` (so a
 * `VirtualHub` records it), which passes it on to the reporter (`deliverReport`).
 */
export function report(error: unknown, source?: string): void {
  if (sink === null) {
    deliverReport(error, source);
    return;
  }
  try {
    sink.reportError(error, source);
  } catch (inner) {
    defaultReporter(inner, "the hub's reportError");
    defaultReporter(error, source);
  }
}

/** Delivers `error` to the current reporter; a reporter that throws is itself printed. @internal */
export function deliverReport(error: unknown, source?: string): void {
  try {
    reporter(error, source);
  } catch (inner) {
    defaultReporter(inner, "the error reporter");
    defaultReporter(error, source);
  }
}
