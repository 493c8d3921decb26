#!/usr/bin/env node
/**
 * `pnpm check-deps`: fails the build when the dependency arrow is broken.
 *
 * The arrow is core ← green-net ← patterns ← (apps/examples, apps/bench, docs). A workspace
 * package may depend only on packages to its left; apps and docs may depend on any package
 * but never on each other; packages never depend on apps or docs. Every dependency on a
 * workspace package is written `workspace:^`, so the published version range follows the
 * release.
 *
 * Source files are checked as well as manifests: a file may import a workspace package only
 * by name, only in the direction of the arrow, and only if its package.json declares it; and
 * no relative import may leave the file's own package (`../../core/src/x.js` is how layering
 * silently rots). Imports are read with TypeScript's own pre-processor, so comments, strings
 * and dynamic `import()` are handled as the compiler handles them.
 *
 * Trade-off: the layer table below is written out rather than inferred, so adding a package
 * means adding one line here — on purpose, since a new layer is a design decision.
 *
 * Usage: `node scripts/check-deps.mjs [workspace-root]` — exits 1 and lists every violation.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * The layers, lowest first. `rank` orders packages; `kind: "app"` marks the leaves (apps and
 * docs), which may use every package but no other leaf.
 */
export const LAYERS = {
  "@tendril/test-servers": { rank: -1, kind: "package" },
  "@tendril/core": { rank: 0, kind: "package" },
  "@tendril/green-net": { rank: 1, kind: "package" },
  "@tendril/tpool": { rank: 1, kind: "package" },
  "@tendril/patterns": { rank: 2, kind: "package" },
  "@tendril/examples": { rank: 3, kind: "app" },
  "@tendril/bench": { rank: 3, kind: "app" },
  "@tendril/docs": { rank: 3, kind: "app" },
};

/** Private helpers for tests: any package may use them, as devDependencies only. */
const TEST_ONLY = new Set(["@tendril/test-servers"]);

const DEP_FIELDS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"];
const SOURCE_EXT = /\.(?:[cm]?[jt]s|tsx|jsx)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", ".turbo", "coverage", ".git", ".bench-out"]);
const ARROW = "core ← green-net ← patterns ← apps/examples, apps/bench, docs";

/** Reads `pnpm-workspace.yaml`'s `packages:` globs (only the `dir/*` and `dir` forms). */
function workspaceGlobs(root) {
  const text = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");
  const globs = [];
  let inPackages = false;
  for (const line of text.split("\n")) {
    if (/^packages:\s*$/.test(line)) {
      inPackages = true;
      continue;
    }
    if (inPackages) {
      const m = /^\s+-\s+["']?([^"'#\s]+)["']?/.exec(line);
      if (m) globs.push(m[1]);
      else if (/^\S/.test(line)) inPackages = false;
    }
  }
  return globs;
}

/** Every workspace package: `{ name, dir, manifest }`. */
export function listWorkspacePackages(root) {
  const dirs = [];
  for (const glob of workspaceGlobs(root)) {
    if (glob.endsWith("/*")) {
      const parent = join(root, glob.slice(0, -2));
      let entries = [];
      try {
        entries = readdirSync(parent, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) if (e.isDirectory()) dirs.push(join(parent, e.name));
    } else if (!glob.includes("*")) {
      dirs.push(join(root, glob));
    } else {
      throw new Error(`check-deps: unsupported workspace glob ${JSON.stringify(glob)}`);
    }
  }
  const packages = [];
  for (const dir of dirs) {
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    } catch {
      continue; // a directory without package.json is not a package
    }
    packages.push({ name: manifest.name, dir, manifest });
  }
  return packages;
}

/** Why `from` may not depend on `to`, or `null` when the edge follows the arrow. */
function edgeError(from, to) {
  if (from === to) return null;
  const a = LAYERS[from];
  const b = LAYERS[to];
  if (b.kind === "app") return `${to} is an app; nothing may depend on it`;
  if (a.kind === "app") return null;
  if (b.rank >= a.rank) return `${from} sits below ${to} in the arrow ${ARROW}`;
  return null;
}

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(e.name)) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* walk(path);
    else if (e.isFile() && SOURCE_EXT.test(e.name) && !e.name.endsWith(".d.ts")) yield path;
  }
}

function isInside(path, dir) {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep) && rel !== "..");
}

/**
 * Checks the workspace at `root`. Returns `{ errors, packages, files }`: `errors` is a list of
 * human-readable violations (empty when all is well).
 */
export function checkWorkspace(root) {
  root = resolve(root);
  const errors = [];
  const packages = listWorkspacePackages(root);
  const byName = new Map(packages.map((p) => [p.name, p]));

  // 1. Manifests.
  for (const p of packages) {
    const where = relative(root, join(p.dir, "package.json"));
    if (!(p.name in LAYERS)) {
      errors.push(
        `${where}: workspace package ${JSON.stringify(p.name)} is not in the layer table of scripts/check-deps.mjs; add it there`,
      );
      continue;
    }
    for (const field of DEP_FIELDS) {
      for (const [dep, range] of Object.entries(p.manifest[field] ?? {})) {
        const isWorkspace = byName.has(dep) || String(range).startsWith("workspace:");
        if (!isWorkspace) continue;
        if (!byName.has(dep) || !(dep in LAYERS)) {
          errors.push(
            `${where}: ${field} names ${dep} (${range}), which is not a known workspace package`,
          );
          continue;
        }
        if (range !== "workspace:^") {
          errors.push(
            `${where}: ${field}.${dep} is ${JSON.stringify(range)}; workspace dependencies must be "workspace:^"`,
          );
        }
        if (TEST_ONLY.has(dep) && field !== "devDependencies") {
          errors.push(`${where}: ${field} names ${dep}, which is test-only; use devDependencies`);
        }
        const why = edgeError(p.name, dep);
        if (why !== null) errors.push(`${where}: ${p.name} may not depend on ${dep}: ${why}`);
      }
    }
  }

  // 2. Source files: relative imports stay inside their package; package imports follow the arrow.
  const owners = packages
    .filter((p) => p.name in LAYERS)
    .sort((a, b) => b.dir.length - a.dir.length); // deepest first
  const ownerOf = (file) => owners.find((p) => isInside(file, p.dir)) ?? null;
  let files = 0;
  for (const file of walk(root)) {
    files++;
    const owner = ownerOf(file);
    const where = relative(root, file);
    const text = readFileSync(file, "utf8");
    const info = ts.preProcessFile(text, true, true);
    const lineStarts = ts.computeLineStarts(text);
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      const line = ts.computeLineAndCharacterOfPosition(lineStarts, ref.pos).line + 1;
      if (spec.startsWith("./") || spec.startsWith("../") || spec === "." || spec === "..") {
        const target = resolve(dirname(file), spec);
        if (owner !== null && !isInside(target, owner.dir)) {
          errors.push(
            `${where}:${line}: relative import ${JSON.stringify(spec)} leaves ${owner.name}; import other packages by name (e.g. "@tendril/core")`,
          );
        } else if (owner === null) {
          const into = owners.find((p) => isInside(target, p.dir));
          if (into) {
            errors.push(
              `${where}:${line}: relative import ${JSON.stringify(spec)} reaches into ${into.name}; import it by name`,
            );
          }
        }
        continue;
      }
      const m = /^(@tendril\/[^/]+)(\/.*)?$/.exec(spec);
      if (!m || owner === null) continue;
      const dep = m[1];
      if (!byName.has(dep) || !(dep in LAYERS)) {
        errors.push(
          `${where}:${line}: imports ${JSON.stringify(spec)}, which is not a workspace package`,
        );
        continue;
      }
      const why = edgeError(owner.name, dep);
      if (why !== null) {
        errors.push(`${where}:${line}: ${owner.name} may not import ${dep}: ${why}`);
        continue;
      }
      if (dep !== owner.name && !DEP_FIELDS.some((f) => owner.manifest[f]?.[dep] !== undefined)) {
        errors.push(
          `${where}:${line}: imports ${dep}, which ${relative(root, join(owner.dir, "package.json"))} does not declare`,
        );
      }
    }
  }
  return { errors, packages: packages.length, files };
}

const isMain =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  if (!statSync(join(root, "pnpm-workspace.yaml"), { throwIfNoEntry: false })) {
    console.error(`check-deps: ${root} has no pnpm-workspace.yaml`);
    process.exit(2);
  }
  const { errors, packages, files } = checkWorkspace(root);
  if (errors.length > 0) {
    console.error(`check-deps: ${errors.length} violation(s) of the arrow ${ARROW}:`);
    for (const e of errors) console.error(`  ✗ ${e}`);
    process.exit(1);
  }
  console.log(`check-deps: ok — ${packages} packages, ${files} source files follow ${ARROW}`);
}
