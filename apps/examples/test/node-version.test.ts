/**
 * On a Node.js older than 20.12 every example stops at start with Tendril's one sentence, before
 * undici loads (on Node 18 undici would crash with "File is not defined"). The old Node is
 * pretended: a preload script overrides `process.versions.node`, which is what the check reads.
 */

import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { programPath } from "./run.js";

const preload = join(dirname(fileURLToPath(import.meta.url)), "fixtures/pretend-node-version.mjs");

function runAs(
  version: string,
  name: string,
  args: readonly string[],
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", preload, programPath(name), ...args],
      { env: { ...process.env, PRETEND_NODE_VERSION: version, NO_COLOR: "1" }, timeout: 20_000 },
      (error, _stdout, stderr) => {
        resolve({ code: error ? ((error.code as number | undefined) ?? null) : 0, stderr });
      },
    );
  });
}

describe("an old Node.js", () => {
  test.each(["demo", "crawler", "echo-server", "feed-scraper"])(
    "%s exits 1 with 'Tendril needs Node >= 20.12, you have 18.20.8' before undici loads",
    async (name) => {
      const { code, stderr } = await runAs("18.20.8", name, ["--help"]);
      expect(code).toBe(1);
      expect(stderr).toContain("Tendril needs Node >= 20.12, you have 18.20.8");
      expect(stderr).toContain("[undici modules evaluated: 0]");
    },
  );

  test("on a supported Node the same program starts, and the probe sees undici load", async () => {
    const { code, stderr } = await runAs("20.12.0", "crawler", ["--help"]);
    expect(stderr).not.toContain("Tendril needs Node");
    expect(code).toBe(0);
    expect(stderr).toMatch(/\[undici modules evaluated: [1-9]\d*\]/);
  });
});
