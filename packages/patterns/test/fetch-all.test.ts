import { GreenPool } from "@tendril/core";
import { HttpError } from "@tendril/green-net";
import { CallTimeout, type FetchResult, fetchAll } from "@tendril/patterns";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type LocalServer, reply, startServer } from "./local-http.js";

let site: LocalServer;

beforeAll(async () => {
  site = await startServer({
    "/slow": reply("slow body", "text/plain", 150),
    "/fast": reply("fast", "text/plain"),
    "/missing": reply("no", "text/plain", 0, 404),
    "/big": reply("x".repeat(50_000), "text/plain"),
    "/hang": reply("never", "text/plain", 10_000),
    ...Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [
        `/n/${i}`,
        reply(`body ${i}`, "text/plain", (20 - i) * 3),
      ]),
    ),
  });
});

afterAll(() => site.close());

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const text = (r: FetchResult<Uint8Array>) => (r.ok ? new TextDecoder().decode(r.value) : r.error);

describe("fetchAll", () => {
  test("yields bodies in input order even when later URLs finish first", async () => {
    const results = await collect(fetchAll([site.url("/slow"), site.url("/fast")]));
    expect(results.map(text)).toEqual(["slow body", "fast"]);
    expect(results.map((r) => r.url)).toEqual([site.url("/slow"), site.url("/fast")]);
  });

  test("never has more fetches in flight than the pool's size", async () => {
    const pool = new GreenPool(4);
    const urls = Array.from({ length: 20 }, (_, i) => site.url(`/n/${i}`));
    const results = await collect(fetchAll(urls, { pool }));
    expect(results.map(text)).toEqual(urls.map((_, i) => `body ${i}`));
    expect(site.load.peak).toBeLessThanOrEqual(4 + 2); // the earlier tests' connections may linger
    expect(pool.running()).toBe(0);
  });

  test("pulls URLs lazily from an async iterable", async () => {
    let pulled = 0;
    async function* urls() {
      for (let i = 0; i < 20; i++) {
        pulled++;
        yield site.url(`/n/${i}`);
      }
    }
    const pool = new GreenPool(2);
    const iterator = fetchAll(urls(), { pool });
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(pulled).toBeLessThan(20);
    await iterator.return?.();
  });

  test("failures are entries and the loop goes on", async () => {
    const results = await collect(
      fetchAll([site.url("/missing"), site.url("/big"), site.url("/fast"), "http://127.0.0.1:1/"], {
        maxResponseBytes: 10_000,
      }),
    );
    expect(results[0]?.ok).toBe(false);
    expect(!results[0]?.ok && results[0]?.error).toBeInstanceOf(HttpError);
    expect(results[1]).toMatchObject({
      ok: false,
      error: { code: "ERR_TENDRIL_HTTP_RESPONSE_TOO_LARGE" },
    });
    expect(text(results[2] as FetchResult<Uint8Array>)).toBe("fast");
    expect(results[3]?.ok).toBe(false);
  });

  test("a URL slower than timeout becomes a CallTimeout entry", async () => {
    const results = await collect(
      fetchAll([site.url("/hang"), site.url("/fast")], { timeout: 100 }),
    );
    expect(!results[0]?.ok && results[0]?.error).toBeInstanceOf(CallTimeout);
    expect(results[1]?.ok).toBe(true);
  });

  test("read turns the response into any value", async () => {
    const results = await collect(
      fetchAll([site.url("/fast")], {
        read: async (response) => (await response.text()).toUpperCase(),
      }),
    );
    expect(results[0]).toMatchObject({ ok: true, status: 200, value: "FAST" });
  });
});
