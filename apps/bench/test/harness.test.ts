import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, test, vi } from "vitest";
import { benchRoot, median, percentile, printTable } from "../src/harness.js";

const run = promisify(execFile);

describe("harness", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test("median and percentile", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });

  test("printTable shows each row's ratio to the first row, the floor", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    printTable(
      "title",
      [{ name: "floor", ops: 1000 }, { name: "contender", ops: 500 }, { name: "missing" }],
      ["ops"],
      "ops",
    );
    const text = lines.join("\n");
    expect(text).toMatch(/floor\s+1,000\s+1\.00x/);
    expect(text).toMatch(/contender\s+500\s+0\.50x/);
    expect(text).toMatch(/missing\s+-\s+-/);
  });
});

// The suites themselves, end to end in --quick mode (small N): they must run and print their
// tables. Numbers are not asserted — benchmarks never gate a merge.
describe("suites", () => {
  const main = join(benchRoot, "dist", "main.js");

  test("--help lists the suites", async () => {
    const { stdout } = await run(process.execPath, [main, "--help"]);
    expect(stdout).toMatch(/suites: .*spawn/);
  });

  test("an unknown suite is refused with the list of known ones", async () => {
    await expect(run(process.execPath, [main, "nope"])).rejects.toMatchObject({
      stderr: expect.stringMatching(/unknown suite "nope"; available: /),
    });
  });

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
