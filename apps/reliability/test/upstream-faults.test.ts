// Upstream faults: the dispatch recipe (the feed scraper) and the client pattern (fetchAll)
// facing hostile loopback upstreams — a hang after the headers, a reset mid-body, an endless
// body, a declared "10 GB" body, an XML entity bomb, invalid XML, a redirect loop, redirects to
// another scheme or to a refused host, and a name that does not resolve (local DNS server).
// Each must become an error entry of its own (the entity bomb may instead stay unexpanded, the
// parser's documented defence) while the good feeds still answer; and a thousand
// cancelled requests must not exhaust the client's connection pool.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { GreenPool, withTimeout } from "@tendril/core";
import {
  getDefaultResolver,
  Resolver,
  type Resolver as ResolverType,
  setDefaultResolver,
  urlopen,
} from "@tendril/green-net";
import { type DnsServer, startDnsServer } from "@tendril/green-net/testing";
import { fetchAll } from "@tendril/patterns";
import { createFeedScraper, type FeedTitleResult } from "@tendril/patterns/feed-scraper";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Section } from "./results.js";

const section = new Section(
  "upstream-faults",
  "Upstream faults in the client and dispatch patterns",
);

const GOOD_FEED = "<rss><channel><title>Good feed</title></channel></rss>";
const BOMB = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss><channel><title>&lol9;</title></channel></rss>`;

let upstream: Server;
let base: string;
let port: number;
let dns: DnsServer;
let previousResolver: ResolverType;
let tenGbBytesSent = 0;
const open = new Set<ServerResponse>();

function xml(res: ServerResponse, body: string): void {
  res.writeHead(200, { "content-type": "application/rss+xml" }).end(body);
}

beforeAll(async () => {
  dns = await startDnsServer({
    "good.test": { A: ["127.0.0.1"] },
    "internal.test": { A: ["10.9.8.7"] },
  });
  previousResolver = getDefaultResolver();
  setDefaultResolver(new Resolver({ servers: [dns.address], hostsFile: null }));
  upstream = createServer((req, res) => {
    open.add(res);
    res.on("close", () => open.delete(res));
    switch (new URL(req.url ?? "/", "http://x").pathname) {
      case "/good":
        return xml(res, GOOD_FEED);
      case "/hang-after-headers":
        res.writeHead(200, { "content-type": "application/rss+xml" });
        res.flushHeaders();
        return; // never a byte of body
      case "/reset-mid-body":
        res.writeHead(200, { "content-type": "application/rss+xml", "content-length": "4096" });
        res.write("<rss><channel><tit");
        setTimeout(() => req.socket.resetAndDestroy(), 5);
        return;
      case "/endless": {
        res.writeHead(200, { "content-type": "application/rss+xml" });
        res.write("<rss><channel><title>");
        const chunk = "x".repeat(16 * 1024);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk)) {}
          if (!res.destroyed) res.once("drain", pump);
        };
        return pump();
      }
      case "/ten-gb": {
        // Declares 10 GB and streams it lazily, only as fast as the client reads.
        res.writeHead(200, {
          "content-type": "application/rss+xml",
          "content-length": String(10 * 1024 ** 3),
        });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = (): void => {
          let more = true;
          while (!res.destroyed && more) {
            more = res.write(chunk);
            tenGbBytesSent += chunk.length;
          }
          if (!res.destroyed) res.once("drain", pump);
        };
        return pump();
      }
      case "/bomb":
        return xml(res, BOMB);
      case "/invalid":
        return xml(res, "<rss><channel><title>unclosed</channel></rss");
      case "/loop":
        return void res.writeHead(302, { location: "/loop" }).end();
      case "/to-ftp":
        return void res.writeHead(302, { location: `ftp://127.0.0.1:${port}/feed` }).end();
      case "/to-internal":
        return void res.writeHead(302, { location: "http://internal.test/feed" }).end();
      default:
        return void res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  port = (upstream.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const res of open) res.destroy();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
  setDefaultResolver(previousResolver);
  await dns.close();
  section.write();
});

const FAULTS: Record<string, string> = {
  "hang after headers": "/hang-after-headers",
  "reset mid-body": "/reset-mid-body",
  "endless body": "/endless",
  "declared 10 GB body": "/ten-gb",
  "XML entity bomb": "/bomb",
  "invalid XML": "/invalid",
  "redirect loop": "/loop",
  "redirect to another scheme": "/to-ftp",
  "redirect to a refused host": "/to-internal",
};

// Every fault of the hostile feed server, each up to its 1 s deadline: tens of seconds under load.
describe("the feed scraper (dispatch pattern) under upstream faults", { timeout: 60_000 }, () => {
  test("turns every fault into its own error entry; the good feeds still answer", async () => {
    const deadline = 3000;
    const scraper = createFeedScraper({
      pool: new GreenPool(100),
      allowLoopback: true,
      deadlineMs: deadline,
      timeout: 1000,
      maxFeedBytes: 256 * 1024,
    });
    const urls = [
      `${base}/good`,
      ...Object.values(FAULTS).map((p) => `${base}${p}`),
      `http://nowhere.test:${port}/good`, // NXDOMAIN from the local DNS server
      `http://good.test:${port}/good`,
    ];
    const response = await scraper(
      new Request("http://scraper.test/", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(urls),
      }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { results: FeedTitleResult[]; ms: number };
    const byUrl = new Map(body.results.map((r) => [r.url, r]));
    expect(byUrl.get(`${base}/good`)).toMatchObject({ ok: true, title: "Good feed" });
    expect(byUrl.get(`http://good.test:${port}/good`)).toMatchObject({
      ok: true,
      title: "Good feed",
    });
    const names = [...Object.keys(FAULTS), "name that does not resolve"];
    const faultUrls = urls.slice(1, -1);
    faultUrls.forEach((url, i) => {
      const r = byUrl.get(url);
      expect(r, url).toBeDefined();
      if (url.endsWith("/bomb") && r?.ok) {
        // The documented defence: entities are never expanded, so the "title" stays a few
        // bytes of literal text instead of a gigabyte of "lol".
        expect(r.title.length, r.title).toBeLessThan(64);
        section.record(`${names[i]}: not expanded`, {
          titleLength: r.title.length,
          ms: Math.round(r.ms),
        });
        return;
      }
      expect(r?.ok, url).toBe(false);
      if (r && !r.ok) {
        section.record(`${names[i]}: an error entry`, { code: r.error.code, ms: Math.round(r.ms) });
      }
    });
    // The 10 GB body was read lazily and cut by the size limit, far short of its length.
    expect(tenGbBytesSent).toBeLessThan(64 * 1024 * 1024);
    section.record("whole request", {
      feeds: urls.length,
      faultsTried: faultUrls.length,
      goodFeedsAnswered: 2,
      requestMs: Math.round(body.ms),
      deadlineMs: deadline,
      tenGbBytesSentBeforeCut: tenGbBytesSent,
    });
  });
});

// 1,000 requests cancelled one by one against a hostile upstream: tens of seconds under load.
describe("the client pattern after many cancellations", { timeout: 60_000 }, () => {
  test("1,000 cancelled requests (hung bodies and headers) leave the connection pool usable", async () => {
    const CANCELLED = 1000;
    const urls = Array.from({ length: CANCELLED }, (_, i) =>
      i % 2 === 0 ? `${base}/hang-after-headers` : `${base}/endless`,
    );
    let errors = 0;
    let timeouts = 0;
    for await (const r of fetchAll(urls, {
      concurrency: 100,
      timeout: 20,
      maxResponseBytes: 1 << 30,
    })) {
      if (!r.ok) errors++;
      if (!r.ok && (r.error as { code?: string }).code === "ERR_TENDRIL_CALL_TIMEOUT") timeouts++;
    }
    expect(errors).toBe(CANCELLED);
    // A normal request still succeeds, on the same default client, well before any pool limit
    // would free up (a bound, not a measurement).
    const text = await withTimeout(5000, async () => (await urlopen(`${base}/good`)).text());
    expect(text).toBe(GOOD_FEED);
    section.record("cancelled requests, then a normal one", {
      cancelled: CANCELLED,
      errorEntries: errors,
      timeouts,
      normalRequestAfter: "ok",
    });
  });
});
