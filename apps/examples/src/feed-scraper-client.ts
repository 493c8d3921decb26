/**
 * `feed-scraper-client`: Eventlet's `feedscraper-testclient.py` — POSTs a list of feed URLs to
 * the feed scraper with the green `urlopen` and prints the titles it gets back. `--requests`
 * sends several requests at once from a `GreenPool`, which shows the dispatch pattern's
 * point: every request's fetches share the server's one pool.
 *
 * With no `--url` it starts the embedded internet and a feed scraper in this process first,
 * so one command shows the whole round trip.
 *
 * @module
 */

import { GreenPool, isTimeout, withTimeout } from "@tendril/core";
import { urlopen } from "@tendril/green-net";
import {
  bold,
  checkHttpUrl,
  dim,
  formatMs,
  green,
  parseCli,
  red,
  runMain,
  table,
  usageError,
  yellow,
} from "./cli.js";
import { DEFAULT_PORT, SERVED_BY, startFeedScraper } from "./feed-scraper.js";
import { startInternet } from "./internet/internet.js";

/** One feed in the scraper's JSON answer. */
export type FeedResult =
  | { url: string; ok: true; title: string; ms: number }
  | { url: string; ok: false; error: { code: string; message: string }; ms: number };

/** Whether a failed feed ran out of time (rather than failing outright). */
export function isLate(result: FeedResult): boolean {
  return (
    !result.ok &&
    ["ERR_TENDRIL_DEADLINE_TIMEOUT", "ERR_TENDRIL_CALL_TIMEOUT"].includes(result.error.code)
  );
}

// #region client
/**
 * Asks the scraper at `scraperUrl` for the titles of `feeds`, as JSON.
 *
 * @throws {Error} when the scraper does not answer 200.
 * @example
 * ```ts
 * const results = await scrapeTitles("http://127.0.0.1:9010/", ["http://…/feed.rss"]);
 * ```
 */
export async function scrapeTitles(
  scraperUrl: string,
  feeds: readonly string[],
): Promise<FeedResult[]> {
  const response = await urlopen(scraperUrl, {
    method: "POST",
    headers: { "content-type": "text/plain", accept: "application/json" },
    body: feeds.join("\n"),
  });
  if (response.status !== 200) {
    throw new Error(`the scraper answered ${response.status}: ${(await response.text()).trim()}`);
  }
  const { results } = (await response.json()) as { results: FeedResult[] };
  return results;
}
// #endregion client

/** Where `feed-scraper` listens when started with no flags: tried first when `--url` is not given. */
export const DEFAULT_SCRAPER_URL = `http://127.0.0.1:${DEFAULT_PORT}/`;

/**
 * What answers at `url`: a feed scraper (its page carries the `x-tendril-example` header),
 * something `other` (another server, or one that does not answer within `timeoutMs`), or
 * `none` (nothing listens).
 *
 * @example
 * ```ts
 * if ((await probeScraper("http://127.0.0.1:9010/")) === "scraper") console.log("reusing it");
 * ```
 */
export async function probeScraper(
  url: string,
  timeoutMs = 1000,
): Promise<"scraper" | "other" | "none"> {
  try {
    const response = await withTimeout(timeoutMs, () => urlopen(url, { method: "HEAD" }));
    await response.cancel();
    return response.headers.get(SERVED_BY.name) === SERVED_BY.value ? "scraper" : "other";
  } catch (error) {
    if (isTimeout(error)) return "other"; // something accepted the connection, then said nothing
    const code =
      (error as { cause?: { code?: unknown } })?.cause?.code ?? (error as { code?: unknown }).code;
    return code === "ECONNREFUSED" ? "none" : "other";
  }
}

/** The results as a table: title (or why not), time. */
export function formatFeedResults(results: readonly FeedResult[]): string {
  const rows = results.map((r) => [
    r.ok ? green("✓") : isLate(r) ? yellow("…") : red("✗"),
    r.ok ? r.title || dim("(untitled)") : dim(clip(failure(r), 64)),
    formatMs(r.ms),
  ]);
  return table(["", "title", "time"], rows, { right: [2] });
}

/**
 * Why a feed failed, naming the feed by its file name and the upstream by its host rather than
 * repeating the whole URL: `a.rss: HTTP 500 Internal Server Error from 127.0.0.1:8080`.
 */
function failure(r: Extract<FeedResult, { ok: false }>): string {
  const name = r.url.split("/").filter(Boolean).at(-1) ?? r.url;
  let host = r.url;
  try {
    host = new URL(r.url).host;
  } catch {
    // not a URL: name it as it was given
  }
  return `${name}: ${r.error.message.split(r.url).join(host).trim()}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const spec = {
  name: "feed-scraper-client",
  summary: "POST feed URLs to the feed scraper and print their titles",
  usage: "[options] [FEED_URL...]",
  description: `Like Eventlet's feedscraper-testclient.py. With no --url, uses the feed scraper
already running on its default port (${DEFAULT_SCRAPER_URL}) if there is one, and
otherwise starts one here; with no feed URLs, starts the embedded internet and uses its
feeds (or those listed at --feeds-from).`,
  positionals: true,
  flags: {
    url: {
      type: "url",
      short: "u",
      description: "the feed scraper's URL (default: start one here)",
      valueName: "URL",
    },
    "feeds-from": {
      type: "url",
      description: "a URL listing feed URLs, one per line",
      valueName: "URL",
    },
    requests: {
      type: "number",
      integer: true,
      min: 1,
      short: "r",
      default: 1,
      description: "requests sent at once (all share the server's pool)",
    },
    json: { type: "boolean", description: "print the raw JSON results" },
  },
  examples: [
    "node dist/feed-scraper-client.js",
    "node dist/feed-scraper-client.js --url http://127.0.0.1:9010/ --requests 20",
  ],
} as const;

/** Runs the client. */
export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(spec, argv);
  for (const feed of positionals) checkHttpUrl(spec.name, feed, "a feed URL");
  // With no --url: the scraper a user started with `node dist/feed-scraper.js`, if it runs.
  let given = values.url;
  if (given === undefined) {
    const found = await probeScraper(DEFAULT_SCRAPER_URL);
    if (found === "scraper") {
      given = DEFAULT_SCRAPER_URL;
      console.log(dim(`using the feed scraper already running at ${given} (--url picks another)`));
    } else if (found === "other") {
      console.log(
        dim(
          `port ${DEFAULT_PORT} is taken by something other than the feed scraper: starting one here`,
        ),
      );
    }
  }
  const local = given === undefined;
  const internet =
    local || (positionals.length === 0 && values["feeds-from"] === undefined)
      ? await startInternet()
      : undefined;
  const scraper = local ? await startFeedScraper({ port: 0, logRequests: false }) : undefined;
  try {
    const scraperUrl = given ?? (scraper?.url as string);
    let feeds: string[] = positionals;
    if (feeds.length === 0 && values["feeds-from"] !== undefined) {
      const list = await urlopen(values["feeds-from"]);
      feeds = (await list.text())
        .split("\n")
        .map((s: string) => s.trim())
        .filter(Boolean);
    }
    if (feeds.length === 0) feeds = [...(internet?.feedUrls ?? [])];
    if (feeds.length === 0) usageError(spec.name, "no feed URLs to send");

    console.log(
      `${dim("posting")} ${feeds.length} feeds ${dim("to")} ${scraperUrl}${values.requests > 1 ? dim(` × ${values.requests} requests at once`) : ""}`,
    );
    const started = performance.now();
    const pool = new GreenPool(values.requests);
    const all: FeedResult[][] = [];
    for await (const results of pool.imap(
      (_: number) => scrapeTitles(scraperUrl, feeds),
      Array<number>(values.requests).fill(0),
    )) {
      all.push(results);
    }
    const elapsed = performance.now() - started;
    const first = all[0] as FeedResult[];
    if (values.json === true) {
      console.log(JSON.stringify(first, null, 2));
    } else {
      console.log(formatFeedResults(first));
    }
    const ok = first.filter((r) => r.ok).length;
    const late = first.filter(isLate).length;
    console.log(
      `${bold(String(ok))} of ${first.length} titles` +
        (late > 0 ? `, ${late} late` : "") +
        (first.length - ok - late > 0 ? `, ${first.length - ok - late} failed` : "") +
        ` — ${values.requests} request${values.requests === 1 ? "" : "s"} in ${formatMs(elapsed)}`,
    );
    return 0;
  } finally {
    await scraper?.close();
    await internet?.close();
  }
}

runMain(import.meta.url, main);
