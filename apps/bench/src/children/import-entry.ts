/**
 * One row of the import suite: imports one entry point and reports what it cost — the time
 * from process start to the import's end, the import alone, and the RSS afterwards.
 * "raw" imports only what raw Node's socket code needs (node:net), the floor.
 *
 * usage: node import-entry.js <raw|module specifier>
 */

import { emit } from "../harness.js";

const [entry = "raw"] = process.argv.slice(2);
const t0 = performance.now();
await import(entry === "raw" ? "node:net" : entry);
const importMs = performance.now() - t0;
emit({
  entry,
  importMs,
  // performance.now() counts from the process's time origin: start-up plus the import.
  startupMs: performance.now(),
  rssMb: process.memoryUsage().rss / 1048576,
});
