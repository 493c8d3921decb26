/**
 * The published entry points of the workspace's packages, read from their `exports` maps:
 * what `api-report.mjs` and `size-budget.mjs` go over.
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The report's base name for an `exports` key: `.` → `index`, `./http-server` → `http-server`. */
export function reportName(exportKey) {
  if (exportKey === ".") return "index";
  return exportKey.replace(/^\.\//, "").replaceAll("/", "-");
}

/**
 * The published entries of a package: `{ key, name, types, js }` for each `exports` key
 * (except `./package.json`) that has types.
 */
export function entriesOf(pkg) {
  const exportsMap = pkg.publishConfig?.exports ?? pkg.exports ?? {};
  const entries = [];
  for (const [key, target] of Object.entries(exportsMap)) {
    if (key === "./package.json") continue;
    if (typeof target !== "object" || target === null) continue;
    if (typeof target.types !== "string") continue;
    entries.push({ key, name: reportName(key), types: target.types, js: target.default });
  }
  return entries;
}

/** The public (not private) packages under `packages/`: `{ dir, pkg }`, sorted by folder. */
export function publicPackages(root) {
  const out = [];
  for (const dirName of readdirSync(join(root, "packages")).sort()) {
    const dir = join(root, "packages", dirName);
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, "utf8"));
    if (!pkg.private) out.push({ dir, dirName, pkg });
  }
  return out;
}
