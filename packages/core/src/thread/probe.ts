/**
 * The blocking probe behind `detectBlocking`: when installed, every boundary of a thread's run
 * segment (start, resume, suspend, end) is timed, and a segment longer than the threshold is
 * reported with the thread that ran it. Not installed, it costs one comparison per boundary.
 *
 * @module
 */

import { getHub } from "../hub/hub.js";
import type { GreenThread } from "./green-thread.js";

/** @internal */
export type BlockingProbe = {
  thresholdMs: number;
  onBlocked: (thread: GreenThread<unknown>, ms: number) => void;
};
/** @internal The installed probe, or `null` (read it; install with `setBlockingProbe`). */
export let probe: BlockingProbe | null = null;
let segmentStart = 0;

/** @internal Ends the running segment, reporting it when it ran too long. */
export function endSegment(thread: GreenThread<unknown>): void {
  const p = probe as BlockingProbe;
  const now = getHub().now();
  const ms = now - segmentStart;
  segmentStart = now;
  if (ms > p.thresholdMs) p.onBlocked(thread, ms);
}

/** @internal Installs (or with `null` removes) the blocking probe. Returns the previous one. */
export function setBlockingProbe(next: BlockingProbe | null): BlockingProbe | null {
  const previous = probe;
  probe = next;
  segmentStart = getHub().now();
  return previous;
}

/** @internal Starts a new segment now (a thread resumes or starts). */
export function startSegment(): void {
  segmentStart = getHub().now();
}
