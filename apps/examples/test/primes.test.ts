import { afterEach, describe, expect, it } from "vitest";
import { killAll, run } from "./run.js";

afterEach(killAll);

describe("primes", () => {
  it("counts primes on worker threads while the green heartbeat keeps ticking", async () => {
    const { code, stdout } = await run("primes", ["--limit", "200000", "--threads", "2"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/17984 primes below 200,000/);
    expect(stdout).toMatch(/the heartbeat ticked \d+ time\(s\)/);
  });

  it("cancels a count that overruns --timeout, stops its workers and exits 1", async () => {
    // Far more work than 1 s allows; the program exits only if its workers were stopped.
    const { code, stdout } = await run("primes", [
      "--limit",
      "2000000000",
      "--chunks",
      "4",
      "--timeout",
      "1s",
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/timed out after 1000 ms: the workers were stopped/);
    const ticks = Number(stdout.match(/ticked (\d+) time/)?.[1]);
    expect(ticks).toBeGreaterThanOrEqual(1); // the loop was free while the workers computed
  });

  it("refuses a bad flag with status 2", async () => {
    const { code, stderr } = await run("primes", ["--threads", "0"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--threads must be an integer >= 1, received 0/);
  });
});
