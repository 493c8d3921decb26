// Figures recorded by the reliability tests, one JSON file per section under `.results/`;
// `scripts/report.mjs` turns them into docs/pages/reliability.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", ".results");

/** One check and what it measured. */
export interface Figure {
  check: string;
  /** Measured values, e.g. `{ inputsTried: 120, itemsLost: 0 }`. */
  values: Record<string, number | string | boolean>;
  passed: boolean;
}

/** Collects a section's figures and writes them when the file's tests are done. */
export class Section {
  readonly #figures: Figure[] = [];
  constructor(
    readonly id: string,
    readonly title: string,
  ) {}

  record(check: string, values: Figure["values"], passed = true): void {
    this.#figures.push({ check, values, passed });
  }

  write(): void {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const body = {
      id: this.id,
      title: this.title,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      date: new Date().toISOString(),
      // How busy the machine was: the figures of a shared machine are not an idle one's.
      loadAverage: loadavg()[0],
      cpus: availableParallelism(),
      figures: this.#figures,
    };
    writeFileSync(join(RESULTS_DIR, `${this.id}.json`), `${JSON.stringify(body, null, 2)}\n`);
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
