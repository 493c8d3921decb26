import { type RedisServer, startRedisServer, waitFor } from "@tendril/test-servers";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type LocalInternet, startInternet } from "../src/internet/internet.js";
import { killAll, type Program, start } from "./run.js";

/**
 * Fault tests of `crawler --redis URL --workers N`, against a real redis-server and local
 * sites. The kill -9 test crawls 5,000 pages (about 30 s on the 2-core test machine when it is
 * not shared; `TENDRIL_FAULT_PAGES` overrides it); the restart test a 1,500-page site, which is
 * enough to restart Redis in the middle of it.
 */
const PAGES = Number(process.env.TENDRIL_FAULT_PAGES ?? 5000);
const SMALL_PAGES = 1500;

let redis: RedisServer;
let admin: Redis;
let net: LocalInternet;
let small: LocalInternet;
let names = 0;

beforeAll(async () => {
  redis = await startRedisServer({ persistent: true });
  admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  admin.on("error", () => {}); // reconnects by itself across the restart test
  net = await startInternet({ pages: PAGES, latency: 0, failures: false });
  small = await startInternet({ pages: SMALL_PAGES, latency: 0, failures: false, seed: 2 });
});

afterAll(async () => {
  admin?.disconnect();
  await net?.close();
  await small?.close();
  await redis?.stop();
});

afterEach(killAll);

const keys = (name: string) => ({
  queue: `tendril:{${name}}:queue`,
  results: `tendril:{${name}}:results`,
});

/** Every URL recorded in the results stream, in order. */
async function recordedUrls(name: string): Promise<string[]> {
  const rows = (await admin.xrange(keys(name).results, "-", "+")) as [string, string[]][];
  return rows.map(([, fields]) => (JSON.parse(fields[1] as string) as { url: string }).url);
}

/** Starts the crawler on the test's site, with its frontier under `name`. */
function crawler(
  name: string,
  workers: number,
  maxPages = 100_000,
  site: LocalInternet = net,
): Program {
  return start("crawler", [
    "--redis",
    redis.url,
    "--workers",
    String(workers),
    "--name",
    name,
    "--max-pages",
    String(maxPages),
    "--concurrency",
    "8",
    "--timeout",
    "5s",
    "-q",
    site.homeUrl,
  ]);
}

async function waitForRecords(name: string, atLeast: number, ms: number): Promise<void> {
  await waitFor(
    async () => (await admin.xlen(keys(name).results)) >= atLeast,
    `at least ${atLeast} results in ${name}`,
    { timeoutMs: ms },
  );
}

/** Every page of a site (articles, home), as absolute URLs. */
function sitePages(site: LocalInternet): string[] {
  return site.site.pages().map((p) => new URL(p.path, site.origin).href);
}

function expectEveryPageOnce(urls: readonly string[], site: LocalInternet = net): void {
  expect(new Set(urls).size).toBe(urls.length); // nothing reported twice
  const got = new Set(urls);
  const missing = sitePages(site).filter((url) => !got.has(url));
  expect(missing).toEqual([]); // nothing lost
}

// Three worker processes and a real redis-server crawl a whole site, through kill -9 and a
// Redis restart: minutes on a loaded machine, each wait bounded on its own.
describe("crawler --redis URL --workers N", { timeout: 240_000 }, () => {
  test("kill -9 of a worker mid-crawl: every page is still fetched and reported exactly once", async () => {
    const name = `kill${++names}`;
    const program = crawler(name, 3);
    const [, pids] = (await program.waitFor(/workers: (.+?) frontier/, 60_000)) as RegExpMatchArray;
    const victim = Number(/2=pid (\d+)/.exec(pids as string)?.[1]);
    expect(victim).toBeGreaterThan(0);
    await waitForRecords(name, Math.floor(PAGES / 5), 120_000);
    process.kill(victim, "SIGKILL");
    const code = await program.exited(220_000);
    const out = program.stdout();
    expect(out).toMatch(/worker 2 \(pid \d+\) ended by SIGKILL/);
    expect(out).toMatch(/1 died \(2: SIGKILL\)/);
    expect(out).toMatch(/(\d[\d,]*) pages recorded, \1 distinct URLs, 0 reported twice/);
    expect(code).toBe(0);
    expectEveryPageOnce(await recordedUrls(name));
    expect(await admin.xlen(keys(name).queue)).toBe(0);
  });

  test("Redis restarted mid-crawl (appendonly, fsync always): the workers reconnect and finish", async () => {
    const name = `restart${++names}`;
    const program = crawler(name, 2, 100_000, small);
    await program.waitFor(/workers: /, 60_000);
    await waitForRecords(name, Math.floor(SMALL_PAGES / 5), 120_000);
    await redis.restart({ downMs: 500 });
    const code = await program.exited(150_000);
    expect(code).toBe(0);
    expect(program.stdout()).toMatch(/Workers: 2, all finished/);
    expectEveryPageOnce(await recordedUrls(name), small);
  });

  test("a malformed entry in the stream is dead-lettered, and the crawl finishes", async () => {
    const name = `malformed${++names}`;
    const program = crawler(name, 2, 300, small); // a part of a site is enough here
    await program.waitFor(/workers: /, 60_000);
    await waitForRecords(name, 1, 60_000);
    await admin.xadd(keys(name).queue, "*", "v", "{not a task");
    await admin.xadd(keys(name).queue, "*", "v", JSON.stringify({ url: 42 }));
    const code = await program.exited(150_000);
    expect(code).toBe(0);
    expect(program.stdout()).toMatch(/; 2 dead letters/);
    const dead = (await admin.xrange(`tendril:{${name}}:dead`, "-", "+")) as [string, string[]][];
    expect(dead.map(([, f]) => f[3])).toEqual(["malformed", "malformed"]);
    const urls = await recordedUrls(name);
    expect(urls).toHaveLength(300);
    expect(new Set(urls).size).toBe(300);
  });

  test("--workers needs --redis, and a whole number", async () => {
    const a = start("crawler", ["--workers", "2"]);
    expect(await a.exited(60_000)).toBe(2);
    expect(a.stderr()).toMatch(/--workers needs --redis URL/);
    const b = start("crawler", ["--redis", redis.url, "--workers", "0"]);
    expect(await b.exited(60_000)).toBe(2);
    expect(b.stderr()).toMatch(/--workers must be an integer from 1 to 256, received 0/);
  });
});
