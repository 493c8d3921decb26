/**
 * The dependency-arrow check, run against small workspaces written to a temporary directory:
 * it must pass a workspace that follows core ← green-net ← patterns ← apps, and name every
 * kind of violation in one that does not.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
// @ts-expect-error -- a plain .mjs script without type declarations
import { checkWorkspace } from "../check-deps.mjs";

type Files = Record<string, string | object>;

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function workspace(files: Files): string {
  const root = mkdtempSync(join(tmpdir(), "tendril-check-deps-"));
  roots.push(root);
  const all: Files = {
    "pnpm-workspace.yaml": "packages:\n  - packages/*\n  - apps/*\n  - docs\n",
    "packages/core/package.json": { name: "@tendril/core" },
    "packages/core/src/index.ts": 'export { x } from "./x.js";\n',
    "packages/green-net/package.json": {
      name: "@tendril/green-net",
      dependencies: { "@tendril/core": "workspace:^" },
    },
    "packages/green-net/src/index.ts": 'import { spawn } from "@tendril/core";\n',
    "apps/examples/package.json": {
      name: "@tendril/examples",
      dependencies: { "@tendril/core": "workspace:^", "@tendril/green-net": "workspace:^" },
    },
    "apps/examples/src/a.ts": 'import "@tendril/green-net";\nimport "@tendril/core/testing";\n',
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  }
  return root;
}

function errorsOf(files: Files = {}): string[] {
  return (checkWorkspace(workspace(files)) as { errors: string[] }).errors;
}

describe("check-deps", () => {
  test("passes a workspace that follows the arrow", () => {
    expect(errorsOf()).toEqual([]);
  });

  test("rejects a package that depends up the arrow", () => {
    const errors = errorsOf({
      "packages/core/package.json": {
        name: "@tendril/core",
        dependencies: { "@tendril/green-net": "workspace:^" },
      },
    });
    expect(errors).toEqual([
      expect.stringContaining("@tendril/core may not depend on @tendril/green-net"),
    ]);
  });

  test("rejects a package that depends on an app, and an app on another app", () => {
    const errors = errorsOf({
      "packages/green-net/package.json": {
        name: "@tendril/green-net",
        devDependencies: { "@tendril/core": "workspace:^", "@tendril/examples": "workspace:^" },
      },
      "docs/package.json": {
        name: "@tendril/docs",
        dependencies: { "@tendril/examples": "workspace:^" },
      },
    });
    expect(errors).toHaveLength(2);
    expect(errors.join("\n")).toMatch(/@tendril\/green-net may not depend on @tendril\/examples/);
    expect(errors.join("\n")).toMatch(/@tendril\/docs may not depend on @tendril\/examples/);
  });

  test("requires workspace:^ for workspace dependencies", () => {
    const errors = errorsOf({
      "packages/green-net/package.json": {
        name: "@tendril/green-net",
        dependencies: { "@tendril/core": "workspace:*" },
      },
    });
    expect(errors).toEqual([expect.stringContaining('must be "workspace:^"')]);
  });

  test("rejects a relative import into another package", () => {
    const errors = errorsOf({
      "packages/green-net/src/bad.ts": 'import { spawn } from "../../core/src/index.js";\n',
    });
    expect(errors).toEqual([
      expect.stringMatching(
        /packages\/green-net\/src\/bad\.ts:1: relative import .* leaves @tendril\/green-net/,
      ),
    ]);
  });

  test("rejects dynamic imports and re-exports that escape, but not comments", () => {
    const errors = errorsOf({
      "apps/examples/src/b.ts":
        '// import "../../../packages/core/src/x.js" is only a comment\n' +
        'export { y } from "../../../packages/core/src/y.js";\n' +
        'const m = await import("../../../packages/core/src/z.js");\n',
    });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/b\.ts:2:/);
    expect(errors[1]).toMatch(/b\.ts:3:/);
  });

  test("rejects an import up the arrow, and an undeclared one", () => {
    const errors = errorsOf({
      "packages/core/src/up.ts": 'import "@tendril/green-net";\n',
      "apps/examples/src/c.ts": 'import "@tendril/patterns";\n',
      "packages/patterns/package.json": { name: "@tendril/patterns" },
    });
    expect(errors.join("\n")).toMatch(
      /up\.ts:1: @tendril\/core may not import @tendril\/green-net/,
    );
    expect(errors.join("\n")).toMatch(
      /c\.ts:1: imports @tendril\/patterns, which .* does not declare/,
    );
  });

  test("names a workspace package missing from the layer table", () => {
    const errors = errorsOf({ "packages/extra/package.json": { name: "@tendril/extra" } });
    expect(errors).toEqual([expect.stringContaining("not in the layer table")]);
  });
});
