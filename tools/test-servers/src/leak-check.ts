/**
 * `@tendril/test-servers/leak-check`: a per-file leak check for vitest setup files. A test file
 * that leaves sockets, servers, child processes, worker threads, ref'd timers or live green
 * threads behind fails, naming what it left.
 *
 * @module
 */

import { afterAll, beforeAll } from "vitest";

/** Options of {@link checkLeaksPerFile}. */
export interface LeakCheckOptions {
  /** How many green threads are alive (`countThreads` of `@tendril/core`). */
  countThreads?: () => number;
  /** A listing of the live green threads for the failure message (`formatThreads`). */
  formatThreads?: () => string;
  /** How long the file may take to finish closing what it closed, in milliseconds. Default 2000. */
  graceMs?: number;
}

/**
 * The kinds of `process.getActiveResourcesInfo()` that a finished test file must not hold more
 * of than it found: handles that keep the process alive or hold a descriptor. Pending
 * filesystem requests and immediates are transient and not counted.
 */
const WATCHED = new Set([
  "Timeout",
  "TCPSocketWrap",
  "TCPServerWrap",
  "TCPWrap",
  "TLSWrap",
  "PipeWrap",
  "PipeServerWrap",
  "PipeConnectWrap",
  "TCPConnectWrap",
  "UDPWrap",
  "ProcessWrap",
  "SignalWrap",
  "FSEventWrap",
  "StatWatcher",
  "Worker",
  "MessagePort",
  "GetAddrInfoReqWrap",
  "QueryReqWrap",
]);

function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (WATCHED.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

function excess(before: Map<string, number>, now: Map<string, number>): string[] {
  const extra: string[] = [];
  for (const [kind, n] of now) {
    const more = n - (before.get(kind) ?? 0);
    if (more > 0) extra.push(`${more} ${kind}`);
  }
  return extra;
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Registers a `beforeAll` that records the handles and green threads alive before the file's
 * tests, and an `afterAll` (which runs after the file's own) that waits up to `graceMs` for
 * them to come back to that level and otherwise throws, failing the file. Call it from a
 * vitest setup file, once per test file.
 *
 * @example
 * ```ts
 * // test/setup.ts, listed in vitest.config.ts `setupFiles`
 * import { countThreads, formatThreads } from "@tendril/core";
 * import { checkLeaksPerFile } from "@tendril/test-servers/leak-check";
 *
 * checkLeaksPerFile({ countThreads, formatThreads });
 * ```
 */
export function checkLeaksPerFile(options: LeakCheckOptions = {}): void {
  const threads = options.countThreads ?? (() => 0);
  const graceMs = options.graceMs ?? 2000;
  let before = new Map<string, number>();
  let threadsBefore = 0;
  beforeAll(() => {
    before = resources();
    threadsBefore = threads();
  });
  afterAll(async () => {
    const deadline = performance.now() + graceMs;
    for (let turn = 0; ; turn++) {
      const extra = excess(before, resources());
      const liveThreads = threads() - threadsBefore;
      if (extra.length === 0 && liveThreads <= 0) return;
      if (performance.now() > deadline) {
        const parts = [...extra];
        if (liveThreads > 0) parts.push(`${liveThreads} green thread(s)`);
        const listing =
          liveThreads > 0 && options.formatThreads ? `\n${options.formatThreads()}` : "";
        throw new Error(`this test file left behind: ${parts.join(", ")}${listing}`);
      }
      if (turn < 20) await macrotask();
      else await new Promise((resolve) => setTimeout(resolve, 5).unref());
    }
  });
}
