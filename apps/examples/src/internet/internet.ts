/**
 * The embedded local "internet": one HTTP server on 127.0.0.1 that serves a generated web
 * site and a set of news feeds, with realistic sizes, delays and failures. Every example
 * starts one when it is given no URLs, so no demo ever touches the real network.
 *
 * It is deliberately built on plain `node:http`, not on Tendril: it plays the part of the
 * rest of the world, and the world does not run our library. Every timer it arms is cleared
 * when its response ends, and `close()` destroys every connection, so a program that closes
 * it leaves no handle behind.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type FeedPlan, feedContentType, planFeeds, renderFeed } from "./feeds.js";
import { escapeHtml, Site } from "./site.js";

/** Options of `startInternet`. */
export interface InternetOptions {
  /** Seed of every generated thing (default 1): the same seed, the same world. */
  seed?: number;
  /** Number of site pages, the home page included (default 1000). */
  pages?: number;
  /** Number of feeds (default 17). */
  feeds?: number;
  /** Multiplies every delay: 1 is realistic, 0 answers at once (default 1). */
  latency?: number;
  /** Whether ~3% of pages and two feeds fail (default true). */
  failures?: boolean;
  /** How long a hanging page stalls before it finally answers 504 (default 30 s). */
  hangMs?: number;
  /** How long the slow feed takes (default 6 s). */
  slowMs?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind (default 0: any free port). */
  port?: number;
}

/** Counters of what the internet served. */
export interface InternetStats {
  requests: number;
  bytes: number;
  /** Responses by status code. */
  statuses: Record<number, number>;
}

/** A running embedded internet. */
export interface LocalInternet {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The site's home page: the default start of a crawl. */
  readonly homeUrl: string;
  /** Absolute URLs of every feed, the failing ones included. */
  readonly feedUrls: readonly string[];
  readonly site: Site;
  readonly feeds: readonly FeedPlan[];
  readonly stats: InternetStats;
  /** Stops the server and destroys every open connection. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the embedded internet.
 *
 * @throws {RangeError} when `pages`, `feeds` or `latency` is out of range.
 * @example
 * ```ts
 * await using net = await startInternet({ pages: 100 });
 * const res = await fetch(net.homeUrl);
 * ```
 */
export async function startInternet(options: InternetOptions = {}): Promise<LocalInternet> {
  const latency = options.latency ?? 1;
  if (!(latency >= 0)) throw new RangeError(`latency must be >= 0, received ${String(latency)}`);
  const feedCount = options.feeds ?? 17;
  if (!Number.isInteger(feedCount) || feedCount < 0) {
    throw new RangeError(`feeds must be an integer >= 0, received ${String(feedCount)}`);
  }
  const failures = options.failures ?? true;
  const hangMs = options.hangMs ?? 30_000;
  const slowMs = options.slowMs ?? 6_000;
  const site = new Site({ seed: options.seed ?? 1, pages: options.pages ?? 1000, failures });
  const feeds = planFeeds({
    seed: options.seed ?? 1,
    count: feedCount,
    failures,
    articles: site
      .pages()
      .map((p) => p.path)
      .slice(1),
  });
  const feedsByPath = new Map(feeds.map((f) => [f.path, f]));
  const stats: InternetStats = { requests: 0, bytes: 0, statuses: {} };
  let origin = "";

  function send(res: ServerResponse, status: number, type: string, body: string, extra = {}) {
    const bytes = Buffer.byteLength(body);
    stats.bytes += bytes;
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    res.writeHead(status, { "content-type": type, "content-length": bytes, ...extra });
    res.end(body);
  }

  /** Answers after `ms` (scaled), unless the client has gone away by then. */
  function later(res: ServerResponse, ms: number, answer: () => void): void {
    const delay = Math.round(ms * latency);
    if (delay <= 0) {
      answer();
      return;
    }
    const timer = setTimeout(answer, delay);
    res.once("close", () => clearTimeout(timer));
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    stats.requests++;
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const html = "text/html; charset=utf-8";

    const page = site.page(path);
    if (page !== undefined) {
      if (page.fault === "hang") {
        // Answers only long after any sensible client timeout.
        const timer = setTimeout(() => send(res, 504, html, gatewayTimeout), hangMs);
        res.once("close", () => clearTimeout(timer));
        return;
      }
      later(res, page.latencyMs, () => {
        if (page.fault === "error") send(res, 500, html, serverError);
        else send(res, 200, html, site.render(page));
      });
      return;
    }

    const target = site.redirect(path);
    if (target !== undefined) {
      later(res, 5, () => send(res, 301, html, "", { location: target }));
      return;
    }

    const feed = feedsByPath.get(path);
    if (feed !== undefined) {
      if (feed.fault === "slow") {
        const timer = setTimeout(
          () => send(res, 200, feedContentType(feed.format), renderFeed(feed, origin)),
          slowMs,
        );
        res.once("close", () => clearTimeout(timer));
        return;
      }
      later(res, feed.latencyMs, () => {
        if (feed.fault === "error") send(res, 500, "text/plain", "Internal Server Error\n");
        else send(res, 200, feedContentType(feed.format), renderFeed(feed, origin));
      });
      return;
    }

    if (path === "/feeds.txt") {
      const list = feeds.map((f) => origin + f.path).join("\n");
      send(res, 200, "text/plain; charset=utf-8", `${list}\n`);
    } else if (path === "/feeds/" || path === "/feeds") {
      const list = feeds
        .map((f) => `<li><a href="${f.path}">${escapeHtml(f.title)}</a> (${f.format})</li>`)
        .join("\n");
      send(
        res,
        200,
        html,
        `<!doctype html><title>Feeds</title><h1>Feeds</h1><ul>\n${list}\n</ul>\n`,
      );
    } else if (path === "/robots.txt") {
      send(res, 200, "text/plain", "User-agent: *\nAllow: /\n");
    } else {
      later(res, 10, () => send(res, 404, html, notFound));
    }
  }

  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    // Requests carry no body we care about; drain it so keep-alive works.
    req.resume();
    route(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };

  return {
    origin,
    homeUrl: `${origin}/`,
    feedUrls: feeds.map((f) => origin + f.path),
    site,
    feeds,
    stats,
    close,
    [Symbol.asyncDispose]: close,
  };
}

const serverError =
  "<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1><p>Something broke. It is not you, it is us.</p>\n";
const notFound =
  "<!doctype html><title>404 Not Found</title><h1>Not Found</h1><p>This page has moved, or never was.</p>\n";
const gatewayTimeout =
  "<!doctype html><title>504 Gateway Timeout</title><h1>Gateway Timeout</h1>\n";
