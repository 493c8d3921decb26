/**
 * One contender of the crawl-redis suite: `crawl()` from `@tendril/patterns` over the suite's
 * site, with its frontier in memory (`memory`) or in Redis (`redis`, one worker of possibly
 * several sharing the frontier `name`). Prints a RESULT line with the pages this process
 * reported, when its crawl started and ended (epoch ms), the CPU time its crawl took, and when
 * each page was reported, so the suite can time several workers as one crawl.
 *
 * usage: node crawl-redis.js memory <port> <pages> <concurrency>
 *        node crawl-redis.js redis <port> <pages> <concurrency> <redis-url> <name>
 */

import { crawl } from "@tendril/patterns";
import { RedisCrawlFrontier } from "@tendril/patterns/redis-queue";
import { Redis } from "ioredis";
import { cpuNow, emit } from "../harness.js";

const [mode, port, pagesArg, concurrencyArg, redisUrl, name] = process.argv.slice(2);
const pages = Number(pagesArg);
const concurrency = Number(concurrencyArg);
const start = [`http://127.0.0.1:${port}/p/0`];
const options = {
  concurrency,
  perOriginLimit: concurrency,
  maxPages: pages,
  pageTimeoutMs: 30_000,
};

let frontier: RedisCrawlFrontier | undefined;
if (mode === "redis") {
  if (redisUrl === undefined || name === undefined)
    throw new Error("redis mode needs <redis-url> <name>");
  frontier = new RedisCrawlFrontier({ redis: redisUrl, name, visibilityTimeoutMs: 60_000 });
  await frontier.unfinished(); // connect before the clock starts, as the in-memory crawl needs no connection
  // Start together: a worker that is slow to load would otherwise stretch the crawl's time.
  const barrier = new Redis(redisUrl);
  await barrier.incr(`bench:{${name}}:ready`);
  await barrier.blpop(`bench:{${name}}:go`, 0);
  barrier.disconnect();
} else if (mode !== "memory") {
  throw new Error(`mode must be memory or redis, received ${JSON.stringify(mode)}`);
}

const startedAt = Date.now();
const cpuAtStart = cpuNow();
let reported = 0;
let failed = 0;
// When each page was reported (ms after startedAt), so the suite can tell the crawl's warm
// part (every process has JIT-compiled its code) from its cold start.
const times: number[] = [];
for await (const page of crawl(
  start,
  frontier === undefined ? options : { ...options, frontier },
)) {
  reported++;
  times.push(Date.now() - startedAt);
  if (!page.ok) failed++;
}
const endedAt = Date.now();
const cpuMs = cpuNow() - cpuAtStart;
await frontier?.close();
emit({ reported, failed, startedAt, endedAt, cpuMs, times: times.join(",") });
