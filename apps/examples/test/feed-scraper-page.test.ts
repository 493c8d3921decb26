/**
 * The feed scraper's web page, in a real browser: headless Chromium (Debian's `chromium`)
 * driven by playwright-core. Loads the page, submits feeds, and reads the titles it shows.
 * On CI a missing Chromium fails the test; locally it is skipped with a message.
 */

import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAll, must, type Program, start } from "./run.js";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
const required =
  process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
if (!available && !required) {
  console.warn(
    `feed-scraper-page.test.ts: skipped, ${CHROMIUM} not found (apt-get install -y chromium)`,
  );
}

describe.skipIf(!available && !required)("the feed scraper's page in headless Chromium", () => {
  let browser: Browser | undefined;
  let scraper: Program | undefined;
  let url = "";

  beforeAll(async () => {
    if (!available)
      throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium`);
    scraper = start("feed-scraper", [
      "--port",
      "0",
      // The slow feed takes 6 s; the others must fit even on a loaded machine.
      "--deadline",
      "4s",
      "--timeout",
      "3s",
      "--quiet",
    ]);
    [, url] = (await scraper.waitFor(/feed scraper listening on (http:\/\/\S+\/)/)) as unknown as [
      string,
      string,
    ];
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    scraper?.child.kill("SIGTERM");
    await scraper?.exited().catch(() => undefined);
    killAll();
  });

  it("loads, takes the sample feeds, and lists their titles in order with partial results", async () => {
    const page = await must(browser, "a browser").newPage();
    try {
      await page.goto(url);
      expect(await page.title()).toBe("Feed scraper · Tendril");
      await page.click("#samples");
      const urls = (await page.inputValue("#feeds")).split("\n");
      expect(urls.length).toBe(17);
      await page.click("#go");
      await page.locator("#results > li").nth(16).waitFor({ timeout: 15_000 });

      const titles = await page.locator("#results > li.ok .title").allTextContents();
      expect(titles.length).toBe(15);
      expect(titles).toContain("Bread & Butter Engineering"); // entities decoded, not double-escaped
      expect(titles).toContain("Café Über-Latency — Notes"); // non-ASCII intact
      expect(await page.locator("#results > li.failed").count()).toBe(1); // the feed answering 500
      expect(await page.locator("#results > li.timeout").count()).toBe(1); // the one slower than the deadline
      const items = await page.locator("#results > li").all();
      const order = await Promise.all(items.map((item) => item.getAttribute("data-url")));
      expect(order).toEqual(urls); // results in input order
      expect(await page.textContent("#summary")).toMatch(
        /^15 of 17 feeds · 1 failed · 1 timed out · [\d.]+ s$/,
      );
    } finally {
      await page.close();
    }
  });

  it("shows the title of a pasted feed and why another one failed", async () => {
    const page = await must(browser, "a browser").newPage();
    try {
      await page.goto(url);
      await page.click("#samples");
      const [first] = (await page.inputValue("#feeds")).split("\n");
      const missing = new URL("/feeds/no-such-feed.rss", first).href;
      await page.fill("#feeds", `${first}\n\n${missing}\n`);
      await page.click("#go");
      await page.waitForSelector("#results > li.failed");
      expect(await page.locator("#results > li").count()).toBe(2);
      expect(await page.textContent("#results > li.ok .title")).not.toBe("");
      // The upstream is named (by its host), not cut off after "from".
      expect(await page.textContent("#results > li.failed .source")).toBe(
        `Failed: HTTP 404 Not Found from ${new URL(missing).host}`,
      );
      expect(await page.textContent("#summary")).toMatch(/^1 of 2 feeds · 1 failed/);
    } finally {
      await page.close();
    }
  });
});
