import { request } from "node:http";
import { waitFor } from "@tendril/test-servers";
import { describe, expect, it } from "vitest";
import { startInternet } from "../src/internet/internet.js";
import { Site } from "../src/internet/site.js";
import { must } from "./run.js";

describe("the embedded internet", () => {
  it("builds the same site from the same seed, and a different one from another", () => {
    const a = new Site({ seed: 7, pages: 200 });
    const b = new Site({ seed: 7, pages: 200 });
    const c = new Site({ seed: 8, pages: 200 });
    const page = a.pages()[42];
    expect(page).toBeDefined();
    expect(b.pages()[42]).toEqual(page);
    expect(a.render(must(page))).toBe(b.render(must(b.pages()[42])));
    expect(c.pages()[42]?.title === page?.title && c.name === a.name).toBe(false);
  });

  it("has exactly as many pages as asked for, the home page included", () => {
    for (const pages of [1, 2, 150, 5000]) {
      const site = new Site({ seed: 3, pages });
      expect(site.size, `pages: ${pages}`).toBe(pages);
      expect(site.pages()).toHaveLength(pages);
      // Every link inside the site leads to one of its pages (or a redirect to one).
      const paths = new Set(site.pages().map((p) => p.path));
      for (const page of site.pages()) {
        for (const link of page.links) {
          if (link.startsWith("/wiki/") && !link.includes("deleted"))
            expect(paths.has(link)).toBe(true);
        }
      }
    }
    expect(new Site({ seed: 3 }).size).toBe(1000);
  });

  it("has realistic page sizes and about 3% failures", () => {
    const site = new Site({ seed: 1, pages: 2000 });
    const articles = site.pages().slice(1);
    const sizes = articles.map((p) => p.size).sort((x, y) => x - y);
    const median = must(sizes[sizes.length >> 1]);
    expect(median).toBeGreaterThan(15_000);
    expect(median).toBeLessThan(40_000);
    const faulty = articles.filter((p) => p.fault !== "none").length;
    const broken = articles.filter((p) => p.links.some((l) => l.includes("deleted"))).length;
    const rate = (faulty + broken) / articles.length;
    expect(rate).toBeGreaterThan(0.015);
    expect(rate).toBeLessThan(0.05);
    expect(articles.some((p) => p.fault === "hang")).toBe(true);
    expect(articles.some((p) => p.fault === "error")).toBe(true);
  });

  it("serves the site, feeds in three formats, a 404 and a redirect on 127.0.0.1", async () => {
    await using net = await startInternet({ pages: 50, latency: 0 });
    expect(net.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const home = await fetch(net.homeUrl);
    expect(home.status).toBe(200);
    const html = await home.text();
    const link = /href="(\/wiki\/[^"]+)"/.exec(html)?.[1];
    expect(link).toBeDefined();

    const page = must(net.site.page(must(link, "a link")), "the linked page");
    const res = await fetch(net.origin + link);
    expect(res.status).toBe(page.fault === "error" ? 500 : 200);
    if (res.status === 200)
      expect(Math.abs((await res.text()).length - page.size)).toBeLessThan(1500);
    else await res.text();

    const formats = new Set<string>();
    for (const [i, feed] of net.feeds.entries()) {
      const r = await fetch(must(net.feedUrls[i]), { signal: AbortSignal.timeout(1000) }).catch(
        () => null,
      );
      if (feed.fault === "slow") continue;
      expect(r?.status).toBe(feed.fault === "error" ? 500 : 200);
      const xml = await must(r).text();
      if (feed.fault === "none") {
        formats.add(feed.format);
        expect(xml).toContain("<title>");
        expect(xml.startsWith("<?xml")).toBe(true);
      }
    }
    expect([...formats].sort()).toEqual(["atom", "rdf", "rss"]);

    expect((await fetch(`${net.origin}/no/such/page`)).status).toBe(404);
    const go = net.site
      .pages()
      .flatMap((p) => p.links)
      .find((l) => l.startsWith("/go/"));
    expect(go).toBeDefined();
    const moved = await fetch(net.origin + must(go), { redirect: "manual" });
    expect(moved.status).toBe(301);
    expect(net.site.page(must(moved.headers.get("location")))).toBeDefined();
    const list = await (await fetch(`${net.origin}/feeds.txt`)).text();
    expect(list.trim().split("\n")).toEqual(net.feedUrls);
  });

  it("closes with a request still hanging, leaving no connection behind", async () => {
    const net = await startInternet({ pages: 300, latency: 0, hangMs: 60_000 });
    const hanging = net.site.pages().find((p) => p.fault === "hang");
    expect(hanging).toBeDefined();
    const outcome = new Promise<string>((resolve) => {
      const req = request(net.origin + must(hanging).path, (res) =>
        resolve(`status ${res.statusCode}`),
      );
      req.on("error", (error) => resolve((error as NodeJS.ErrnoException).code ?? "error"));
      req.end();
    });
    await waitFor(() => net.stats.requests === 1, "the hanging request to reach the server");
    // The page hangs for a minute: close() resolves only because it destroys the connection
    // (one that waited for the answer would outlive the test's timeout).
    await net.close();
    expect(await outcome).toBe("ECONNRESET");
  });
});
