// The suites end to end in --quick mode (small N): each must run and print its table. Numbers
// are not asserted — benchmarks never gate a merge. Not part of `pnpm test`: run with
// `pnpm bench:smoke` (vitest.smoke.config.ts); `.ci/run` runs it once, on Node 20.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { benchRoot } from "../src/harness.js";

const run = promisify(execFile);

describe("suites", () => {
  const main = join(benchRoot, "dist", "main.js");

  test.each([["spawn"], ["pool"], ["imap"], ["tpool"]])(
    "%s --quick prints its table",
    async (suite) => {
      const { stdout } = await run(process.execPath, [main, suite, "--quick"], {
        timeout: 110_000,
      });
      expect(stdout).toMatch(/×floor/);
      expect(stdout).toMatch(/Tendril/);
    },
  );

  test("crawl-redis --quick compares the in-memory crawl with 1, 2 and 4 Redis workers", async () => {
    const { stdout } = await run(process.execPath, [main, "crawl-redis", "--quick"], {
      timeout: 170_000,
    });
    expect(stdout).toMatch(/in memory, 1 process \(floor\)\s+[\d,.]+\s/);
    for (const workers of ["1 worker", "2 workers", "4 workers"]) {
      expect(stdout).toMatch(new RegExp(`Redis frontier, ${workers}\\s+[\\d,.]+\\s`));
    }
  }, 180_000);

  test("echo --quick measures the ramp apart from the timed round trips", async () => {
    const { stdout } = await run(process.execPath, [main, "echo", "--quick"], {
      timeout: 110_000,
    });
    expect(stdout).toMatch(/ramp ms/);
    expect(stdout).toMatch(/raw node:net \(floor\)\s+[\d,]+\s/);
    expect(stdout).toMatch(/Tendril serve \+ GreenSocket \(blocking style\)\s+[\d,]+\s/);
    expect(stdout).toMatch(/Tendril: \d\.\d\dx the floor's round trips\/s/);
  });
});
