import { findExecutable, type RedisServer, startRedisServer } from "@tendril/test-servers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openRedisPool, recordVisit, runVisitors, topPages } from "../src/resource-pool.js";
import { killAll, run } from "./run.js";

afterEach(killAll);

describe.skipIf(findExecutable("redis-server") === undefined && !process.env.CI)(
  "resource-pool",
  () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("counts every visit of many threads over at most max connections", async () => {
      const pool = openRedisPool(server.url, 3);
      try {
        expect(await runVisitors(pool, 12, 5)).toBe(60);
        expect(pool.size()).toBeLessThanOrEqual(3);
        const top = await topPages(pool, 4);
        expect(top.reduce((sum, [, n]) => sum + n, 0)).toBe(60);
        expect(await recordVisit(pool, "/")).toBe(61);
      } finally {
        await pool.close();
      }
      expect(pool.size()).toBe(0);
    });

    it("runs as a program and prints the total", async () => {
      const { code, stdout } = await run("resource-pool", [
        "--redis",
        server.url,
        "-w",
        "10",
        "-n",
        "3",
      ]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/30 visits by 10 threads over [1-4] connection\(s\)/);
    });

    it("refuses to run without --redis, with status 2", async () => {
      const { code, stderr } = await run("resource-pool", []);
      expect(code).toBe(2);
      expect(stderr).toMatch(/--redis URL is required/);
    });
  },
);
