/**
 * ResourcePool with a real client against a real server: ioredis connections to a
 * `redis-server` that the test starts on a loopback port (Debian's package).
 */
import { once } from "node:events";
import { green, ResourcePool, spawn, Timeout, withTimeout } from "@tendril/core";
import { findExecutable, type RedisServer, startRedisServer } from "@tendril/test-servers";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

function redisPool(max: number) {
  const created: Redis[] = [];
  const pool = new ResourcePool<Redis>({
    create: async () => {
      // No reconnecting and no offline queue: a broken connection fails fast, and the pool
      // replaces it.
      const client = new Redis({
        host: "127.0.0.1",
        port: server.port,
        lazyConnect: true,
        retryStrategy: () => null,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
      });
      client.on("error", () => undefined); // failures surface through the commands
      await client.connect();
      created.push(client);
      return client;
    },
    destroy: async (client) => {
      if (client.status === "end") return;
      const ended = once(client, "end");
      client.disconnect();
      await ended;
    },
    validate: (client) => client.status === "ready",
    max,
  });
  return { pool, created };
}

describe.skipIf(findExecutable("redis-server") === undefined && !process.env.CI)(
  "ResourcePool of ioredis connections against a real redis-server",
  () => {
    test("twenty green threads share three connections", async () => {
      const { pool, created } = redisPool(3);
      try {
        await green(pool.use((r) => r.del("hits")));
        const threads = Array.from({ length: 20 }, (_, i) =>
          spawn(() =>
            pool.use(async (r) => {
              await r.incr("hits");
              return r.rpush("seen", String(i));
            }),
          ),
        );
        for (const t of threads) await t.wait();
        expect(await pool.use((r) => r.get("hits"))).toBe("20");
        expect(created.length).toBeLessThanOrEqual(3);
        expect(pool.size()).toBe(created.length);
        expect(pool.inUse()).toBe(0);
      } finally {
        await pool.close();
      }
      expect(created.every((c) => c.status === "end")).toBe(true);
    });

    test("a connection killed by the server is discarded and replaced", async () => {
      const { pool, created } = redisPool(2);
      try {
        // A broken connection in use: its command fails, use() discards it.
        await expect(
          pool.use(async (r) => {
            const id = await r.client("ID");
            const ended = once(r, "end");
            const killer = new Redis({ host: "127.0.0.1", port: server.port });
            try {
              await killer.client("KILL", "ID", String(id));
            } finally {
              killer.disconnect();
            }
            await ended;
            return r.ping();
          }),
        ).rejects.toThrow();
        expect([pool.size(), created.length]).toEqual([0, 1]);
        expect(created[0]?.status).toBe("end");

        // A connection that dies while idle: validate() drops it at the next checkout.
        const idle = await pool.acquire();
        const idleId = await idle.client("ID");
        pool.release(idle);
        const ended = once(idle, "end");
        const killer = new Redis({ host: "127.0.0.1", port: server.port });
        try {
          await killer.client("KILL", "ID", String(idleId));
        } finally {
          killer.disconnect();
        }
        await ended;
        {
          await using conn = await pool.item();
          expect(conn.value).not.toBe(idle);
          expect(await conn.value.ping()).toBe("PONG");
        }
        expect(created).toHaveLength(3);
        expect(pool.size()).toBe(1);
      } finally {
        await pool.close();
      }
    });

    test("a checkout that times out while every connection is busy loses no connection", async () => {
      const { pool, created } = redisPool(1);
      try {
        const holder = await pool.item();
        const impatient = spawn(() => withTimeout(20, () => pool.acquire()));
        await expect(impatient.wait()).rejects.toBeInstanceOf(Timeout);
        expect(pool.waiting()).toBe(0);
        const patient = spawn(() => pool.use((r) => r.ping()));
        holder.release();
        expect(await patient.wait()).toBe("PONG");
        expect(created).toHaveLength(1);
        expect([pool.size(), pool.idle()]).toEqual([1, 1]);
      } finally {
        await pool.close();
      }
    });
  },
);
