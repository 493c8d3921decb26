import { afterEach, describe, expect, it } from "vitest";
import { startInternet } from "../src/internet/internet.js";
import { killAll, run, start } from "./run.js";

afterEach(killAll);

describe("feed-scraper", () => {
  it("prints its help with --help", async () => {
    const { code, stdout } = await run("feed-scraper", ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/the dispatch pattern/);
  });

  it("serves its page on GET / and answers a POST of feed URLs with their titles, in order", async () => {
    const scraper = start("feed-scraper", [
      "--port",
      "0",
      // The slow feed takes 6 s; the others must fit even on a loaded machine.
      "--deadline",
      "4s",
      "--timeout",
      "3s",
    ]);
    try {
      const [, feedsTxt] = await scraper.waitFor(/\((http:\/\/127\.0\.0\.1:\d+\/feeds\.txt)\)/);
      const [, url] = await scraper.waitFor(/feed scraper listening on (http:\/\/\S+\/)/);
      const page = await fetch(url as string);
      expect(page.headers.get("content-type")).toMatch(/text\/html/);
      expect(await page.text()).toMatch(/<title>Feed scraper · Tendril<\/title>/);

      const feeds = (await (await fetch(feedsTxt as string)).text()).trim().split("\n");
      expect(feeds).toHaveLength(17);
      // Eventlet's protocol: URLs one per line in, titles one per line out.
      const res = await fetch(url as string, { method: "POST", body: `${feeds.join("\n")}\n\n` });
      expect(res.status).toBe(200);
      const lines = (await res.text()).trimEnd().split("\n");
      expect(lines).toHaveLength(17);
      expect(lines).toContain("Bread & Butter Engineering");
      expect(lines.filter((l) => l.startsWith("[error]"))).toHaveLength(2); // one 500, one too slow

      const json = await fetch(url as string, {
        method: "POST",
        headers: { accept: "application/json" },
        body: feeds.slice(0, 3).join("\n"),
      });
      const body = (await json.json()) as { results: Array<{ url: string; ok: boolean }> };
      expect(body.results.map((r) => r.url)).toEqual(feeds.slice(0, 3));
      expect(body.results.every((r) => r.ok)).toBe(true);

      expect((await fetch(`${url}nope`)).status).toBe(404);
      await scraper.waitFor(/POST \/ → 200/);
    } finally {
      scraper.child.kill("SIGINT");
    }
    expect(await scraper.exited()).toBe(0);
    expect(scraper.stdout()).toMatch(/stopped after 2 requests/);
  });

  it("with --no-internet starts no internet, and stops after --duration", async () => {
    const { code, stdout } = await run("feed-scraper", [
      "--port",
      "0",
      "--no-internet",
      "--duration",
      "300ms",
    ]);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/embedded internet/);
    expect(stdout).toMatch(/stopped after 0 requests/);
  });
});

describe("feed-scraper-client", () => {
  it("with no arguments, runs an internet and a scraper and prints every feed's title", async () => {
    const { code, stdout } = await run("feed-scraper-client", []);
    expect(code).toBe(0);
    expect(stdout).toMatch(/posting 17 feeds to http:\/\/127\.0\.0\.1:\d+\//);
    expect(stdout).toMatch(/✓\s+Café Über-Latency — Notes/);
    expect(stdout).toMatch(/✗\s+.*500/);
    expect(stdout).toMatch(/15 of 17 titles, 1 late, 1 failed — 1 request in/);
  });

  it("posts given feeds to a running scraper, several requests at once", async () => {
    await using net = await startInternet({ latency: 0, failures: false });
    const scraper = start("feed-scraper", ["--port", "0", "--no-internet", "--quiet"]);
    try {
      const [, url] = await scraper.waitFor(/feed scraper listening on (http:\/\/\S+\/)/);
      const feeds = net.feedUrls.slice(0, 4);
      const { code, stdout } = await run("feed-scraper-client", [
        "--url",
        url as string,
        "--requests",
        "5",
        ...feeds,
      ]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/4 of 4 titles — 5 requests in/);
      for (const feed of net.feeds.slice(0, 4)) expect(stdout).toContain(feed.title);
    } finally {
      scraper.child.kill("SIGTERM");
    }
    expect(await scraper.exited()).toBe(0);
  });
});
