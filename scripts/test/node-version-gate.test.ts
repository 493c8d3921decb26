/**
 * Every entry point of every published package runs the Node.js version check before anything
 * else, so that an old Node.js fails with "Tendril needs Node >= 20.12, you have …" instead of
 * deep inside a dependency. ES modules evaluate their imports in order, so the check must be the
 * entry's first import.
 */

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, test } from "vitest";

const root = join(import.meta.dirname, "..", "..");

const entries = readdirSync(join(root, "packages")).flatMap((dir) => {
  const manifest = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
  if (manifest.private === true) return [];
  return Object.entries(manifest.exports as Record<string, string | { source?: string }>)
    .filter(([, target]) => typeof target === "object" && target.source !== undefined)
    .map(([subpath, target]) => ({
      name: `${manifest.name}${subpath.slice(1)}`,
      file: join(root, "packages", dir, (target as { source: string }).source),
      src: join(root, "packages", dir, "src"),
    }));
});

test("there are entry points to check", () => {
  expect(entries.map((e) => e.name)).toContain("@tendril/core");
  expect(entries.length).toBeGreaterThan(4);
});

test.each(entries)("$name imports the Node.js version check first", ({ file, src }) => {
  const first = /^(?:import|export)\b[^;]*;/m.exec(readFileSync(file, "utf8"))?.[0];
  const gate = /^import "(\.{1,2}\/(?:\.\.\/)*node-version\.js)";$/.exec(first ?? "");
  expect(gate, `first statement: ${first}`).not.toBeNull();
  // …and it is the package's own node-version module.
  expect(join(dirname(file), gate?.[1] ?? "")).toBe(join(src, "node-version.js"));
});
