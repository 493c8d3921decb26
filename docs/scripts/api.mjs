#!/usr/bin/env node
/**
 * Generates the API reference from the TSDoc comments, and checks them.
 *
 * The entry list is data: every public package under `packages/` and every subpath of its
 * `exports` map (through the `source` condition) becomes one section of the reference, named
 * as users import it (`@tendril/core`, `@tendril/core/testing`, …). A package or subpath added
 * later appears without editing the docs.
 *
 * TypeDoc converts all entries in one program (one type-check, a few seconds), and
 * typedoc-plugin-markdown with typedoc-vitepress-theme writes the pages into `pages/api/` with
 * a sidebar file the VitePress config reads. The same pass checks that every exported symbol
 * has a summary and an `@example`, as the style guide asks; `node scripts/api.mjs --check`
 * checks without writing.
 *
 * Trade-off: TypeDoc's own `validation.notDocumented` only warns and knows nothing of
 * `@example`, so the check walks TypeDoc's reflections itself (a few dozen lines) and fails.
 */

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const docsDir = resolve(here, "..");
export const repoRoot = resolve(docsDir, "..");

/**
 * The documented entry points: `[{ name, pkg, subpath, source }]`, one per `exports` subpath
 * with a `source` condition of every non-private package in `packagesDir`.
 */
export function apiEntries(packagesDir = join(repoRoot, "packages")) {
  const entries = [];
  for (const dir of readdirSync(packagesDir).sort()) {
    const file = join(packagesDir, dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8"));
    if (pkg.private === true || pkg.exports === undefined) continue;
    const exportsMap =
      typeof pkg.exports === "string" || pkg.exports["."] === undefined
        ? { ".": pkg.exports }
        : pkg.exports;
    for (const [subpath, target] of Object.entries(exportsMap)) {
      if (subpath.endsWith(".json") || typeof target !== "object" || target === null) continue;
      const source = target.source;
      if (typeof source !== "string") continue;
      entries.push({
        name: subpath === "." ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, "")}`,
        pkg: pkg.name,
        subpath,
        source: resolve(packagesDir, dir, source),
      });
    }
  }
  return entries;
}

/**
 * The comments that document `reflection`: a function's or method's are on its signatures, a
 * class's, interface's, type's or variable's on the reflection itself. (TypeDoc can also put a
 * comment on a function's own reflection — the group comment above an `export { … }` line in an
 * index — so both are read.)
 */
function commentsOf(reflection) {
  const out = [];
  for (const sig of reflection.signatures ?? []) if (sig.comment) out.push(sig.comment);
  if (reflection.getSignature?.comment) out.push(reflection.getSignature.comment);
  if (reflection.comment) out.push(reflection.comment);
  return out;
}

/** TypeDoc's module kind (`ReflectionKind.Module`). */
const MODULE_KIND = 2;

/** The modules of a project; the project itself when it was converted from a single entry. */
function modulesOf(project) {
  const children = project.children ?? [];
  const split = children.length > 0 && children.every((c) => c.kind === MODULE_KIND);
  return split ? children : [project];
}

/**
 * The TSDoc problems of a converted project: `["@tendril/core: Foo has no @example", …]` for
 * every top-level export without a summary or without an `@example` block.
 */
export function tsdocProblems(project) {
  const problems = [];
  for (const mod of modulesOf(project)) {
    for (const child of mod.children ?? []) {
      // A re-export of a symbol documented elsewhere is judged where it is declared.
      const target = child.isReference?.() ? child.tryGetTargetReflectionDeep() : child;
      if (target === undefined) continue;
      const comments = commentsOf(target);
      const where = `${mod.name}: ${child.name}`;
      const hasSummary = comments.some(
        (c) =>
          c.summary
            .map((part) => part.text)
            .join("")
            .trim() !== "",
      );
      if (!hasSummary) problems.push(`${where} has no summary`);
      if (!comments.some((c) => c.blockTags.some((tag) => tag.tag === "@example")))
        problems.push(`${where} has no @example`);
    }
  }
  return problems;
}

/**
 * Converts every entry with TypeDoc; writes the markdown reference into `outDir` unless
 * `write` is false. Returns `{ entries, problems, modules }`.
 */
export async function generateApi({
  outDir = join(docsDir, "pages", "api"),
  write = true,
  entries = apiEntries(),
  tsconfigDir = docsDir,
} = {}) {
  const { Application } = await import("typedoc");
  const tsconfig = join(tsconfigDir, "tsconfig.typedoc.json");
  writeFileSync(
    tsconfig,
    `${JSON.stringify(
      {
        "//": "Written by docs/scripts/api.mjs: the program TypeDoc reads the API from.",
        extends: relative(tsconfigDir, join(repoRoot, "tsconfig.base.json")),
        compilerOptions: { noEmit: true },
        files: entries.map((e) => relative(tsconfigDir, e.source)),
      },
      null,
      2,
    )}\n`,
  );
  const app = await Application.bootstrapWithPlugins({
    entryPoints: entries.map((e) => e.source),
    tsconfig,
    plugin: ["typedoc-plugin-markdown", "typedoc-vitepress-theme"],
    out: outDir,
    docsRoot: join(docsDir, "pages"),
    readme: "none",
    entryFileName: "index",
    // Classes get a page each; functions, interfaces and types are sections of their module's
    // page. A reference of ~60 pages instead of ~180 keeps the build and the browser test fast,
    // and a module page reads as one overview.
    membersWithOwnFile: ["Class"],
    excludePrivate: true,
    excludeInternal: true,
    excludeExternals: true,
    disableSources: true,
    hideBreadcrumbs: true,
    hidePageHeader: true,
    useCodeBlocks: true,
    parametersFormat: "table",
    sort: ["kind", "alphabetical"],
    logLevel: "Warn",
    skipErrorChecking: true,
    name: "API reference",
    sidebar: { autoConfiguration: true, format: "vitepress", pretty: true, collapsed: true },
  });
  const project = await app.convert();
  if (project === undefined) throw new Error("api: TypeDoc could not convert the packages");
  // TypeDoc names a module after its path; name it as users import it.
  const modules = [];
  if (modulesOf(project)[0] === project) {
    project.name = entries[0]?.name ?? project.name;
    modules.push(project.name);
  } else
    for (const mod of project.children ?? []) {
      const file = mod.sources?.[0]?.fullFileName;
      const entry =
        entries.find((e) => file !== undefined && resolve(file) === e.source) ??
        entries.find((e) => {
          const rel = relative(repoRoot, e.source).replace(/\.ts$/, "");
          return rel === mod.name || rel.replace(/\/index$/, "").endsWith(mod.name);
        });
      if (entry === undefined) throw new Error(`api: no entry for TypeDoc module ${mod.name}`);
      mod.name = entry.name;
      modules.push(entry.name);
    }
  const problems = tsdocProblems(project);
  if (write) {
    rmSync(outDir, { recursive: true, force: true });
    await app.generateOutputs(project);
  }
  return { entries, problems, modules };
}

const isMain =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const check = process.argv.includes("--check");
  const started = performance.now();
  const { entries, problems } = await generateApi({ write: !check });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (problems.length > 0) {
    console.error(
      `api: ${problems.length} exported symbol(s) lack TSDoc (every export needs a summary and an @example):\n  - ${problems.join("\n  - ")}`,
    );
    process.exit(1);
  }
  console.log(
    `api: ${entries.length} entry points (${entries.map((e) => e.name).join(", ")}) documented${check ? "" : " into pages/api"} in ${seconds} s`,
  );
}
