import { afterEach, describe, expect, it } from "vitest";
import { killAll, run, start } from "./run.js";

afterEach(killAll);

describe("demo", () => {
  it("tours every pattern with --fast and exits 0 on its own, every server closed", async () => {
    const { code, stdout, stderr } = await run("demo", ["--fast"], 45_000);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    for (const act of [
      "1 · An embedded internet",
      "2 · Client pattern: a crawler",
      "3 · Server pattern: an echo server under load",
      "4 · Dispatch pattern: the feed scraper",
      "5 · A chat room",
      "6 · A port forwarder",
      "That was Tendril",
    ]) {
      expect(stdout).toContain(act);
    }
    expect(stdout).toMatch(/Crawled \d+ pages/);
    expect(stdout).toMatch(/round trips\s+per second/);
    expect(stdout).toMatch(/Bread & Butter Engineering/);
    expect(stdout).toMatch(/bob\s+sees alice: hi bob!/);
    expect(stdout).toMatch(/echoed hello through the forwarder/);
  }, 60_000); // the whole tour, six acts in one child process, bounded at 45 s by run()

  it("stops cleanly on Ctrl-C and exits 0, like every example", async () => {
    const demo = start("demo", []);
    await demo.waitFor(/2 · Client pattern: a crawler/, 30_000);
    demo.child.kill("SIGINT");
    expect(await demo.exited(30_000)).toBe(0);
    expect(demo.stdout()).toMatch(/── Stopped/);
    expect(demo.stdout()).toMatch(/every server closed/);
  }, 70_000); // up to 30 s to reach act 2 and 30 s to stop, each bounded by its own wait

  it("prints its help with --help", async () => {
    const { code, stdout } = await run("demo", ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--fast/);
  });
});
