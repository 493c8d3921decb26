/**
 * feed-scraper-client's helpers: telling a running feed scraper from anything else on its port,
 * and naming the upstream of a failed feed.
 */

import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { describe, expect, test } from "vitest";
import { startFeedScraper } from "../src/feed-scraper.js";
import { type FeedResult, formatFeedResults, probeScraper } from "../src/feed-scraper-client.js";

/** Listens on 127.0.0.1, port 0; returns the URL and a closer that also ends open sockets. */
async function serve(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("probeScraper", () => {
  test("recognises a feed scraper by the header on its page", async () => {
    const scraper = await startFeedScraper({ port: 0, logRequests: false });
    try {
      expect(await probeScraper(scraper.url)).toBe("scraper");
    } finally {
      await scraper.close();
    }
  });

  test("another HTTP server on the port is 'other'", async () => {
    const other = await serve(createHttpServer((_, res) => res.end("hello")));
    try {
      expect(await probeScraper(other.url)).toBe("other");
    } finally {
      await other.close();
    }
  });

  test("a server that accepts and never answers is 'other', once the probe's timeout passes", async () => {
    const silent = await serve(createServer(() => {}));
    try {
      expect(await probeScraper(silent.url, 200)).toBe("other");
    } finally {
      await silent.close();
    }
  });

  test("a port where nothing listens is 'none'", async () => {
    const gone = await serve(createServer());
    await gone.close();
    expect(await probeScraper(gone.url)).toBe("none");
  });
});

describe("formatFeedResults", () => {
  test("a failed feed names its upstream by host, after the file name", () => {
    const url = "http://127.0.0.1:41234/feeds/broken.rss";
    const results: FeedResult[] = [
      {
        url,
        ok: false,
        error: {
          code: "ERR_TENDRIL_HTTP_STATUS",
          message: `HTTP 500 Internal Server Error from ${url}`,
        },
        ms: 12,
      },
    ];
    expect(formatFeedResults(results)).toContain(
      "broken.rss: HTTP 500 Internal Server Error from 127.0.0.1:41234",
    );
  });
});
