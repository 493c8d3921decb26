/**
 * Builds the Changelog page from the changesets. Released versions come from each package's
 * `CHANGELOG.md` (written by `changeset version`); what is merged but not released yet comes
 * from the pending `.changeset/*.md` files, grouped by package with the bump each one asks for.
 * So the page never needs editing: writing the changeset is writing the changelog.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Parses one changeset file: `{ bumps: { "@tendril/core": "minor" }, summary }`. Returns null
 * for a file without front matter (such as the folder's README).
 */
export function parseChangeset(text) {
  const m = /^---\n([\s\S]*?)\n---\n?([\s\S]*)$/.exec(text.replace(/\r\n/g, "\n"));
  if (m === null) return null;
  const bumps = {};
  for (const line of (m[1] ?? "").split("\n")) {
    const b = /^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line);
    if (b) bumps[b[1] ?? ""] = b[2] ?? "";
  }
  return { bumps, summary: (m[2] ?? "").trim() };
}

const ORDER = { major: 0, minor: 1, patch: 2 };

/** The Changelog page for the repository at `root`. */
export function changelogPage(root) {
  const dir = join(root, ".changeset");
  const pending = new Map();
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".md")) : [];
  for (const file of files.sort()) {
    const cs = parseChangeset(readFileSync(join(dir, file), "utf8"));
    if (cs === null) continue;
    for (const [pkg, bump] of Object.entries(cs.bumps)) {
      const list = pending.get(pkg) ?? [];
      list.push({ bump, summary: cs.summary, file });
      pending.set(pkg, list);
    }
  }
  const out = [
    "# Changelog",
    "",
    "What changed in each package, for users. This page is generated from the",
    "[changesets](https://github.com/changesets/changesets) in the repository: every change to a",
    "package comes with one, written for the people who use it.",
    "",
  ];
  out.push("## Unreleased", "");
  if (pending.size === 0) out.push("Nothing is waiting for a release.", "");
  for (const pkg of [...pending.keys()].sort()) {
    out.push(`### ${pkg}`, "");
    const list = (pending.get(pkg) ?? []).sort(
      (a, b) => (ORDER[a.bump] ?? 3) - (ORDER[b.bump] ?? 3) || a.file.localeCompare(b.file),
    );
    for (const { bump, summary } of list) {
      const text = summary.replace(/\n(?!\n)/g, "\n  ");
      out.push(`- **${bump}**: ${text}`);
    }
    out.push("");
  }
  const packagesDir = join(root, "packages");
  for (const pkgDir of existsSync(packagesDir) ? readdirSync(packagesDir).sort() : []) {
    const file = join(packagesDir, pkgDir, "CHANGELOG.md");
    if (!existsSync(file)) continue;
    // Demote the file's headings by one level so they nest under this page's title.
    const text = readFileSync(file, "utf8").replace(/^(#+) /gm, "#$1 ");
    out.push(text.trim(), "");
  }
  return out.join("\n");
}
