#!/usr/bin/env node
/**
 * Writes what the site generates from the repository, before VitePress builds or serves it:
 * the API reference (from the TSDoc comments, scripts/api.mjs), the Benchmarks page (from
 * apps/bench/RESULTS.md) and the Changelog (from the changesets); and checks every sample the
 * guides include from apps/examples. Any problem stops the build with one message listing all.
 *
 * Usage: `node scripts/prepare.mjs` (what `pnpm docs:build` and `pnpm docs:dev` run first).
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { docsDir, generateApi, repoRoot } from "./api.mjs";
import { benchmarksPage } from "./bench.mjs";
import { changelogPage } from "./changelog.mjs";
import { checkSnippets } from "./snippets.mjs";

/** Runs every generator and check; returns `{ problems, summary }`. */
export async function prepare({ pagesDir = join(docsDir, "pages") } = {}) {
  const problems = [];
  const started = performance.now();
  const { errors: snippetErrors, snippets } = checkSnippets(pagesDir);
  problems.push(...snippetErrors);
  writeFileSync(
    join(pagesDir, "benchmarks.md"),
    benchmarksPage(readFileSync(join(repoRoot, "apps", "bench", "RESULTS.md"), "utf8")),
  );
  writeFileSync(join(pagesDir, "changelog.md"), changelogPage(repoRoot));
  const api = await generateApi({ outDir: join(pagesDir, "api") });
  // Every export needs a summary and an @example: a gap fails the build, naming the symbol.
  problems.push(...api.problems);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return {
    problems,
    summary: `docs: ${snippets.length} samples from apps/examples checked; API reference for ${api.modules.join(", ")}; benchmarks and changelog pages written (${seconds} s)`,
  };
}

const isMain =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const { problems, summary } = await prepare();
  if (problems.length > 0) {
    console.error(
      `docs: ${problems.length} problem(s):\n  - ${problems.join("\n  - ")}\n\nEvery export needs a TSDoc summary and an @example; every <<< sample a file and region that exist.`,
    );
    process.exit(1);
  }
  console.log(summary);
}
