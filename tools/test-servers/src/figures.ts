// Figures a reliability test measured, one JSON file per section in a `.results/` directory
// (not committed); apps/reliability's scripts/report.mjs turns them into
// docs/pages/reliability.md. Used by apps/reliability and by green-net's HTTP-server suite.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";

/** One check and what it measured. */
export interface Figure {
  check: string;
  /** Measured values, e.g. `{ inputsTried: 120, itemsLost: 0 }`. */
  values: Record<string, number | string | boolean>;
  passed: boolean;
}

/** Collects a section's figures; `write()` (in `afterAll`) saves the ones recorded so far. */
export class FigureSection {
  readonly #figures: Figure[] = [];
  constructor(
    readonly id: string,
    readonly title: string,
    /** The `.results` directory the section's JSON file goes to. */
    readonly resultsDir: string,
  ) {}

  record(check: string, values: Figure["values"], passed = true): void {
    this.#figures.push({ check, values, passed });
  }

  write(): void {
    mkdirSync(this.resultsDir, { recursive: true });
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
    writeFileSync(join(this.resultsDir, `${this.id}.json`), `${JSON.stringify(body, null, 2)}\n`);
  }
}
