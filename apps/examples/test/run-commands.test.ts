import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { killAll, run } from "./run.js";

afterEach(killAll);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("run-commands", () => {
  it("runs commands side by side, reports each, and kills the one that overruns its deadline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tendril-run-commands-"));
    try {
      const pidFile = join(dir, "pid");
      const { code, stdout } = await run("run-commands", [
        "--timeout",
        "1s",
        "echo hello",
        `echo $$ > ${pidFile}; exec sleep 30`,
        "exit 3",
      ]);
      expect(code).toBe(1);
      expect(stdout).toMatch(/ok\s+echo hello {2}→ hello/);
      expect(stdout).toMatch(/timed out\s+echo \$\$/);
      expect(stdout).toMatch(/failed \(exit 3\)\s+exit 3/);
      // The overrunning command was killed before the program exited, not left behind.
      const pid = Number(readFileSync(pidFile, "utf8"));
      expect(pid).toBeGreaterThan(0);
      expect(isAlive(pid)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 0 when every command succeeds, and 2 without commands", async () => {
    expect((await run("run-commands", ["true", "echo x"])).code).toBe(0);
    const { code, stderr } = await run("run-commands", []);
    expect(code).toBe(2);
    expect(stderr).toMatch(/give at least one COMMAND/);
  });
});
