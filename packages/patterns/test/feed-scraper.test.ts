import type { AddressInfo } from "node:net";
import { GreenPool } from "@tendril/core";
import { HttpError, listen, ResponseTooLarge, serveHttp } from "@tendril/green-net";
import { OutboundRefused } from "@tendril/patterns";
import {
  createFeedScraper,
  type FeedTitleResult,
  fetchFeedTitle,
} from "@tendril/patterns/feed-scraper";
import { waitFor } from "@tendril/test-servers";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { atom, type LocalServer, rdf, redirect, reply, rss, startServer } from "./local-http.js";

let feeds: LocalServer;

beforeAll(async () => {
  feeds = await startServer({
    "/rss.xml": reply(rss("RSS Feed"), "application/rss+xml"),
    "/atom.xml": reply(atom("Atom Feed"), "application/atom+xml"),
    "/rdf.xml": reply(rdf("RDF Feed"), "application/rdf+xml"),
    "/latin1.xml": (_req, res) => {
      res.writeHead(200, { "content-type": "application/xml" });
      res.end(
        Buffer.from(
          `<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Caf\xe9</title></channel></rss>`,
          "latin1",
        ),
      );
    },
    "/slow.xml": reply(rss("Slow Feed"), "application/rss+xml", 5_000),
    "/error.xml": reply("oops", "text/plain", 0, 500),
    "/malformed.xml": reply("<html><body>this is not a feed", "text/html"),
    "/huge.xml": reply(rss("Huge", 5_000), "application/rss+xml"),
    "/moved.xml": redirect("/rss.xml"),
    "/to-private.xml": redirect("http://10.0.0.1/feed.xml"),
    "/loop.xml": redirect("/loop.xml"),
  });
});

afterAll(() => feeds.close());

const allow = { allowLoopback: true };

const post = (body: string, headers: Record<string, string> = {}) =>
  new Request("http://scraper.test/", { method: "POST", body, headers });

describe("fetchFeedTitle", () => {
  test("reads the title of RSS 2.0, Atom and RDF feeds", async () => {
    expect(await fetchFeedTitle(feeds.url("/rss.xml"), allow)).toBe("RSS Feed");
    expect(await fetchFeedTitle(feeds.url("/atom.xml"), allow)).toBe("Atom Feed");
    expect(await fetchFeedTitle(feeds.url("/rdf.xml"), allow)).toBe("RDF Feed");
  });

  test("decodes the charset the XML declaration names", async () => {
    expect(await fetchFeedTitle(feeds.url("/latin1.xml"), allow)).toBe("Café");
  });

  test("refuses loopback unless allowed, before any request is made", async () => {
    const before = feeds.hits.get("/rss.xml") ?? 0;
    await expect(fetchFeedTitle(feeds.url("/rss.xml"))).rejects.toBeInstanceOf(OutboundRefused);
    expect(feeds.hits.get("/rss.xml") ?? 0).toBe(before);
  });

  test("follows redirects, checking every hop against the policy", async () => {
    expect(await fetchFeedTitle(feeds.url("/moved.xml"), allow)).toBe("RSS Feed");
    await expect(fetchFeedTitle(feeds.url("/to-private.xml"), allow)).rejects.toMatchObject({
      code: "ERR_TENDRIL_OUTBOUND_REFUSED",
      category: "private",
    });
    await expect(fetchFeedTitle(feeds.url("/loop.xml"), allow)).rejects.toMatchObject({
      code: "ERR_TENDRIL_HTTP_TOO_MANY_REDIRECTS",
    });
  });

  test("a feed over the size limit fails before it is parsed", async () => {
    await expect(
      fetchFeedTitle(feeds.url("/huge.xml"), { ...allow, maxFeedBytes: 16 * 1024 }),
    ).rejects.toBeInstanceOf(ResponseTooLarge);
  });

  test("a non-2xx answer is an HttpStatusError", async () => {
    const error = await fetchFeedTitle(feeds.url("/error.xml"), allow).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(500);
  });
});

describe("createFeedScraper", () => {
  const pool = new GreenPool(100);

  test("POST text/plain: one title per line, in input order", async () => {
    const handler = createFeedScraper({ pool, ...allow });
    const response = await handler(
      post(
        `${feeds.url("/atom.xml")}\n\n# a comment\n${feeds.url("/rss.xml")}\n${feeds.url("/rdf.xml")}\n`,
      ),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toBe("Atom Feed\nRSS Feed\nRDF Feed\n");
  });

  test("POST JSON: partial results, a failed feed is an error entry and the request succeeds", async () => {
    const handler = createFeedScraper({
      pool,
      ...allow,
      maxFeedBytes: 16 * 1024,
      deadlineMs: 1_000,
    });
    const urls = [
      feeds.url("/rss.xml"),
      feeds.url("/error.xml"),
      feeds.url("/malformed.xml"),
      feeds.url("/huge.xml"),
      feeds.url("/slow.xml"),
      "not a url",
    ];
    const response = await handler(
      post(JSON.stringify(urls), { "content-type": "application/json" }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      titles: Array<string | null>;
      results: FeedTitleResult[];
    };
    expect(body.titles).toEqual(["RSS Feed", null, null, null, null, null]);
    const codes = body.results.map((r) => (r.ok ? "ok" : r.error.code));
    expect(codes).toEqual([
      "ok",
      "ERR_TENDRIL_HTTP_STATUS",
      "ERR_TENDRIL_INVALID_FEED",
      "ERR_TENDRIL_HTTP_RESPONSE_TOO_LARGE",
      "ERR_TENDRIL_DEADLINE_TIMEOUT",
      "ERR_INVALID_URL",
    ]);
    expect(body.results.map((r) => r.url)).toEqual(urls);
  });

  test("a feed slower than its timeout is an upstream timeout entry", async () => {
    const handler = createFeedScraper({ pool, ...allow, timeout: 200, deadlineMs: 4_000 });
    const response = await handler(
      post(`${feeds.url("/slow.xml")}\n${feeds.url("/rss.xml")}`, { accept: "application/json" }),
    );
    const body = (await response.json()) as { results: FeedTitleResult[] };
    expect(body.results[0]).toMatchObject({
      ok: false,
      error: { code: "ERR_TENDRIL_CALL_TIMEOUT" },
    });
    expect(body.results[1]).toMatchObject({ ok: true, title: "RSS Feed" });
    expect(body.results[0]?.ms).toBeGreaterThanOrEqual(190);
  });

  test("refuses loopback feeds by default, as error entries", async () => {
    const handler = createFeedScraper({ pool });
    const response = await handler(post(feeds.url("/rss.xml"), { accept: "application/json" }));
    const body = (await response.json()) as { results: FeedTitleResult[] };
    expect(body.results[0]).toMatchObject({
      ok: false,
      error: { code: "ERR_TENDRIL_OUTBOUND_REFUSED" },
    });
    const text = await (await handler(post(feeds.url("/rss.xml")))).text();
    expect(text).toMatch(/^\[error\] .*refused/);
  });

  test("caps the feeds per request with 413, before fetching any", async () => {
    const handler = createFeedScraper({ pool, ...allow, maxFeeds: 2 });
    const before = feeds.hits.get("/rss.xml") ?? 0;
    const response = await handler(post(Array(3).fill(feeds.url("/rss.xml")).join("\n")));
    expect(response.status).toBe(413);
    expect(feeds.hits.get("/rss.xml") ?? 0).toBe(before);
  });

  test("answers 405 to anything but POST, 413 to a huge body, 400 to bad JSON", async () => {
    const handler = createFeedScraper({ pool, ...allow, maxRequestBytes: 100 });
    const get = await handler(new Request("http://scraper.test/"));
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await handler(post("x".repeat(101)))).status).toBe(413);
    expect((await handler(post("[1,", { "content-type": "application/json" }))).status).toBe(400);
    expect(
      (await handler(post('{"urls":[1]}', { "content-type": "application/json" }))).status,
    ).toBe(400);
  });

  test("on serveHttp: titles over real HTTP, and a client that gives up cancels its fetches", async () => {
    const handler = createFeedScraper({ pool, ...allow, deadlineMs: 30_000, timeout: 30_000 });
    const server = await serveHttp(await listen(["127.0.0.1", 0]), handler);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const response = await fetch(base, {
        method: "POST",
        body: `${feeds.url("/rss.xml")}\n${feeds.url("/atom.xml")}\n`,
      });
      expect(await response.text()).toBe("RSS Feed\nAtom Feed\n");

      const before = feeds.hits.get("/slow.xml") ?? 0;
      const controller = new AbortController();
      const abandoned = fetch(base, {
        method: "POST",
        body: feeds.url("/slow.xml"),
        signal: controller.signal,
      }).catch(() => "aborted");
      await waitFor(
        () => (feeds.hits.get("/slow.xml") ?? 0) > before,
        "the slow feed to be requested",
      );
      expect(feeds.load.now).toBeGreaterThan(0);
      controller.abort();
      expect(await abandoned).toBe("aborted");
      // The request's thread was killed, its fetch aborted: the feed server sees the close.
      await waitFor(() => feeds.load.now === 0, "the feed server to see the request closed");
      expect(feeds.load.now).toBe(0);
    } finally {
      await server.close();
    }
  });
});
