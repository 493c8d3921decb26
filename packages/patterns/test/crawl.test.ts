import { sleep } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { CallTimeout, type CrawlStats, crawl, type PageResult } from "@tendril/patterns";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type LocalServer, redirect, reply, startServer } from "./local-http.js";

let site: LocalServer;
let other: LocalServer;

const page = (...links: string[]) =>
  `<html><body>${links.map((l) => `<a href="${l}">${l}</a>`).join(" ")}</body></html>`;

beforeAll(async () => {
  other = await startServer({ "/": reply(page("/elsewhere")) });
  // A site of 1 + 5 + 25 pages, every page linking to its children, to the home page and out.
  const routes: Record<string, ReturnType<typeof reply>> = {};
  const children = (p: string) => [1, 2, 3, 4, 5].map((i) => `${p === "/" ? "" : p}/${i}`);
  // No page of this site is slow: page deadlines are tested on the virtual hub (below).
  routes["/"] = reply(page(...children("/"), "/", `${other.origin}/`, "/missing", "/data.bin"));
  for (const c of children("/")) {
    routes[c] = reply(page(...children(c), "/"), "text/html", 5);
    for (const g of children(c)) routes[g] = reply(page("/", `${g}#frag`), "text/html", 5);
  }
  routes["/data.bin"] = reply("binary", "application/octet-stream");
  routes["/to-private"] = redirect("http://10.0.0.1/admin");
  routes["/to-home"] = redirect("/");
  site = await startServer(routes);
});

afterAll(async () => {
  await site.close();
  await other.close();
});

async function run(iterable: AsyncIterable<PageResult>): Promise<PageResult[]> {
  const pages: PageResult[] = [];
  for await (const p of iterable) pages.push(p);
  return pages;
}

describe("crawl", () => {
  test("follows links on the start origin, fetches each URL once, and ends by itself", async () => {
    const crawler = crawl([site.url("/")], { maxPages: 1000 });
    const pages = await run(crawler);
    const urls = pages.map((p) => p.url);
    expect(new Set(urls).size).toBe(urls.length);
    expect(urls).toContain(site.url("/3/4"));
    expect(urls.some((u) => u.startsWith(other.origin))).toBe(false);
    // 31 pages + /missing + /data.bin
    expect(pages.length).toBe(33);
    const stats = crawler.stats();
    expect(stats).toMatchObject({ seen: 33, fetched: 32, failed: 1, inFlight: 0, queued: 0 });
    expect(stats.skipped).toBeGreaterThan(0); // the other origin
  });

  test("reports failures as pages with their error", async () => {
    const pages = await run(crawl([site.url("/")], { maxDepth: 1 }));
    const byUrl = new Map(pages.map((p) => [p.url, p]));
    expect(byUrl.get(site.url("/missing"))).toMatchObject({ ok: false, error: { status: 404 } });
    expect(byUrl.get(site.url("/data.bin"))).toMatchObject({ ok: true, links: [] });
    expect(byUrl.get(site.url("/2"))).toMatchObject({
      ok: true,
      depth: 1,
      referrer: site.url("/"),
    });
  });

  test("never fetches more than maxPages", async () => {
    const pages = await run(crawl([site.url("/")], { maxPages: 7 }));
    expect(pages.length).toBe(7);
  });

  test("keeps at most perOriginLimit requests on one origin", async () => {
    site.load.peak = 0;
    await run(
      crawl([site.url("/1")], {
        perOriginLimit: 2,
        concurrency: 50,
        maxPages: 20,
        pageTimeoutMs: 300,
      }),
    );
    // Reached, never passed: two at a time, not one.
    expect(site.load.peak).toBe(2);
  });

  test("follows other origins when sameOrigin is false, within the filter", async () => {
    const missingHits = site.hits.get("/missing") ?? 0;
    const pages = await run(
      crawl([site.url("/")], {
        sameOrigin: false,
        maxDepth: 1,
        filter: (url) => url.pathname !== "/missing",
      }),
    );
    expect(pages.map((p) => p.url)).toContain(`${other.origin}/`);
    expect(pages.map((p) => p.url)).toContain(site.url("/data.bin"));
    expect(pages.map((p) => p.url)).not.toContain(site.url("/missing"));
    expect(site.hits.get("/missing") ?? 0).toBe(missingHits); // filtered out, never fetched
  });

  test("reports progress after every page, and stops early when the loop breaks", async () => {
    const progress: CrawlStats[] = [];
    const crawler = crawl([site.url("/")], { onProgress: (s) => progress.push(s) });
    let n = 0;
    for await (const _ of crawler) if (++n === 3) break;
    expect(progress.length).toBeGreaterThanOrEqual(3);
    // One report per finished page: the count of finished pages rises by one each time.
    expect(progress.map((p) => p.fetched + p.failed)).toEqual(
      Array.from({ length: progress.length }, (_, i) => i + 1),
    );
    // Breaking out of the loop stopped the crawl: nothing is left in flight.
    expect(crawler.stats().inFlight).toBe(0);
  });

  test("a page slower than pageTimeout is a failed page with a CallTimeout", () =>
    withVirtualHub(async (hub) => {
      const fetch = async (url: string) => {
        await sleep(url.endsWith("/slow") ? 5_000 : 10);
        return new Response(page("/slow"), { headers: { "content-type": "text/html" } });
      };
      const pages = await run(crawl(["http://site.test/"], { fetch, pageTimeoutMs: 200 }));
      const slow = pages.find((p) => p.url === "http://site.test/slow");
      expect(!slow?.ok && slow?.error).toBeInstanceOf(CallTimeout);
      expect(pages.find((p) => p.url === "http://site.test/")).toMatchObject({ ok: true });
      // The deadline fired at 200 ms after the slow page began, not when the page came.
      expect(hub.now()).toBe(10 + 200);
    }));

  test("stop() from another thread ends a reader that is waiting for the next page", () =>
    withVirtualHub(async () => {
      const { spawn } = await import("@tendril/core");
      const fetch = async () => {
        await sleep(5_000);
        return new Response(page(), { headers: { "content-type": "text/html" } });
      };
      const crawler = crawl(["http://site.test/slow"], { fetch, pageTimeoutMs: 10_000 });
      const reader = spawn(async () => run(crawler));
      await sleep(50); // virtual time: the reader is parked, the only page takes 5 s
      expect(crawler.stats().inFlight).toBe(1);
      await crawler.stop();
      const pages = await reader.wait();
      expect(pages).toEqual([]);
      expect(crawler.stats().inFlight).toBe(0);
    }));

  test("refuses private destinations when given an outbound policy", async () => {
    const pages = await run(crawl([site.url("/")], { outbound: {}, maxPages: 3 }));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ ok: false, error: { code: "ERR_TENDRIL_OUTBOUND_REFUSED" } });
  });

  test("with an outbound policy, follows redirects itself and checks every hop", async () => {
    const pages = await run(
      crawl([site.url("/to-private"), site.url("/to-home")], {
        outbound: { allowLoopback: true },
        maxPages: 2,
      }),
    );
    const byUrl = new Map(pages.map((p) => [p.url, p]));
    expect(byUrl.get(site.url("/to-private"))).toMatchObject({
      ok: false,
      error: { code: "ERR_TENDRIL_OUTBOUND_REFUSED", category: "private" },
    });
    expect(byUrl.get(site.url("/to-home"))).toMatchObject({ ok: true, finalUrl: site.url("/") });
  });

  test("rejects a relative start URL", () => {
    expect(() => crawl(["/relative"])).toThrow(TypeError);
  });

  test("no fetch starts after break, even one already spawned on the pool (issue 17.9)", () =>
    withVirtualHub(async () => {
      const started: string[] = [];
      const links = Array.from({ length: 40 }, (_, i) => `<a href="/${i}">${i}</a>`).join("");
      const fetch = async (url: string) => {
        started.push(url);
        await sleep(1);
        return new Response(`<html><body>${links}</body></html>`, {
          headers: { "content-type": "text/html" },
        });
      };
      const crawler = crawl(["http://site.test/"], { fetch, concurrency: 4, perOriginLimit: 4 });
      for await (const _ of crawler) break; // the coordinator has just dispatched the links
      const atStop = started.length;
      await sleep(50);
      expect(started.length).toBe(atStop);
      expect(crawler.stats().inFlight).toBe(0);
    }));

  test("no fetch starts after stop()", () =>
    withVirtualHub(async () => {
      let calls = 0;
      const links = Array.from({ length: 40 }, (_, i) => `<a href="/${i}">${i}</a>`).join("");
      const fetch = async () => {
        calls++;
        await sleep(5);
        return new Response(`<html><body>${links}</body></html>`, {
          headers: { "content-type": "text/html" },
        });
      };
      const crawler = crawl(["http://site.test/"], { fetch, concurrency: 8, perOriginLimit: 8 });
      const seen: PageResult[] = [];
      for await (const page of crawler) {
        seen.push(page);
        if (seen.length === 3) await crawler.stop();
      }
      const atStop = calls;
      await sleep(100);
      expect(calls).toBe(atStop);
    }));
});
