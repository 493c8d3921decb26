import { createConnection } from "node:net";
import { describe, expect, it } from "vitest";
import { findExecutable, startRedisServer } from "../src/index.js";

function command(port: number, ...parts: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    socket.on("error", reject);
    socket.on("connect", () => {
      socket.write(
        `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join("")}`,
      );
    });
    socket.on("data", (c) => {
      reply += c.toString();
      if (reply.endsWith("\r\n")) {
        socket.end();
        resolve(reply);
      }
    });
  });
}

describe.skipIf(findExecutable("redis-server") === undefined && !process.env.CI)(
  "startRedisServer",
  () => {
    it("starts a real redis on a loopback port, keeps data across a restart when persistent, and stops", async () => {
      const redis = await startRedisServer({ persistent: true });
      try {
        expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
        expect(await command(redis.port, "SET", "k", "v")).toBe("+OK\r\n");
        const before = redis.pid;
        await redis.restart();
        expect(redis.pid).not.toBe(before);
        expect(await command(redis.port, "GET", "k")).toBe("$1\r\nv\r\n");
      } finally {
        await redis.stop();
      }
      await expect(command(redis.port, "PING")).rejects.toThrow(/ECONNREFUSED/);
    });
  },
);
