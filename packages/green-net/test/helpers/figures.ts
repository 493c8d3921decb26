// Figures a reliability test measured, written as JSON to `test/reliability/.results/<id>.json`
// (not committed) in the format apps/reliability's suite uses, so its scripts/report.mjs puts
// them on docs/pages/reliability.md with the other sections.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "reliability", ".results");

/** One check and what it measured. */
export interface Figure {
  check: string;
  values: Record<string, number | string | boolean>;
  passed: boolean;
}

/** Collects a section's figures; `write()` (in `afterAll`) saves the ones recorded so far. */
export class FigureSection {
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
