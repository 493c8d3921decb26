#!/usr/bin/env node
/**
 * `pnpm size`: what each published entry point costs a user, against the budgets in
 * `scripts/size-budget.json`. Runs after `pnpm build`; CI fails when an entry is over budget.
 *
 * For every entry of every public package's `exports` map it measures
 * - **bundle**: the entry's `dist` JavaScript bundled with esbuild — with the Tendril packages
 *   and third-party dependencies it imports, without Node's built-ins and without optional
 *   peer dependencies (the user installs those only for the subpath that needs them) — and
 *   minified; bytes minified and gzipped (`bundleBytes`, `gzipBytes`);
 * - **import**: a fresh Node.js process importing the entry, the median over several runs of
 *   the time the `import()` took (`importMs`) and how much the resident set grew
 *   (`rssBytes`).
 *
 * Trade-off: the budgets are ceilings with headroom, not the measured numbers: the time and
 * memory of a process vary between machines and with load (CI shares its machine), so a
 * budget catches what an eager heavy import or a bundled dependency adds — tens of
 * milliseconds, hundreds of kilobytes — not a few percent. A budget is raised by editing the
 * JSON in the same change as the cause, where review sees both.
 *
 * Usage: `node scripts/size-budget.mjs [--json]` — exits 1 when an entry is over a budget, or
 * has none.
 */

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { entriesOf, publicPackages } from "./entries.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = 3;

/** The entry bundled and minified: its size in bytes, raw and gzipped. */
async function bundleSize(file, peers) {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "node20",
    write: false,
    logLevel: "silent",
    external: [...builtinModules, ...builtinModules.map((m) => `node:${m}`), ...peers],
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { bundleBytes: code.byteLength, gzipBytes: gzipSync(code).byteLength };
}

const PROBE = `
const before = process.memoryUsage().rss;
const start = performance.now();
await import(process.argv[1]);
const ms = performance.now() - start;
console.log(JSON.stringify({ ms, rss: process.memoryUsage().rss - before }));
`;

/** A fresh process imports `file`: the median import time and resident-set growth of RUNS. */
function importCost(file) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const child = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", PROBE, pathToFileURL(file).href],
      { encoding: "utf8" },
    );
    if (child.status !== 0) throw new Error(`importing ${file} failed:\n${child.stderr}`);
    samples.push(JSON.parse(child.stdout.trim().split("\n").pop()));
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return {
    importMs: Math.round(median(samples.map((s) => s.ms)) * 10) / 10,
    rssBytes: median(samples.map((s) => s.rss)),
  };
}

const LIMITS = ["bundleBytes", "gzipBytes", "importMs", "rssBytes"];

function format(key, value) {
  if (key === "importMs") return `${value} ms`;
  return `${(value / 1024).toFixed(1)} KiB`;
}

async function main() {
  const asJson = process.argv.includes("--json");
  const budgets = JSON.parse(readFileSync(join(root, "scripts", "size-budget.json"), "utf8"));
  const rows = [];
  const problems = [];
  for (const { dir, pkg } of publicPackages(root)) {
    const peers = Object.keys(pkg.peerDependencies ?? {});
    for (const entry of entriesOf(pkg)) {
      const id = entry.key === "." ? pkg.name : `${pkg.name}/${entry.key.slice(2)}`;
      const file = join(dir, entry.js);
      if (!existsSync(file)) {
        problems.push(`${id}: ${entry.js} is missing; run pnpm build`);
        continue;
      }
      const measured = { ...(await bundleSize(file, peers)), ...importCost(file) };
      rows.push({ id, ...measured });
      const budget = budgets.entries?.[id];
      if (budget === undefined) {
        problems.push(`${id}: no budget in scripts/size-budget.json`);
        continue;
      }
      for (const key of LIMITS) {
        if (typeof budget[key] !== "number") {
          problems.push(`${id}: no ${key} budget`);
        } else if (measured[key] > budget[key]) {
          problems.push(
            `${id}: ${key} ${format(key, measured[key])} is over its budget of ${format(key, budget[key])}`,
          );
        }
      }
    }
  }
  if (asJson) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    const header = ["entry", "min", "gzip", "import", "rss"];
    const table = rows.map((r) => [
      r.id,
      format("bundleBytes", r.bundleBytes),
      format("gzipBytes", r.gzipBytes),
      format("importMs", r.importMs),
      format("rssBytes", r.rssBytes),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
    const line = (cells) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
    console.log(`${line(header)}\n${table.map(line).join("\n")}`);
    console.log(`(import: median of ${RUNS} fresh processes on Node ${process.versions.node})`);
  }
  if (problems.length > 0) {
    console.error(`\n${problems.join("\n")}`);
    console.error(
      "\nsize: over budget. Find the cause (an eager import, a bundled dependency) or, if the " +
        "cost is worth it, raise the budget in scripts/size-budget.json in the same change.",
    );
    process.exit(1);
  }
}

await main();
