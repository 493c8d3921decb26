/**
 * `resource-pool`: many green threads sharing a few Redis connections through a
 * `ResourcePool` — Eventlet's `db_pool`, with ioredis as the client. Each worker thread
 * records page visits; the pool keeps at most `--max` connections open, replaces one that
 * breaks, and closes them all at the end.
 *
 * Run: `node dist/resource-pool.js --redis redis://127.0.0.1:6379 -w 50 -n 20`.
 *
 * @module
 */

import { ResourcePool, spawn } from "@tendril/core";
import { Redis } from "ioredis";
import { bold, log, parseCli, runMain, usageError } from "./cli.js";

// #region pool
/** A pool of at most `max` ioredis connections to `url`. */
export function openRedisPool(url: string, max = 4): ResourcePool<Redis> {
  return new ResourcePool<Redis>({
    create: async () => {
      // Fail fast instead of reconnecting behind the pool's back: the pool replaces it.
      const client = new Redis(url, {
        lazyConnect: true,
        retryStrategy: () => null,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
      });
      client.on("error", () => undefined); // errors reach the commands that fail
      await client.connect();
      return client;
    },
    validate: (client) => client.status === "ready",
    destroy: (client) => client.disconnect(),
    max,
    idleTimeoutMs: 30_000,
  });
}
// #endregion pool

// #region use
/** One visit: count it, and remember the page (a broken connection is discarded by `use`). */
export function recordVisit(pool: ResourcePool<Redis>, page: string): Promise<number> {
  return pool.use(async (redis) => {
    await redis.zincrby("visits:pages", 1, page);
    return redis.incr("visits:total");
  });
}

/** The `top` most visited pages with their counts, most visited first. */
export async function topPages(
  pool: ResourcePool<Redis>,
  top = 3,
): Promise<Array<[string, number]>> {
  await using conn = await pool.item();
  const flat = await conn.value.zrevrange("visits:pages", 0, top - 1, "WITHSCORES");
  const out: Array<[string, number]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, Number(flat[i + 1])]);
  return out;
}
// #endregion use

/** Runs `workers` green threads that each record `visits` visits; returns the final total. */
export async function runVisitors(
  pool: ResourcePool<Redis>,
  workers: number,
  visits: number,
): Promise<number> {
  const pages = ["/", "/about", "/blog", "/contact"];
  const threads = Array.from({ length: workers }, (_, w) =>
    spawn(async () => {
      for (let i = 0; i < visits; i++)
        await recordVisit(pool, pages[(w + i * i) % pages.length] as string);
    }),
  );
  for (const t of threads) await t.wait();
  return pool.use(async (redis) => Number(await redis.get("visits:total")));
}

const spec = {
  name: "resource-pool",
  summary: "many green threads share a few Redis connections through a ResourcePool",
  flags: {
    redis: {
      type: "string",
      short: "r",
      description: "the Redis server to use (required)",
      valueName: "URL",
    },
    workers: { type: "number", short: "w", default: 50, description: "green threads" },
    visits: { type: "number", short: "n", default: 20, description: "visits per thread" },
    max: { type: "number", short: "m", default: 4, description: "connections at most" },
  },
  examples: ["node dist/resource-pool.js --redis redis://127.0.0.1:6379 -w 100"],
} as const;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(spec, argv);
  if (values.redis === undefined) usageError(spec.name, "--redis URL is required");
  await using pool = openRedisPool(values.redis, values.max);
  await pool.use((redis) => redis.del("visits:pages", "visits:total"));
  const total = await runVisitors(pool, values.workers, values.visits);
  log(
    `${bold(String(total))} visits by ${values.workers} threads over ${pool.size()} connection(s)`,
  );
  for (const [page, n] of await topPages(pool)) log(`  ${page}  ${n}`);
  return 0;
}

runMain(import.meta.url, main);
