/**
 * `feed-scraper`: the dispatch pattern — a server that is also a client. Each request carries
 * a list of feed URLs; the handler fetches them all at once and answers with their titles.
 * The fetches of *every* request share one global `GreenPool` (so the server never runs more
 * than its size of outbound fetches, whatever the load) and each request gathers its own
 * results in order through a `GreenPile`, under a deadline, with partial results.
 *
 * The handler is `createFeedScraper` from `@tendril/patterns`, served by `serveHttp` from
 * `@tendril/green-net`; this program adds a small web page (`GET /`) where you paste feed URLs
 * and read the titles as a list. With no arguments it also starts the embedded local internet,
 * whose feeds the page offers as samples. The recipe refuses loopback and private addresses by
 * default (a server that fetches what its clients name must not become a proxy into its own
 * network); this demo allows loopback explicitly, because its feeds live on 127.0.0.1.
 *
 * @module
 */

import { GreenPool } from "@tendril/core";
import { serveHttp } from "@tendril/green-net";
import { createFeedScraper } from "@tendril/patterns/feed-scraper";
import { dim, formatMs, log, onShutdown, parseCli, runMain } from "./cli.js";
import { renderPage } from "./feed-scraper-page.js";
import { startInternet } from "./internet/internet.js";

/** The port `feed-scraper` listens on by default (Eventlet's example used 9010 too). */
export const DEFAULT_PORT = 9010;

/**
 * A response header the feed scraper's page carries, so that `feed-scraper-client` can tell it
 * apart from anything else listening on its port.
 */
export const SERVED_BY = { name: "x-tendril-example", value: "feed-scraper" } as const;

/** Options of `startFeedScraper`. Times in milliseconds. */
export interface FeedScraperServerOptions {
  host?: string;
  /** Default 9010, as in Eventlet's example. */
  port?: number;
  /** Outbound fetches at once, across all requests (default 1000). */
  poolSize?: number;
  /** One request's deadline (default 3000). */
  deadline?: number;
  /** One feed's timeout (default 2000). */
  timeout?: number;
  /** Fetch feeds on 127.0.0.1 (default true: the embedded internet lives there). */
  allowLoopback?: boolean;
  /** Feeds the page offers as samples. */
  sampleFeeds?: readonly string[];
  /** Log each request (default true). */
  logRequests?: boolean;
}

/** A running feed scraper. */
export interface FeedScraper {
  /** `http://host:port/` */
  readonly url: string;
  readonly port: number;
  /** Requests answered so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * Starts the feed scraper's HTTP server and returns once it listens.
 *
 * @throws {Error} when the address cannot be bound.
 * @example
 * ```ts
 * const scraper = await startFeedScraper({ port: 0 });
 * const res = await fetch(scraper.url, { method: "POST", body: feedUrls.join("\n") });
 * await scraper.close();
 * ```
 */
export async function startFeedScraper(
  options: FeedScraperServerOptions = {},
): Promise<FeedScraper> {
  const deadline = options.deadline ?? 3000;
  const logRequests = options.logRequests ?? true;
  let requests = 0;

  // #region app
  const pool = new GreenPool(options.poolSize ?? 1000); // shared by every request
  const scrape = createFeedScraper({
    pool,
    deadlineMs: deadline,
    timeout: options.timeout ?? 2000,
    allowLoopback: options.allowLoopback ?? true,
  });
  const page = renderPage({ sampleFeeds: options.sampleFeeds ?? [], deadlineMs: deadline });

  /** The app: the page on GET /, the scraper on POST /. */
  async function app(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname !== "/") return new Response("not found\n", { status: 404 });
    if (request.method === "GET" || request.method === "HEAD") {
      return new Response(page, {
        headers: { "content-type": "text/html; charset=utf-8", [SERVED_BY.name]: SERVED_BY.value },
      });
    }
    const started = performance.now();
    const response = await scrape(request); // fans out on the pool, gathers in order
    requests++;
    if (logRequests)
      log(`POST / → ${response.status} ${dim(`in ${formatMs(performance.now() - started)}`)}`);
    return response;
  }

  const server = await serveHttp([options.host ?? "127.0.0.1", options.port ?? DEFAULT_PORT], app);
  // #endregion app

  return {
    url: `${server.url}/`,
    port: Number(new URL(server.url).port),
    get requests() {
      return requests;
    },
    // Requests in flight get a second to finish; then their connections are cut.
    close: () => server.close({ graceMs: 1000 }),
  };
}

const spec = {
  name: "feed-scraper",
  summary: "the dispatch pattern: a web server that fetches many feeds per request",
  description: `POST feed URLs (one per line) to / and get their titles back; open / in a browser
for a page that does it for you. All requests share one GreenPool of outbound fetches;
each request gathers its own results through a GreenPile, under a deadline, with partial
results. With no arguments the embedded local internet is started too, and its feeds are
offered on the page as samples.`,
  flags: {
    host: {
      type: "string",
      default: "127.0.0.1",
      description: "interface to listen on",
      valueName: "HOST",
    },
    port: {
      type: "port",
      short: "p",
      default: DEFAULT_PORT,
      description: "port to listen on (0: any free port)",
    },
    pool: {
      type: "number",
      integer: true,
      min: 1,
      default: 1000,
      description: "outbound fetches at once, across all requests",
    },
    deadline: {
      type: "duration",
      default: 3,
      description: "one request's deadline",
      valueName: "TIME",
    },
    timeout: { type: "duration", default: 2, description: "one feed's timeout", valueName: "TIME" },
    "no-internet": { type: "boolean", description: "do not start the embedded internet" },
    duration: {
      type: "duration",
      description: "stop by itself after this long",
      valueName: "TIME",
    },
    quiet: { type: "boolean", short: "q", description: "do not log requests" },
  },
  examples: [
    "node dist/feed-scraper.js            # then open http://127.0.0.1:9010/",
    "node dist/feed-scraper-client.js --url http://127.0.0.1:9010/",
  ],
} as const;

/** Runs the feed scraper until Ctrl-C (or `--duration`). */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseCli(spec, argv);
  const internet = values["no-internet"] === true ? undefined : await startInternet();
  if (internet !== undefined) {
    log(
      `embedded internet at ${internet.origin} with ${internet.feedUrls.length} feeds (${internet.origin}/feeds.txt)`,
    );
  }
  const scraper = await startFeedScraper({
    host: values.host,
    port: values.port,
    poolSize: values.pool,
    deadline: values.deadline,
    timeout: values.timeout,
    sampleFeeds: internet?.feedUrls ?? [],
    logRequests: values.quiet !== true,
  });
  log(`feed scraper listening on ${scraper.url} — open it in a browser, or POST feed URLs to it`);
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const off = onShutdown(stop);
  const timer = values.duration !== undefined ? setTimeout(stop, values.duration) : undefined;
  try {
    await stopped;
  } finally {
    clearTimeout(timer);
    off();
    await scraper.close();
    await internet?.close();
  }
  log(`stopped after ${scraper.requests} request${scraper.requests === 1 ? "" : "s"}`);
  return 0;
}

runMain(import.meta.url, main);
