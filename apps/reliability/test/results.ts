// Figures recorded by the reliability tests, one JSON file per section under `.results/`;
// `scripts/report.mjs` turns them into docs/pages/reliability.md.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FigureSection } from "@tendril/test-servers";

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", ".results");

/** Collects a section's figures and writes them to `.results/` when the file's tests are done. */
export class Section extends FigureSection {
  constructor(id: string, title: string) {
    super(id, title, RESULTS_DIR);
  }
}

const SOCKET_RESOURCES = new Set([
  "TCPSocketWrap",
  "TCPServerWrap",
  "PipeWrap",
  "UDPWrap",
  "TLSWrap",
]);

/** Counts the open socket handles and pending timers of this process. */
export function handles(): { sockets: number; timers: number } {
  let sockets = 0;
  let timers = 0;
  for (const r of process.getActiveResourcesInfo()) {
    if (SOCKET_RESOURCES.has(r)) sockets++;
    else if (r === "Timeout") timers++;
  }
  return { sockets, timers };
}

/** Waits (bounded) until `done()` holds, letting closes and timers settle; returns whether it did. */
export async function settle(done: () => boolean, rounds = 200): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    if (done()) return true;
    await new Promise((r) => setImmediate(r));
    if (i > 20) await new Promise((r) => setTimeout(r, 5));
  }
  return done();
}
