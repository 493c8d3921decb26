#!/usr/bin/env node
/**
 * `pnpm release:dry-run`: the whole release, minus the upload. CI runs it so that the day
 * someone types `pnpm release`, the flow is known to work.
 *
 * 1. `changeset status` (when the base branch is known to git): fails when a published package
 *    changed on this branch without a changeset.
 * 2. Builds the public packages, copies the workspace (the files git tracks or would track, plus
 *    the packages' `dist`) into a temporary directory, and runs `changeset version` there: the
 *    real version bumps and CHANGELOG entries, printed, while this checkout stays untouched.
 * 3. Runs `pnpm publish --dry-run` for the public packages in that copy — what `changeset publish`
 *    would hand to the registry, with nothing sent — and checks the packed manifests: every
 *    `workspace:^` range between Tendril packages has become `^<the new version>`.
 *
 * Trade-off: step 2 copies the repository (a few hundred files) rather than versioning in
 * place and restoring with git, so an interrupted run can never leave bumped versions behind.
 *
 * Usage: `node scripts/release-dry-run.mjs [--keep]`
 */

import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const keep = process.argv.includes("--keep");

// Under `pnpm release:dry-run`, pnpm may not be on PATH (e.g. when run through `npx pnpm`).
const execPath = process.env.npm_execpath ?? "";
const pnpm = /pnpm/.test(execPath) ? [process.execPath, execPath] : ["pnpm"];
const changeset = [process.execPath, join(root, "node_modules/@changesets/cli/bin.js")];

function section(title) {
  console.log(`\n── release:dry-run: ${title}`);
}

function run([cmd, ...pre], args, options = {}) {
  const shown = [cmd === process.execPath ? "node" : cmd, ...pre, ...args].join(" ");
  console.log(`$ ${shown}`);
  try {
    return execFileSync(cmd, [...pre, ...args], {
      stdio: options.capture ? ["ignore", "pipe", "inherit"] : "inherit",
      encoding: "utf8",
      ...options,
    });
  } catch (error) {
    throw new Error(`release:dry-run: \`${shown}\` failed (exit ${error.status ?? error.signal})`);
  }
}

const git = (args) => execFileSync("git", args, { cwd: root, encoding: "utf8" });

/** The public (published) packages of the workspace: `{ name, version, dir }`. */
function publicPackages(base) {
  const dir = join(base, "packages");
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((d) => existsSync(join(d, "package.json")))
    .map((d) => ({ dir: d, manifest: JSON.parse(readFileSync(join(d, "package.json"), "utf8")) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir: d, manifest }) => ({ name: manifest.name, version: manifest.version, dir: d }));
}

const work = mkdtempSync(join(tmpdir(), "tendril-release-"));
let failed = false;
try {
  const config = JSON.parse(readFileSync(join(root, ".changeset/config.json"), "utf8"));
  const pending = readdirSync(join(root, ".changeset")).filter(
    (f) => f.endsWith(".md") && f !== "README.md",
  );

  // 1. Every changed package has a changeset.
  section("changeset status");
  const base = [config.baseBranch, `origin/${config.baseBranch}`].find((ref) => {
    try {
      git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  });
  if (base === undefined) {
    console.log(
      `no ${config.baseBranch} branch in this clone: skipping the check that changed packages have changesets`,
    );
  } else {
    run(changeset, ["status", `--since=${base}`], { cwd: root });
  }

  // 2. Version a copy of the workspace.
  section(`changeset version, in a copy (${pending.length} pending changesets)`);
  const before = publicPackages(root);
  const filters = before.flatMap((p) => ["--filter", `./${relative(root, p.dir)}`]);
  run(pnpm, [...filters, "run", "build"], { cwd: root });
  const copy = join(work, "repo");
  const files = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    .split("\0")
    .filter((f) => f !== "" && existsSync(join(root, f)));
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file));
  }
  for (const p of before) {
    cpSync(join(p.dir, "dist"), join(copy, relative(root, p.dir), "dist"), { recursive: true });
  }
  // The copy needs its own install: the changelog generator named in .changeset/config.json is
  // resolved from its root, and publishing resolves `workspace:` ranges through node_modules.
  // Offline and from the lockfile: every package is in the store since this checkout's install.
  run(
    pnpm,
    ["install", "--offline", "--frozen-lockfile", "--ignore-scripts", "--filter", ".", ...filters],
    { cwd: copy },
  );
  run([process.execPath, join(copy, "node_modules/@changesets/cli/bin.js")], ["version"], {
    cwd: copy,
  });

  const after = new Map(publicPackages(copy).map((p) => [p.name, p]));
  const left = readdirSync(join(copy, ".changeset")).filter(
    (f) => f.endsWith(".md") && f !== "README.md",
  );
  if (left.length > 0) {
    throw new Error(`release:dry-run: changeset version left ${left.join(", ")} unconsumed`);
  }
  console.log("\nthe next release:");
  for (const p of before) {
    const next = after.get(p.name);
    if (next === undefined) throw new Error(`release:dry-run: ${p.name} vanished from the copy`);
    if (next.version === p.version) {
      console.log(`  ${p.name} ${p.version} (unchanged)`);
      continue;
    }
    const changelog = join(next.dir, "CHANGELOG.md");
    if (!existsSync(changelog) || !readFileSync(changelog, "utf8").includes(`## ${next.version}`)) {
      throw new Error(`release:dry-run: ${p.name} ${next.version} has no CHANGELOG.md entry`);
    }
    console.log(`  ${p.name} ${p.version} → ${next.version}`);
  }
  const head = [...after.values()][0];
  if (head !== undefined && existsSync(join(head.dir, "CHANGELOG.md"))) {
    const text = readFileSync(join(head.dir, "CHANGELOG.md"), "utf8");
    console.log(`\n${head.name}'s CHANGELOG.md would open with:\n`);
    console.log(text.split("\n").slice(0, 12).join("\n"));
  }

  // 3. What would be uploaded.
  section("pnpm publish --dry-run, in the copy");
  const copyFilters = [...after.values()].flatMap((p) => [
    "--filter",
    `./${relative(copy, p.dir)}`,
  ]);
  run(
    pnpm,
    ["-r", ...copyFilters, "publish", "--dry-run", "--no-git-checks", "--access", config.access],
    { cwd: copy },
  );
  // The manifests as published: `workspace:^` must have become the new versions.
  const tarballs = join(work, "tarballs");
  run(pnpm, ["-r", ...copyFilters, "pack", "--pack-destination", tarballs], {
    cwd: copy,
    capture: true,
  });
  for (const p of after.values()) {
    const file = `${p.name.replace(/^@/, "").replace("/", "-")}-${p.version}.tgz`;
    const manifest = JSON.parse(
      execFileSync("tar", ["-xzOf", join(tarballs, file), "package/package.json"], {
        encoding: "utf8",
      }),
    );
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        const internal = after.get(dep);
        if (String(range).startsWith("workspace:")) {
          throw new Error(`release:dry-run: ${p.name} would publish ${field}.${dep} = ${range}`);
        }
        if (internal !== undefined && range !== `^${internal.version}`) {
          throw new Error(
            `release:dry-run: ${p.name} would depend on ${dep}@${range}, not ^${internal.version}`,
          );
        }
      }
    }
    console.log(
      `${file}: ${p.name}@${manifest.version}, dependencies ${JSON.stringify(manifest.dependencies ?? {})}`,
    );
  }
  console.log(
    `\nrelease:dry-run: ok — ${[...after.values()].map((p) => `${p.name}@${p.version}`).join(", ")} would be published (nothing was sent, and this checkout is unchanged)`,
  );
} catch (error) {
  failed = true;
  console.error(`\n${error instanceof Error ? error.message : error}`);
} finally {
  if (keep) console.log(`release:dry-run: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
