// The entries of @tendril/patterns: the main one loads no feed parser. The feed scraper, which
// needs the optional peer `feedsmith`, is its own subpath.
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as patterns from "@tendril/patterns";
import * as feedScraper from "@tendril/patterns/feed-scraper";
import { describe, expect, test } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

async function importWithoutFeedsmith(entry: string): Promise<{ ok: boolean; error?: string }> {
  const { stdout } = await run(
    process.execPath,
    [
      "--conditions=source",
      "--import",
      "tsx",
      join(here, "fixtures", "without-feedsmith.ts"),
      entry,
    ],
    { cwd: here, timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) as string);
}

describe("entries", () => {
  test("the feed scraper is exported from its subpath only", () => {
    expect(Object.keys(feedScraper).sort()).toEqual([
      "InvalidFeed",
      "createFeedScraper",
      "fetchFeedTitle",
      "parseFeedTitle",
    ]);
    for (const name of Object.keys(feedScraper)) expect(patterns, name).not.toHaveProperty(name);
    // The recipes the scraper is built on stay in the main entry.
    expect(Object.keys(patterns)).toEqual(
      expect.arrayContaining(["dispatch", "guardedFetch", "crawl", "serveConnections"]),
    );
  });

  test("@tendril/patterns works without feedsmith installed; /feed-scraper needs it", async () => {
    expect(await importWithoutFeedsmith("@tendril/patterns")).toMatchObject({ ok: true });
    const scraper = await importWithoutFeedsmith("@tendril/patterns/feed-scraper");
    expect(scraper).toMatchObject({ ok: false, error: "feedsmith is not installed" });
  }, 60_000);
});
