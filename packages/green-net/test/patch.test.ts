// patch()/unpatch(): the global fetch (Node's bundled undici) and undici 7's own fetch and
// request go through a green client, so third-party code that fetches runs green.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extract } from "@extractus/feed-extractor";
import { GreenPool, GreenThreadExit, green, spawn, Timeout, withTimeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import {
  HttpClient,
  type LookupFunction,
  patch,
  patchedDispatcher,
  ResponseTooLarge,
  unpatch,
} from "@tendril/green-net";
import { waitFor } from "@tendril/test-servers";
import { getGlobalDispatcher, fetch as undiciFetch, request as undiciRequest } from "undici";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

const LEGACY_SLOT = Symbol.for("undici.globalDispatcher.1");
const CURRENT_SLOT = Symbol.for("undici.globalDispatcher.2");
const slots = globalThis as unknown as Record<symbol, unknown>;

function rss(n: number): string {
  const items = Array.from(
    { length: 3 },
    (_, i) =>
      `<item><title>Story ${n}.${i}</title><link>http://feeds.tendril.test/${n}/${i}</link></item>`,
  ).join("");
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed ${n}</title><link>http://feeds.tendril.test/${n}</link><description>Feed number ${n}</description>${items}</channel></rss>`;
}

const seen = { inFlight: 0, maxInFlight: 0, closedEarly: 0 };
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res: ServerResponse) => {
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    res.on("close", () => {
      seen.inFlight--;
      if (!res.writableFinished) seen.closedEarly++;
    });
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/hang") return;
    if (url.pathname === "/big") {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(Buffer.alloc(256 * 1024));
      return;
    }
    const feed = /^\/feed\/(\d+)$/.exec(url.pathname);
    if (feed) {
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/rss+xml; charset=utf-8" });
        res.end(rss(Number(feed[1])));
      }, 5);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`hello from ${req.headers.host}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

// A resolver that knows the test's made-up names: only a green client can reach them.
const asked: string[] = [];
const testLookup: LookupFunction = (hostname, options, callback) => {
  asked.push(hostname);
  const done = (typeof options === "function" ? options : callback) as (...args: unknown[]) => void;
  if (!hostname.endsWith(".tendril.test")) {
    done(Object.assign(new Error(`no such host ${hostname}`), { code: "ENOTFOUND" }));
  } else if (
    typeof options === "object" &&
    options !== null &&
    (options as { all?: boolean }).all
  ) {
    done(null, [{ address: "127.0.0.1", family: 4 }]);
  } else done(null, "127.0.0.1", 4);
};

let baseline: ReturnType<typeof leakBaseline>;
let client: HttpClient;
beforeEach(() => {
  baseline = leakBaseline();
  asked.length = 0;
  Object.assign(seen, { inFlight: 0, maxInFlight: 0, closedEarly: 0 });
});
afterEach(async () => {
  unpatch();
  await client?.close({ graceMs: 0 });
  server.closeAllConnections();
  await expectNoLeaks(baseline);
});

describe("patch", () => {
  test("sets both global dispatcher slots, and unpatch restores what they held", async () => {
    const legacyBefore = slots[LEGACY_SLOT];
    const currentBefore = slots[CURRENT_SLOT];
    client = new HttpClient();
    patch(client);
    expect(slots[LEGACY_SLOT]).toBe(client.dispatcher);
    expect(slots[CURRENT_SLOT]).toBe(client.dispatcher);
    expect(getGlobalDispatcher()).toBe(client.dispatcher);
    expect(patchedDispatcher()).toBe(client.dispatcher);
    expect(unpatch()).toBe(true);
    expect(slots[LEGACY_SLOT]).toBe(legacyBefore);
    expect(slots[CURRENT_SLOT]).toBe(currentBefore);
    expect(patchedDispatcher()).toBeNull();
    expect(unpatch()).toBe(false);
  });

  test("the global fetch (Node's bundled undici) goes through the green client", async () => {
    client = new HttpClient({ lookup: testLookup });
    await expect(globalThis.fetch(`http://api.tendril.test:${port}/`)).rejects.toThrow(
      "fetch failed",
    );
    patch(client);
    const response = await globalThis.fetch(`http://api.tendril.test:${port}/`);
    expect(await response.text()).toBe(`hello from api.tendril.test:${port}`);
    expect(asked).toEqual(["api.tendril.test"]);
  });

  test("undici's own fetch and request go through it too", async () => {
    client = new HttpClient({ lookup: testLookup });
    patch(client);
    const fetched = await undiciFetch(`http://a.tendril.test:${port}/`);
    expect(await fetched.text()).toBe(`hello from a.tendril.test:${port}`);
    const { body } = await undiciRequest(`http://b.tendril.test:${port}/`);
    expect(await body.text()).toBe(`hello from b.tendril.test:${port}`);
    expect(asked).toEqual(["a.tendril.test", "b.tendril.test"]);
  });

  test("returns a disposable: using scopes the patch", async () => {
    client = new HttpClient();
    {
      using _patched = patch(client);
      expect(patchedDispatcher()).toBe(client.dispatcher);
    }
    expect(patchedDispatcher()).toBeNull();
  });

  test("the client's concurrency limit and size limit apply to the global fetch", async () => {
    client = new HttpClient({ pool: 2, maxResponseBytes: 64 * 1024 });
    patch(client);
    const threads = Array.from({ length: 6 }, (_, i) =>
      spawn(async () => (await globalThis.fetch(`http://127.0.0.1:${port}/feed/${i}`)).text()),
    );
    for (const t of threads) expect(await t.wait()).toContain("<rss");
    expect(seen.maxInFlight).toBe(2);
    const error = await (async () =>
      (await globalThis.fetch(`http://127.0.0.1:${port}/big`)).arrayBuffer())().catch(
      (e: unknown) => e,
    );
    expect((error as Error).cause ?? error).toBeInstanceOf(ResponseTooLarge);
  });

  test("killing a thread aborts its global fetch, and the thread ends by the kill", async () => {
    client = new HttpClient();
    patch(client);
    const t = spawn(async () => globalThis.fetch(`http://127.0.0.1:${port}/hang`));
    const outcome = t.wait().then(
      () => null,
      (error: unknown) => error,
    );
    await waitFor(() => seen.inFlight === 1, "the request to reach the server");
    await t.kill();
    await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
    // fetch rejects with TypeError("fetch failed", { cause: kill }); the kill still wins.
    expect(await outcome).toBeInstanceOf(GreenThreadExit);
  });

  test("a thread that awaits the patched fetch through green() receives the kill itself", async () => {
    client = new HttpClient();
    patch(client);
    const t = spawn(async () => green(globalThis.fetch(`http://127.0.0.1:${port}/hang`)));
    const outcome = t.wait().then(
      () => null,
      (error: unknown) => error,
    );
    await waitFor(() => seen.inFlight === 1, "the request to reach the server");
    await t.kill();
    expect(await outcome).toBeInstanceOf(GreenThreadExit);
    await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
  });

  test("a Timeout aborts a global fetch made under withTimeout", () =>
    withVirtualHub(async () => {
      client = new HttpClient();
      patch(client);
      const error = await withTimeout(50, () =>
        globalThis.fetch(`http://127.0.0.1:${port}/hang`),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Timeout);
      await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
    }));
});

describe("a real feed library, patched", () => {
  test("@extractus/feed-extractor fetches with the global fetch, which now runs green", async () => {
    client = new HttpClient({ lookup: testLookup, pool: 3 });
    patch(client);
    const pool = new GreenPool(10);
    const urls = Array.from({ length: 8 }, (_, n) => `http://feeds.tendril.test:${port}/feed/${n}`);
    const titles: string[] = [];
    for await (const feed of pool.imap((url: string) => extract(url), urls))
      titles.push(feed.title ?? "");
    expect(titles).toEqual(urls.map((_, n) => `Feed ${n}`));
    expect(asked.every((h) => h === "feeds.tendril.test")).toBe(true);
    expect(seen.maxInFlight).toBeLessThanOrEqual(3);
  });

  test("killing the thread that runs the library stops its request", async () => {
    client = new HttpClient({ lookup: testLookup });
    patch(client);
    const t = spawn(() => extract(`http://feeds.tendril.test:${port}/hang`));
    const outcome = t.wait().then(
      () => null,
      (error: unknown) => error,
    );
    await waitFor(() => seen.inFlight === 1, "the request to reach the server");
    await t.kill();
    await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
    expect(await outcome).toBeInstanceOf(GreenThreadExit);
  });
});
