import { spawn } from "@tendril/core";
import { type Crawl, crawl, type PageResult } from "@tendril/patterns";
import { RedisCrawlFrontier, type RedisCrawlFrontierOptions } from "@tendril/patterns/redis-queue";
import { type RedisServer, startRedisServer } from "@tendril/test-servers";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type LocalServer, reply, startServer } from "./local-http.js";

let redis: RedisServer;
let site: LocalServer;
/** Every page of the site: 1 + 8 + 64 + 8 broken links. */
const pages: string[] = [];
const open: RedisCrawlFrontier[] = [];
let counter = 0;

const html = (...links: string[]) =>
  `<html><body>${links.map((l) => `<a href="${l}">${l}</a>`).join(" ")}</body></html>`;

beforeAll(async () => {
  redis = await startRedisServer();
  const routes: Record<string, ReturnType<typeof reply>> = {};
  const kids = (p: string) => Array.from({ length: 8 }, (_, i) => `${p === "/" ? "" : p}/${i}`);
  routes["/"] = reply(html(...kids("/"), "/", "http://elsewhere.invalid/"));
  for (const c of kids("/")) {
    routes[c] = reply(html(...kids(c), "/", `${c}/missing`), "text/html", 2);
    for (const g of kids(c)) routes[g] = reply(html("/", c), "text/html", 1);
  }
  site = await startServer(routes);
  for (const path of Object.keys(routes)) pages.push(site.url(path));
  for (const c of kids("/")) pages.push(site.url(`${c}/missing`));
});

afterAll(async () => {
  await site.close();
  await redis.stop();
});

afterEach(async () => {
  for (const f of open.splice(0)) {
    await f.queue.clear().catch(() => undefined);
    await f.close();
  }
});

function frontier(options: Partial<RedisCrawlFrontierOptions> = {}): RedisCrawlFrontier {
  const f = new RedisCrawlFrontier({ redis: redis.url, name: `crawl${counter}`, ...options });
  open.push(f);
  return f;
}

async function drain(c: Crawl): Promise<PageResult[]> {
  const out: PageResult[] = [];
  for await (const page of c) out.push(page);
  return out;
}

describe("crawl with a RedisCrawlFrontier", { timeout: 30_000 }, () => {
  test("two crawlers share one crawl: every URL fetched and reported once, both end by themselves", async () => {
    counter++;
    const start = [site.url("/")];
    const a = spawn(drain, crawl(start, { frontier: frontier(), concurrency: 4, maxPages: 1000 }));
    const b = spawn(drain, crawl(start, { frontier: frontier(), concurrency: 4, maxPages: 1000 }));
    const [fromA, fromB] = [await a.wait(), await b.wait()];
    const reported = [...fromA, ...fromB].map((p) => p.url).sort();
    expect(reported).toEqual([...pages].sort());
    expect(fromA.length).toBeGreaterThan(0);
    expect(fromB.length).toBeGreaterThan(0);
    const missing = [...fromA, ...fromB].filter((p) => !p.ok).map((p) => p.url);
    expect(missing).toHaveLength(8); // the broken links, reported as failures
    const records = await open[0]?.results({ count: 10_000 });
    expect(records?.map((r) => r.value.url).sort()).toEqual([...pages].sort());
    expect(await open[0]?.unfinished()).toBe(0);
  });

  test("the page budget is shared by every crawler", async () => {
    counter++;
    const start = [site.url("/")];
    const a = spawn(drain, crawl(start, { frontier: frontier(), concurrency: 3, maxPages: 20 }));
    const b = spawn(drain, crawl(start, { frontier: frontier(), concurrency: 3, maxPages: 20 }));
    const all = [...(await a.wait()), ...(await b.wait())];
    expect(all).toHaveLength(20);
    expect(new Set(all.map((p) => p.url)).size).toBe(20);
  });

  test("URLs a dead worker took are crawled by the others after the visibility timeout", async () => {
    counter++;
    const dead = frontier({ visibilityTimeoutMs: 300 });
    await dead.seed([{ url: site.url("/"), depth: 0, referrer: null }], 1000);
    const took = await dead.take(2000); // the home page: taken, never finished
    expect(took?.url).toBe(site.url("/"));
    // The worker dies: its connections drop, its URL stays pending in Redis.
    await dead.close();
    const survivor = crawl([site.url("/")], {
      frontier: frontier({ visibilityTimeoutMs: 300 }),
      concurrency: 4,
      maxPages: 1000,
    });
    const got = await drain(survivor);
    expect(got.map((p) => p.url).sort()).toEqual([...pages].sort());
    expect(survivor.stats()).toMatchObject({ fetched: 73, failed: 8, inFlight: 0, queued: 0 });
  });

  test("stop() hands the URLs in flight back at once, and another crawler finishes the crawl", async () => {
    counter++;
    const firstFrontier = frontier({ visibilityTimeoutMs: 60_000 });
    const first = crawl([site.url("/")], {
      frontier: firstFrontier,
      concurrency: 4,
      maxPages: 1000,
    });
    const early: PageResult[] = [];
    for await (const page of first) {
      early.push(page);
      if (early.length === 5) await first.stop();
    }
    // The process exits: closing its frontier hands back what its reads had prefetched.
    await firstFrontier.close();
    // With a 60 s visibility timeout, only the hand-back lets the second crawler finish now.
    const rest = await drain(
      crawl([site.url("/")], {
        frontier: frontier({ visibilityTimeoutMs: 60_000 }),
        concurrency: 4,
        maxPages: 1000,
      }),
    );
    const urls = [...early, ...rest].map((p) => p.url);
    expect(new Set(urls).size).toBe(urls.length);
    expect(urls.sort()).toEqual([...pages].sort());
  });

  test("rejects something that is not a frontier", () => {
    expect(() => crawl([site.url("/")], { frontier: {} as never })).toThrow(/frontier must be/);
  });
});
