/**
 * Finds code that hogs the loop. Cooperative threads switch only at green operations, so one
 * thread that computes for 200 ms stalls every other (Eventlet's `hubs.debug_blocking`).
 *
 * How: while a detector is on, every boundary of a thread's run segment — start, resume
 * from a green operation, next green operation, end — is timed on the hub's clock. A segment
 * longer than the threshold is reported with the thread that ran it. Nothing is timed while
 * no detector is on, and no timer is armed, so it never keeps a process alive.
 *
 * @module
 */

import { checkMs, TendrilError } from "../errors.js";
import { report } from "../hub/report.js";
import { setBlockingProbe } from "../thread/probe.js";

/**
 * What the detector says of one blocked stretch.
 *
 * @example
 * ```ts
 * detectBlocking({
 *   onBlocked: (report: BlockingReport) =>
 *     console.warn(`${report.thread} (#${report.threadId}) held the loop ${report.blockedMs} ms`),
 * });
 * ```
 */
export interface BlockingReport {
  /** How long the thread ran without reaching a green operation, in ms. */
  readonly blockedMs: number;
  /** The name of the green thread that ran (`main` outside any spawned thread). */
  readonly thread: string;
  /** Its id. */
  readonly threadId: number;
}

/**
 * Options of `detectBlocking`.
 *
 * @example
 * ```ts
 * const options: DetectBlockingOptions = { thresholdMs: 50, onBlocked: (r) => console.warn(r) };
 * const stop = detectBlocking(options);
 * ```
 */
export interface DetectBlockingOptions {
  /** Report stretches longer than this. Default 100 ms. */
  thresholdMs?: number;
  /** Receives each report; by default a `TendrilError` goes to the error reporter. */
  onBlocked?: (report: BlockingReport) => void;
}

/**
 * Starts reporting every stretch in which one green thread ran for longer than `thresholdMs`
 * without reaching a green operation. Returns a function that stops it. One detector is
 * active at a time: starting a new one replaces the old.
 *
 * @throws {TypeError|RangeError} when `thresholdMs` is not a number >= 0.
 * @example
 * ```ts
 * const stop = detectBlocking({ thresholdMs: 50, onBlocked: (r) => console.warn(r) });
 * // … a thread computes for 80 ms before its next await sleep() → one report naming it
 * stop();
 * ```
 */
export function detectBlocking(options: DetectBlockingOptions = {}): () => void {
  const thresholdMs = checkMs("detectBlocking: thresholdMs", options.thresholdMs ?? 100);
  const onBlocked =
    options.onBlocked ??
    ((r: BlockingReport) =>
      report(
        new TendrilError(
          "ERR_TENDRIL_BLOCKING",
          `green thread ${r.thread} ran for ${Math.round(r.blockedMs)} ms without yielding (threshold ${thresholdMs} ms)`,
        ),
        "detectBlocking",
      ));
  const mine = {
    thresholdMs,
    onBlocked: (thread: { name: string; id: number }, ms: number) => {
      try {
        onBlocked({ blockedMs: ms, thread: thread.name, threadId: thread.id });
      } catch (error) {
        report(error, "detectBlocking's onBlocked");
      }
    },
  };
  const previous = setBlockingProbe(mine);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    setBlockingProbe(previous);
  };
}
