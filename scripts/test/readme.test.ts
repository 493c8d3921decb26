/**
 * The README's promise to a newcomer: a title, three lines on what Tendril is, then exactly
 * two commands — one for the demo, one for every test — and CI runs that very test command.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pnpmVersion = String(manifest.packageManager).replace(/^pnpm@/, "");

test("the README opens with a title, three lines, and a block of exactly two commands", () => {
  const lines = readme.split("\n");
  expect(lines[0]).toMatch(/^# \S/);
  expect(lines[1]).toBe("");
  expect(lines.slice(2, 5).every((l) => l.trim().length > 0)).toBe(true);
  expect(lines[5]).toBe("");
  expect(lines[6]).toMatch(/^```/);
  const end = lines.indexOf("```", 7);
  expect(lines.slice(7, end)).toEqual([
    `npx -y pnpm@${pnpmVersion} install && npx -y pnpm@${pnpmVersion} demo`,
    `npx -y pnpm@${pnpmVersion} install && npx -y pnpm@${pnpmVersion} test`,
  ]);
});

test(".ci/run runs the README's test command, on Node 20 and Node 24", () => {
  const ci = readFileSync(join(root, ".ci", "run"), "utf8");
  expect(ci).toContain("set -euo pipefail");
  expect(ci).toContain(`PNPM_VERSION=${pnpmVersion}`);
  expect(ci).toMatch(/TEST_COMMAND=\$\(grep .* README\.md/);
  expect(ci).toMatch(/use_node 20\n[\s\S]*run_tests "Node 20"/);
  expect(ci).toMatch(/use_node 24\n[\s\S]*run_tests "Node 24"/);
});

test("the root scripts the README names exist", () => {
  for (const script of [
    "demo",
    "test",
    "bench",
    "bench:smoke",
    "test:packages",
    "check",
    "check-deps",
    "check-pack",
    "changeset",
    "tarballs",
    "version-packages",
    "release",
    "release:dry-run",
  ]) {
    expect(manifest.scripts, script).toHaveProperty(script);
  }
});

test("outside Contributing, every pnpm command works without a global pnpm", () => {
  // Contributing says once that `pnpm` stands for `npx -y pnpm@…`; every other section spells it out.
  const sections = readme.split(/\n(?=## )/).filter((s) => !s.startsWith("## Contributing"));
  expect(sections.length).toBeGreaterThan(3);
  const bare = sections
    .join("\n")
    .split("\n")
    .filter((line) => /(^|[\s`(])pnpm\s/.test(line.replace(/npx -y pnpm@[\d.]+/g, "")));
  expect(bare).toEqual([]);
});
