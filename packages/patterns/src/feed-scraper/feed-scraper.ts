/**
 * The feed scraper — the seed page's dispatch example — as a production-minded handler: POST a
 * list of feed URLs, get their titles back. Every request fans out through `dispatch` onto one
 * global `GreenPool`, so all requests together never run more than the pool's size of fetches
 * ("Limitations are good!"), with a deadline per request, a timeout per feed, a cap on feeds
 * per request, and partial results: a feed that fails is an error entry, never a failed request.
 *
 * A server that fetches URLs its clients name is a proxy into whatever network it sits in, so
 * outbound requests are checked by the outbound guard: loopback, private and link-local
 * destinations are refused unless allowed (the local demo allows loopback explicitly), checked
 * on the resolved addresses (and again at connect time, for DNS rebinding), and on every
 * redirect hop. Each feed is size-limited before it is parsed, and the parser never expands
 * entities (see `parseFeedTitle`).
 *
 * The handler is web-standard — `(request: Request) => Promise<Response>` — so it runs on
 * `serveHttp` from `@tendril/green-net`, or on anything else that speaks `Request`/`Response`.
 *
 * @module
 */

import { type GreenPool, getHub } from "@tendril/core";
import { type LookupFunction, ResponseTooLarge } from "@tendril/green-net";
import type { FetchFunction } from "../client/fetch-function.js";
import { decodeText, readBody, statusError } from "../client/read-body.js";
import {
  checkDispatchOptions,
  type DispatchOptions,
  dispatch,
  FanoutLimitExceeded,
  type Settled,
} from "../dispatch/dispatch.js";
import {
  type GuardedFetchOptions,
  guardedFetch,
  sharedGuardLookup,
} from "../dispatch/guarded-fetch.js";
import type { OutboundPolicy } from "../dispatch/outbound-guard.js";
import { parseFeedTitle } from "./feed-title.js";

/**
 * Options of `fetchFeedTitle`. Sizes are in bytes.
 *
 * @example
 * ```ts
 * const title = await fetchFeedTitle(url, { allowLoopback: true, maxFeedBytes: 1 << 20 });
 * ```
 */
export interface FetchFeedTitleOptions extends OutboundPolicy {
  /** Largest feed read. Default 1 MiB. */
  maxFeedBytes?: number;
  /** Redirects followed at most (each hop is checked by the outbound guard). Default 5. */
  maxRedirects?: number;
  /** The HTTP client. Default `urlopen` from `@tendril/green-net`. */
  fetch?: FetchFunction;
  /** The guarded lookup to connect with. Default: a shared one for this policy. */
  lookup?: LookupFunction;
}

/**
 * Options of `createFeedScraper`. Times are in milliseconds, sizes in bytes.
 *
 * @example
 * ```ts
 * const handler = createFeedScraper({ pool, deadlineMs: 5000, timeout: 2000, maxFeeds: 50 });
 * ```
 */
export interface FeedScraperOptions extends FetchFeedTitleOptions {
  /**
   * The global pool every request's fetches share. Default: `dispatch`'s process-wide
   * `GreenPool(1000)`.
   */
  pool?: GreenPool;
  /** One request's deadline: feeds still running then become errors. Default 10_000. */
  deadlineMs?: number;
  /** One feed's timeout, request and body. Default 5_000. */
  timeout?: number;
  /** Feeds per request at most; more is answered 413. Default 100. */
  maxFeeds?: number;
  /** Largest request body accepted. Default 64 KiB. */
  maxRequestBytes?: number;
}

/**
 * One feed in the scraper's JSON answer.
 *
 * @example
 * ```ts
 * // The JSON answer of createFeedScraper (sent `accept: application/json`) lists one per feed.
 * const { results } = (await response.json()) as { results: FeedTitleResult[] };
 * for (const r of results) console.log(r.ok ? r.title : `${r.url}: ${r.error.code}`);
 * ```
 */
export type FeedTitleResult =
  | { url: string; ok: true; title: string; ms: number }
  | { url: string; ok: false; error: { code: string; message: string }; ms: number };

const FEED_HEADERS = Object.freeze({
  accept:
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
});

function policyOf(options: OutboundPolicy): OutboundPolicy {
  const policy: OutboundPolicy = {};
  if (options.allowLoopback !== undefined) policy.allowLoopback = options.allowLoopback;
  if (options.allowPrivate !== undefined) policy.allowPrivate = options.allowPrivate;
  if (options.allowLinkLocal !== undefined) policy.allowLinkLocal = options.allowLinkLocal;
  if (options.protocols !== undefined) policy.protocols = options.protocols;
  return policy;
}

/**
 * Fetches one feed and returns its title (`""` if it has none): checks the URL with the
 * outbound guard (loopback/private/link-local refused unless allowed), follows up to
 * `maxRedirects` redirects checking each hop, reads at most `maxFeedBytes`, and parses RSS,
 * Atom, RDF or JSON Feed with entity expansion off. A green operation: kill and Timeout abort
 * the request.
 *
 * @throws {OutboundRefused} for a refused destination.
 * @throws {HttpError} (from `@tendril/green-net`) for a non-2xx answer.
 * @throws {ResponseTooLarge} (from `@tendril/green-net`) for a feed over `maxFeedBytes`.
 * @throws {InvalidFeed} for a document that is not a feed.
 * @throws {TooManyRedirects} (from `@tendril/green-net`) for too many redirects.
 * @example
 * ```ts
 * const title = await fetchFeedTitle("http://127.0.0.1:8080/feeds/news.xml", { allowLoopback: true });
 * ```
 */
export async function fetchFeedTitle(
  url: string | URL,
  options: FetchFeedTitleOptions = {},
): Promise<string> {
  const maxBytes = options.maxFeedBytes ?? 1024 * 1024;
  const guarded: GuardedFetchOptions = {
    policy: policyOf(options),
    init: { headers: FEED_HEADERS, maxResponseBytes: maxBytes },
  };
  if (options.maxRedirects !== undefined) guarded.maxRedirects = options.maxRedirects;
  if (options.fetch !== undefined) guarded.fetch = options.fetch;
  if (options.lookup !== undefined) guarded.lookup = options.lookup;
  const { response, url: final } = await guardedFetch(url, guarded);
  if (!response.ok) throw await statusError(response, final.href);
  const body = await readBody(response, { maxBodyBytes: maxBytes });
  return parseFeedTitle(decodeText(body, response.headers.get("content-type"))).title;
}

function errorInfo(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === "string" ? code : error.name, message: error.message };
  }
  return { code: "ERR_UNKNOWN", message: String(error) };
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

class BadRequest extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function readUrls(request: Request, maxBytes: number): Promise<string[]> {
  let body: string;
  try {
    body = new TextDecoder().decode(await readBody(request, { maxBodyBytes: maxBytes }));
  } catch (error) {
    if (error instanceof ResponseTooLarge) {
      throw new BadRequest(413, `request body over ${maxBytes} bytes\n`);
    }
    throw error;
  }
  const type = request.headers.get("content-type") ?? "";
  if (/^\s*application\/(.+\+)?json/i.test(type)) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      throw new BadRequest(400, "the body is not valid JSON\n");
    }
    const list = Array.isArray(value) ? value : (value as { urls?: unknown } | null)?.urls;
    if (!Array.isArray(list) || !list.every((u) => typeof u === "string")) {
      throw new BadRequest(400, 'expected a JSON array of URL strings, or { "urls": [...] }\n');
    }
    return (list as string[]).map((u) => u.trim()).filter((u) => u !== "");
  }
  return body
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

function wantsJson(request: Request): boolean {
  const accept = request.headers.get("accept") ?? "";
  if (/application\/json/i.test(accept)) return true;
  if (/text\/plain/i.test(accept)) return false;
  return /^\s*application\/(.+\+)?json/i.test(request.headers.get("content-type") ?? "");
}

/**
 * Creates the feed scraper's request handler for `serveHttp` (or any server that speaks web
 * `Request`/`Response`). `POST` a list of feed URLs — `text/plain`, one per line (blank lines
 * and `#` comments skipped), or JSON (`["…"]` or `{ "urls": ["…"] }`) — and get their titles:
 *
 * - as JSON when the request is JSON or accepts `application/json`: `{ "titles": [...],
 *   "results": [{ url, ok, title | error: { code, message }, ms }], "ms": … }`, in input order;
 * - otherwise as `text/plain`, one line per URL: the title, or `[error] <message>`.
 *
 * Every feed runs on the global pool through a per-request pile (`dispatch`), under the
 * request's `deadline` and the feed's `timeout`. Answers: 200 with partial results (failed
 * feeds are entries), 405 for anything but POST, 413 for too many feeds or too large a body,
 * 400 for a malformed JSON body.
 *
 * @throws {TypeError|RangeError} for a bad option.
 * @example
 * ```ts
 * const pool = new GreenPool(1000);
 * const handler = createFeedScraper({ pool, deadlineMs: 5000, timeout: 2000, allowLoopback: true });
 * const server = await serveHttp(await listen(["127.0.0.1", 9010]), handler);
 * ```
 */
export function createFeedScraper(
  options: FeedScraperOptions = {},
): (request: Request) => Promise<Response> {
  const policy = policyOf(options);
  const lookup = options.lookup ?? sharedGuardLookup(policy);
  const maxRequestBytes = options.maxRequestBytes ?? 64 * 1024;
  const feedOptions: FetchFeedTitleOptions = { ...policy, lookup };
  if (options.maxFeedBytes !== undefined) feedOptions.maxFeedBytes = options.maxFeedBytes;
  if (options.maxRedirects !== undefined) feedOptions.maxRedirects = options.maxRedirects;
  if (options.fetch !== undefined) feedOptions.fetch = options.fetch;
  const dispatchOptions: DispatchOptions = {
    deadlineMs: options.deadlineMs ?? 10_000,
    timeout: options.timeout ?? 5_000,
    maxFanout: options.maxFeeds ?? 100,
  };
  if (options.pool !== undefined) dispatchOptions.pool = options.pool;
  checkDispatchOptions(dispatchOptions); // fail now rather than on the first request
  const fetchTitle = (url: string): Promise<string> => fetchFeedTitle(url, feedOptions);

  return async function feedScraper(request: Request): Promise<Response> {
    if (request.method !== "POST") {
      return text(405, "POST a list of feed URLs, one per line\n", { allow: "POST" });
    }
    let urls: string[];
    try {
      urls = await readUrls(request, maxRequestBytes);
    } catch (error) {
      if (error instanceof BadRequest) return text(error.status, error.message);
      throw error;
    }
    let results: Array<Settled<string>>;
    const started = getHub().now();
    try {
      results = await dispatch(urls, fetchTitle, dispatchOptions);
    } catch (error) {
      if (error instanceof FanoutLimitExceeded) {
        return text(413, `too many feeds: at most ${error.limit} per request\n`);
      }
      throw error;
    }
    if (wantsJson(request)) {
      const entries: FeedTitleResult[] = results.map((r, i) =>
        r.ok
          ? { url: urls[i] as string, ok: true, title: r.value, ms: r.ms }
          : { url: urls[i] as string, ok: false, error: errorInfo(r.error), ms: r.ms },
      );
      return Response.json({
        titles: results.map((r) => (r.ok ? r.value : null)),
        results: entries,
        ms: getHub().now() - started,
      });
    }
    const lines = results.map((r) =>
      r.ok ? r.value : `[error] ${errorInfo(r.error).message.replace(/\s+/g, " ")}`,
    );
    return text(200, lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  };
}
