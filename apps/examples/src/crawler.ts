/**
 * `crawler`: the client pattern. Crawls a site with `crawl` from `@tendril/patterns` — fetcher
 * green threads on a `GreenPool`, a coordinator that owns the frontier — while a live
 * progress line shows pages per second, requests in flight, errors and the queue, and ends
 * with a summary table.
 *
 * With no URL it starts the embedded local internet and crawls its generated site: a
 * thousand pages with realistic sizes and delays, where about 3% of pages fail (500s, pages
 * that never answer, broken links). Nothing leaves 127.0.0.1.
 *
 * @module
 */

import { GreenPool, isTimeout, Queue, spawn, withTimeout } from "@tendril/core";
import { urlopen } from "@tendril/green-net";
import {
  CallTimeout,
  type CrawlStats,
  crawl,
  extractLinks,
  type PageResult,
} from "@tendril/patterns";
import {
  bar,
  bold,
  checkHttpUrl,
  dim,
  formatBytes,
  formatCount,
  formatMs,
  green,
  onShutdown,
  parseCli,
  red,
  runMain,
  StatusLine,
  table,
  usageError,
  yellow,
} from "./cli.js";
import { startInternet } from "./internet/internet.js";

/** Options of `runCrawler`. */
export interface CrawlerOptions {
  urls: readonly string[];
  /** Pages fetched at once (default 20). */
  concurrency?: number;
  /** Requests at once to one site (default: `concurrency`). */
  perOrigin?: number;
  /** Pages to fetch at most (default 1000). */
  maxPages?: number;
  /** Link depth to follow (default: unlimited). */
  maxDepth?: number;
  /** Time allowed for one page, in milliseconds (default 2000). */
  timeoutMs?: number;
  /** Draw the live progress line (default true). */
  progress?: boolean;
  /** Stops the crawl early when aborted (Ctrl-C). */
  signal?: AbortSignal;
  /** Use `crawlByHand` (a Queue and a GreenPool, written out) instead of `crawl()`. */
  byHand?: boolean;
}

/** What a crawl found, for the summary. */
export interface CrawlReport {
  readonly pages: readonly PageResult[];
  readonly stats: CrawlStats;
  readonly elapsedMs: number;
  readonly stopped: boolean;
}

/** A short name for a page's outcome: `200`, `404`, `timeout`, `ECONNREFUSED`, … */
export function outcome(page: PageResult): string {
  if (page.ok) return String(page.status);
  const error = page.error as { status?: unknown; code?: unknown; cause?: { code?: unknown } };
  if (typeof error?.status === "number") return String(error.status);
  if (error?.code === "ERR_TENDRIL_CALL_TIMEOUT") return "timeout";
  if (typeof error?.cause?.code === "string") return error.cause.code;
  if (typeof error?.code === "string") return error.code;
  return (page.error as Error)?.name ?? "error";
}

/** The live status line of a crawl, from its running totals. */
export function progressLine(s: CrawlStats, perSecond: number): string {
  const done = s.fetched + s.failed;
  const total = Math.max(1, Math.min(s.maxPages, Math.max(s.seen, done)));
  return [
    bar(done / total, 20),
    `${bold(formatCount(done))}${dim(`/${formatCount(total)}`)} pages`,
    `${bold(perSecond.toFixed(0).padStart(4))} pages/s`,
    `${dim("in flight")} ${String(s.inFlight).padStart(3)}`,
    `${dim("queue")} ${formatCount(s.queued).padStart(5)}`,
    `${dim("errors")} ${s.failed > 0 ? red(String(s.failed)) : "0"}`,
    dim(formatBytes(s.bytes)),
  ].join("  ");
}

/** Options of `crawlByHand`. */
export interface CrawlByHandOptions {
  concurrency: number;
  maxPages: number;
  timeoutMs: number;
  /** Called with each page as it finishes, and the running totals. */
  onPage: (page: PageResult, stats: CrawlStats) => void;
}

/**
 * The crawler written out by hand — Eventlet's `producer_consumer.py` — on a `Queue` and a
 * `GreenPool`: what `crawl()` from `@tendril/patterns` does, minus politeness, depth limits and
 * the outbound guard. Follows links on the start URL's site only. Run it with `--by-hand`.
 *
 * @example
 * ```ts
 * await crawlByHand("http://127.0.0.1:8080/", { concurrency: 20, maxPages: 100, timeoutMs: 2000,
 *   onPage: (page) => console.log(page.ok ? page.status : "failed", page.url) });
 * ```
 */
export async function crawlByHand(start: string, options: CrawlByHandOptions): Promise<CrawlStats> {
  const { concurrency, maxPages, timeoutMs, onPage } = options;
  const site = new URL(start).origin;
  const startedAt = performance.now();
  const totals = { fetched: 0, failed: 0, skipped: 0, bytes: 0 };

  // #region crawl
  const pool = new GreenPool(concurrency); // at most `concurrency` fetches at once
  const frontier = new Queue<string>(); // URLs found and not fetched yet
  const seen = new Set<string>([start]);
  frontier.putNowait(start);

  /** Fetches one page, and puts the new links it finds into the frontier. */
  async function fetchPage(url: string): Promise<void> {
    const began = performance.now();
    try {
      const page = await withTimeout(timeoutMs, async () => {
        const response = await urlopen(url, { throwHttpErrors: true }); // 404, 500: HttpError
        const body = await response.bytes();
        return { status: response.status, body };
      });
      const links = extractLinks(new TextDecoder().decode(page.body), url);
      let skipped = 0;
      for (const link of links) {
        if (seen.has(link)) continue; // found before
        if (new URL(link).origin !== site || seen.size >= maxPages) {
          skipped++; // another site, or over the page budget
          continue;
        }
        seen.add(link);
        frontier.putNowait(link);
      }
      succeeded(url, page.status, page.body.length, links, skipped, began);
    } catch (error) {
      failed(url, error, began);
    } finally {
      frontier.taskDone(); // this URL is done; join() resolves once every URL is
    }
  }

  // The producer: hand each URL to the pool. `spawnN` waits while the pool is full, so
  // this loop runs at the pool's pace and never spawns without bound.
  const producer = spawn(async () => {
    for (;;) await pool.spawnN(fetchPage, await frontier.get());
  });
  try {
    await frontier.join(); // every URL ever queued has been fetched
  } finally {
    await producer.kill(); // also when the crawl itself is killed (Ctrl-C)
    await pool.waitall();
  }
  // #endregion crawl

  function succeeded(
    url: string,
    status: number,
    bytes: number,
    links: string[],
    skipped: number,
    began: number,
  ) {
    totals.fetched++;
    totals.bytes += bytes;
    totals.skipped += skipped;
    const ms = performance.now() - began;
    onPage(
      {
        ok: true,
        url,
        finalUrl: url,
        depth: 0,
        referrer: null,
        status,
        contentType: "text/html",
        bytes,
        links,
        ms,
      },
      stats(),
    );
  }

  function failed(url: string, caught: unknown, began: number) {
    totals.failed++;
    const error = isTimeout(caught) ? new CallTimeout(timeoutMs, "the page") : caught;
    onPage(
      { ok: false, url, depth: 0, referrer: null, error, ms: performance.now() - began },
      stats(),
    );
  }

  function stats(): CrawlStats {
    return {
      seen: seen.size,
      queued: frontier.qsize() + pool.waiting(),
      inFlight: pool.running(),
      ...totals,
      elapsedMs: performance.now() - startedAt,
      maxPages,
    };
  }
  return stats();
}

/**
 * Crawls `urls` and returns every page's result. Draws a progress line while it runs.
 *
 * @throws {TypeError|RangeError} for a bad option (from `crawl`).
 * @example
 * ```ts
 * const report = await runCrawler({ urls: ["http://127.0.0.1:8080/"], maxPages: 100 });
 * console.log(formatCrawlReport(report));
 * ```
 */
export async function runCrawler(options: CrawlerOptions): Promise<CrawlReport> {
  const concurrency = options.concurrency ?? 20;
  const status = new StatusLine(process.stdout, 1000);
  const recent: Array<[number, number]> = []; // (time, pages done) over the last second
  let lastDraw = 0;

  function draw(s: CrawlStats, force = false): void {
    if (options.progress === false) return;
    const now = performance.now();
    if (!force && now - lastDraw < 80) return;
    lastDraw = now;
    const done = s.fetched + s.failed;
    recent.push([now, done]);
    while (recent.length > 2 && now - (recent[0] as [number, number])[0] > 1000) recent.shift();
    const [t0, d0] = recent[0] as [number, number];
    const perSecond = now - t0 > 50 ? ((done - d0) * 1000) / (now - t0) : 0;
    status.update(progressLine(s, perSecond), force);
  }

  const pages: PageResult[] = [];
  const started = performance.now();
  let stats: CrawlStats;
  if (options.byHand === true) {
    const [start] = options.urls;
    if (start === undefined) throw new TypeError("crawlByHand needs a start URL");
    const crawling = spawn(crawlByHand, start, {
      concurrency,
      maxPages: options.maxPages ?? 1000,
      timeoutMs: options.timeoutMs ?? 2000,
      onPage(page, totals) {
        pages.push(page);
        draw(totals);
      },
    });
    const stop = () => void crawling.kill();
    options.signal?.addEventListener("abort", stop);
    try {
      stats = await crawling.wait();
    } catch (error) {
      if (!options.signal?.aborted) throw error;
      stats = summarise(pages, options.maxPages ?? 1000, performance.now() - started);
    } finally {
      options.signal?.removeEventListener("abort", stop);
    }
  } else {
    // #region crawler
    const crawler = crawl(options.urls, {
      concurrency,
      perOriginLimit: options.perOrigin ?? concurrency,
      maxPages: options.maxPages ?? 1000,
      pageTimeoutMs: options.timeoutMs ?? 2000,
      ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
      onProgress: (totals) => draw(totals),
    });
    for await (const page of crawler) {
      pages.push(page); // in the order they finish
      if (options.signal?.aborted) break; // Ctrl-C: leaving the loop stops the crawl
    }
    // #endregion crawler
    stats = crawler.stats();
  }

  draw(stats, true);
  status.done();
  return {
    pages,
    stats,
    elapsedMs: performance.now() - started,
    stopped: options.signal?.aborted === true,
  };
}

/** Totals rebuilt from the pages, for a crawl that was stopped before it could report. */
function summarise(pages: readonly PageResult[], maxPages: number, elapsedMs: number): CrawlStats {
  const fetched = pages.filter((p) => p.ok).length;
  const bytes = pages.reduce((sum, p) => sum + (p.ok ? p.bytes : 0), 0);
  return {
    seen: pages.length,
    queued: 0,
    inFlight: 0,
    fetched,
    failed: pages.length - fetched,
    skipped: 0,
    bytes,
    elapsedMs,
    maxPages,
  };
}

/** The summary printed at the end of a crawl: totals, outcomes, the slowest pages. */
export function formatCrawlReport(report: CrawlReport, slowest = 5): string {
  const { pages, stats, elapsedMs } = report;
  const rate = (pages.length * 1000) / Math.max(1, elapsedMs);
  const lines: string[] = [];
  lines.push(
    `${report.stopped ? yellow("Stopped") : green("Crawled")} ${bold(formatCount(pages.length))} pages in ${formatMs(elapsedMs)} — ${bold(rate.toFixed(1))} pages/s, ${formatBytes(stats.bytes)}, ${formatCount(stats.skipped)} links not followed`,
  );
  lines.push("");

  const groups = new Map<string, { pages: number; bytes: number; ms: number }>();
  for (const page of pages) {
    const key = outcome(page);
    const g = groups.get(key) ?? { pages: 0, bytes: 0, ms: 0 };
    g.pages++;
    g.bytes += page.ok ? page.bytes : 0;
    g.ms += page.ms;
    groups.set(key, g);
  }
  const rows = [...groups.entries()]
    .sort((a, b) => b[1].pages - a[1].pages)
    .map(([key, g]) => [
      key.startsWith("2") ? green(key) : key.startsWith("3") ? key : red(key),
      formatCount(g.pages),
      `${((100 * g.pages) / Math.max(1, pages.length)).toFixed(1)}%`,
      g.bytes > 0 ? formatBytes(g.bytes) : "",
      formatMs(g.ms / g.pages),
    ]);
  lines.push(
    table(["outcome", "pages", "share", "bytes", "avg time"], rows, { right: [1, 2, 3, 4] }),
  );

  const slow = [...pages].sort((a, b) => b.ms - a.ms).slice(0, slowest);
  if (slow.length > 0) {
    lines.push("");
    lines.push(
      table(
        ["slowest pages", "outcome", "time"],
        slow.map((p) => [shorten(p.url, 64), outcome(p), formatMs(p.ms)]),
        { right: [2] },
      ),
    );
  }
  return lines.join("\n");
}

function shorten(url: string, max: number): string {
  const text = url.replace(/^https?:\/\//, "");
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const spec = {
  name: "crawler",
  summary: "the client pattern: crawl a site with a GreenPool of fetchers",
  usage: "[options] [URL...]",
  description: `Crawls from the given URLs, following links on the same site, with a live
progress line (pages/s, in flight, errors, queue) and a summary table at the end.
With no URL it starts the embedded local internet (a generated site on 127.0.0.1 with
realistic sizes, delays and ~3% failures) and crawls that: nothing leaves this machine.`,
  positionals: true,
  flags: {
    concurrency: {
      type: "number",
      short: "c",
      default: 20,
      description: "pages fetched at once (the GreenPool's size)",
    },
    "max-pages": {
      type: "number",
      short: "n",
      description: "pages to fetch at most (default: the whole embedded site, or 100)",
    },
    depth: { type: "number", description: "link depth to follow (default: unlimited)" },
    timeout: {
      type: "duration",
      short: "t",
      default: 2,
      description: "time allowed for one page",
      valueName: "TIME",
    },
    "per-site": {
      type: "number",
      description:
        "requests at once to one site (default: --concurrency on the embedded site, 2 elsewhere)",
    },
    pages: { type: "number", default: 1000, description: "size of the embedded site, in pages" },
    latency: {
      type: "number",
      default: 1,
      description: "embedded internet's delay scale (0: no delays)",
    },
    seed: { type: "number", default: 1, description: "embedded internet's random seed" },
    "by-hand": {
      type: "boolean",
      description: "use the crawler written out on a Queue and a GreenPool, not crawl()",
    },
    quiet: { type: "boolean", short: "q", description: "no live progress line" },
    redis: {
      type: "string",
      valueName: "URL",
      description:
        "share the crawl through this Redis (redis://host:port) among --workers processes",
    },
    workers: {
      type: "number",
      description: "with --redis: worker processes to fork (default 2)",
    },
    name: {
      type: "string",
      description:
        "with --redis: the crawl's name in Redis, to resume or join it (kept afterwards)",
    },
  },
  examples: [
    "node dist/crawler.js",
    "node dist/crawler.js --concurrency 100 --pages 5000",
    "node dist/crawler.js --max-pages 50 http://127.0.0.1:8080/",
    "node dist/crawler.js --redis redis://127.0.0.1:6379 --workers 4 --pages 5000",
  ],
} as const;

/** Runs the crawler. */
export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(spec, argv);
  for (const url of positionals) checkHttpUrl(spec.name, url); // htp://…, :99999: exit 2
  const internet =
    positionals.length === 0
      ? await startInternet({ pages: values.pages, latency: values.latency, seed: values.seed })
      : undefined;
  const urls = internet !== undefined ? [internet.homeUrl] : positionals;
  if (internet !== undefined) {
    console.log(
      `${dim("embedded internet:")} ${internet.site.name}, ${formatCount(internet.site.size)} pages at ${internet.origin}`,
    );
  }
  const abort = new AbortController();
  const off = onShutdown(() => abort.abort(), true);
  try {
    if (values.workers !== undefined && values.redis === undefined) {
      usageError("crawler", "--workers needs --redis URL");
    }
    if (values.redis !== undefined) {
      const workers = values.workers ?? 2;
      if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
        usageError("crawler", `--workers must be an integer from 1 to 256, received ${workers}`);
      }
      // Loaded only in this mode, so the single-process crawler never loads the Redis client.
      const distributed = await import("./crawler-distributed.js");
      const report = await distributed.runDistributedCrawl({
        redis: values.redis,
        workers,
        urls,
        concurrency: values.concurrency,
        perOrigin: values["per-site"] ?? (internet !== undefined ? values.concurrency : 2),
        maxPages: values["max-pages"] ?? internet?.site.size ?? 100,
        timeoutMs: values.timeout,
        progress: values.quiet !== true,
        signal: abort.signal,
        ...(values.depth !== undefined ? { maxDepth: values.depth } : {}),
        ...(values.name !== undefined ? { name: values.name } : {}),
      });
      console.log(formatCrawlReport(report));
      console.log(distributed.formatDistributedSummary(report));
      return report.pages.length > 0 && report.unfinished === 0 ? 0 : 1;
    }
    const report = await runCrawler({
      urls,
      concurrency: values.concurrency,
      perOrigin: values["per-site"] ?? (internet !== undefined ? values.concurrency : 2),
      maxPages: values["max-pages"] ?? internet?.site.size ?? 100,
      timeoutMs: values.timeout,
      progress: values.quiet !== true,
      signal: abort.signal,
      byHand: values["by-hand"] === true,
      ...(values.depth !== undefined ? { maxDepth: values.depth } : {}),
    });
    console.log(formatCrawlReport(report));
    return report.stopped || report.pages.length > 0 ? 0 : 1; // Ctrl-C is a clean stop: 0
  } finally {
    off();
    await internet?.close();
  }
}

runMain(import.meta.url, main);
