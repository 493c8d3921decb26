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

// The command line, without running a suite. The suites themselves run end to end in
// smoke/suites.test.ts (`pnpm bench:smoke`), outside `pnpm test`.
describe("main", () => {
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
});
