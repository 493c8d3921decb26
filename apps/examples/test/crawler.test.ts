import { afterEach, describe, expect, it } from "vitest";
import { startInternet } from "../src/internet/internet.js";
import { killAll, run, start } from "./run.js";

afterEach(killAll);

/** The rows of the outcome table, as { outcome: pages }. */
function outcomes(stdout: string): Record<string, number> {
  const rows: Record<string, number> = {};
  const table = stdout.split(/\n\s*outcome\s+pages/)[1]?.split("\n\n")[0] ?? "";
  for (const line of table.split("\n").slice(2)) {
    const [key, pages] = line.trim().split(/\s{2,}/);
    if (key !== undefined && pages !== undefined) rows[key] = Number(pages.replace(/,/g, ""));
  }
  return rows;
}

describe("crawler", () => {
  it("prints its help with --help", async () => {
    const { code, stdout } = await run("crawler", ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: node dist\/crawler\.js \[options\] \[URL\.\.\.\]/);
  });

  it("crawls the whole embedded site with no URL, and sums it up in a table", async () => {
    const { code, stdout } = await run("crawler", [
      "--pages",
      "150",
      "--latency",
      "0.1",
      // Room for a loaded machine: only the site's hanging pages (30 s) should time out.
      "--timeout",
      "3s",
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/embedded internet: .+, 150 pages at http:\/\/127\.0\.0\.1:\d+/);
    // Not a terminal: the progress line degrades to plain lines, and the summary follows.
    expect(stdout).toMatch(/pages\/s\s+in flight\s+\d+\s+queue/);
    expect(stdout).toMatch(/Crawled \d+ pages in [\d.]+ (s|ms) — [\d.]+ pages\/s/);
    const rows = outcomes(stdout);
    expect(rows["200"]).toBeGreaterThan(100);
    // The embedded site's faults show up as such.
    expect(Object.keys(rows).some((k) => k === "500" || k === "timeout" || k === "404")).toBe(true);
    expect(stdout).toMatch(/slowest pages/);
  });

  it("crawls with the hand-written Queue and GreenPool crawler too", async () => {
    const { code, stdout } = await run("crawler", [
      "--by-hand",
      "--pages",
      "80",
      "--latency",
      "0.1",
      // Room for a loaded machine: only the site's hanging pages (30 s) should time out.
      "--timeout",
      "3s",
      "-q",
    ]);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/in flight/); // --quiet
    expect(outcomes(stdout)["200"]).toBeGreaterThan(60);
  });

  it("crawls a given URL, stops at --max-pages, and follows only that site", async () => {
    await using net = await startInternet({ pages: 300, latency: 0 });
    const { code, stdout } = await run("crawler", [
      "--max-pages",
      "40",
      "-c",
      "8",
      "-q",
      net.homeUrl,
    ]);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/embedded internet/);
    expect(stdout).toMatch(/Crawled 40 pages/);
    expect(net.stats.requests).toBeLessThanOrEqual(45); // a redirect costs one more request
  });

  it("stops on Ctrl-C and still prints what it crawled", async () => {
    const crawler = start("crawler", ["--pages", "3000", "--concurrency", "4"]);
    await crawler.waitFor(/pages\/s/);
    crawler.child.kill("SIGINT");
    expect(await crawler.exited()).toBe(0);
    expect(crawler.stdout()).toMatch(/Stopped \d+ pages in/);
  });
});
