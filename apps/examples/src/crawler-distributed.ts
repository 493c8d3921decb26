/**
 * `crawler --redis URL --workers N`: the same crawl spread over N worker processes that share
 * one frontier in Redis (`RedisCrawlFrontier` from `@tendril/patterns/redis-queue`). This
 * process forks the workers, draws one progress line for the whole crawl from the totals they
 * send, and at the end reads every page from the frontier's results stream — where each URL is
 * recorded exactly once, even when a worker was killed mid-crawl and its URLs were taken over.
 * Workers on other machines can join the same crawl: run them against the same Redis and name.
 *
 * Trade-off: the parent does not restart a dead worker; the others take over its URLs after
 * the visibility timeout (the page timeout plus a second), which is simpler and enough to
 * finish. If every worker dies, the crawl is reported as incomplete.
 *
 * @module
 */

import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { CrawlStats, PageRecord, PageResult } from "@tendril/patterns";
import { RedisCrawlFrontier } from "@tendril/patterns/redis-queue";
import { bold, dim, formatCount, red, StatusLine, yellow } from "./cli.js";
import { type CrawlReport, progressLine } from "./crawler.js";
import type { FromWorker, ToWorker, WorkerConfig } from "./crawler-worker.js";

/** Options of `runDistributedCrawl`. */
export interface DistributedCrawlOptions {
  /** The Redis server, `redis://host:port`. */
  redis: string;
  /** Worker processes to fork (default 2). */
  workers?: number;
  urls: readonly string[];
  /** Pages fetched at once, per worker (default 20). */
  concurrency?: number;
  /** Requests at once to one site, per worker (default: `concurrency`). */
  perOrigin?: number;
  maxPages?: number;
  maxDepth?: number;
  /** Time allowed for one page, in milliseconds (default 2000). */
  timeoutMs?: number;
  /** Draw the live progress line (default true). */
  progress?: boolean;
  /** Stops the crawl early when aborted (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * The frontier's name in Redis. Given: the crawl resumes (or is joined) under that name and
   * its keys are kept. Default: a fresh name, deleted after the report.
   */
  name?: string;
}

/** How one worker process ended. */
export interface WorkerOutcome {
  readonly index: number;
  readonly pid: number | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A distributed crawl's report: the pages as Redis recorded them, and how the workers ended. */
export interface DistributedCrawlReport extends CrawlReport {
  readonly name: string;
  readonly workers: readonly WorkerOutcome[];
  /** Results recorded, and distinct URLs among them (equal: every page reported once). */
  readonly records: number;
  readonly distinct: number;
  /** URLs still unfinished at the end (0 unless every worker died or the crawl was stopped). */
  readonly unfinished: number;
  readonly deadLetters: number;
}

const workerPath = fileURLToPath(new URL("./crawler-worker.js", import.meta.url));

/** A recorded page, back in `crawl()`'s shape (links are counted, not kept). */
export function pageFromRecord(record: PageRecord): PageResult {
  const base = { url: record.url, depth: record.depth, referrer: record.referrer, ms: record.ms };
  if (record.ok) {
    return {
      ...base,
      ok: true,
      finalUrl: record.finalUrl ?? record.url,
      status: record.status ?? 0,
      contentType: record.contentType ?? "",
      bytes: record.bytes ?? 0,
      links: [],
    };
  }
  return { ...base, ok: false, error: record.error ?? { name: "Error", message: "unknown" } };
}

function sum(all: Iterable<CrawlStats>, maxPages: number, elapsedMs: number): CrawlStats {
  const total = { seen: 0, queued: 0, inFlight: 0, fetched: 0, failed: 0, skipped: 0, bytes: 0 };
  for (const s of all) {
    total.seen = Math.max(total.seen, s.seen); // global counts, as each worker last saw them
    total.queued = Math.max(total.queued, s.queued);
    total.inFlight += s.inFlight;
    total.fetched += s.fetched;
    total.failed += s.failed;
    total.skipped += s.skipped;
    total.bytes += s.bytes;
  }
  return { ...total, elapsedMs, maxPages };
}

/**
 * Crawls `urls` with `workers` forked processes sharing a Redis frontier, with one progress
 * line for all of them, and returns every page as recorded in Redis.
 *
 * @example
 * ```ts
 * const report = await runDistributedCrawl({ redis: "redis://127.0.0.1:6379", workers: 4, urls: ["http://127.0.0.1:8080/"] });
 * console.log(report.records, "pages,", report.distinct, "distinct");
 * ```
 */
export async function runDistributedCrawl(
  options: DistributedCrawlOptions,
): Promise<DistributedCrawlReport> {
  const workerCount = options.workers ?? 2;
  const concurrency = options.concurrency ?? 20;
  const maxPages = options.maxPages ?? 1000;
  const timeoutMs = options.timeoutMs ?? 2000;
  const keep = options.name !== undefined;
  const name = options.name ?? `crawl-${process.pid}-${Date.now().toString(36)}`;
  const config: WorkerConfig = {
    redis: options.redis,
    name,
    urls: options.urls,
    concurrency,
    perOrigin: options.perOrigin ?? concurrency,
    maxPages,
    ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
    timeoutMs,
    visibilityMs: timeoutMs + 1000,
  };
  const frontier = new RedisCrawlFrontier({ redis: options.redis, name });
  const started = performance.now();
  const latest = new Map<number, CrawlStats>();
  const outcomes: WorkerOutcome[] = [];
  const children: ChildProcess[] = [];
  const status = new StatusLine(process.stdout, 1000);
  const recent: Array<[number, number]> = [];
  const draw = (force = false) => {
    if (options.progress === false) return;
    const s = sum(latest.values(), maxPages, performance.now() - started);
    const now = performance.now();
    const done = s.fetched + s.failed;
    recent.push([now, done]);
    while (recent.length > 2 && now - (recent[0] as [number, number])[0] > 1000) recent.shift();
    const [t0, d0] = recent[0] as [number, number];
    const perSecond = now - t0 > 50 ? ((done - d0) * 1000) / (now - t0) : 0;
    status.update(`${progressLine(s, perSecond)}  ${dim("workers")} ${alive()}`, force);
  };
  const alive = () => children.filter((c) => c.exitCode === null && c.signalCode === null).length;
  const stopAll = () => {
    for (const child of children)
      if (child.connected) child.send({ type: "stop" } satisfies ToWorker);
  };
  options.signal?.addEventListener("abort", stopAll);
  const timer = setInterval(() => draw(), 100);
  try {
    const exits: Promise<void>[] = [];
    for (let index = 0; index < workerCount; index++) {
      const child = fork(workerPath, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
      children.push(child);
      child.on("message", (message: FromWorker) => {
        if (message.type === "stats" || message.type === "done") latest.set(index, message.stats);
        else process.stderr.write(`${red(`worker ${index + 1} failed:`)} ${message.message}\n`);
      });
      exits.push(
        new Promise((resolve) => {
          child.once("exit", (code, signal) => {
            outcomes.push({ index, pid: child.pid, code, signal });
            if (signal !== null || code !== 0) {
              status.done();
              process.stdout.write(
                `${yellow(`worker ${index + 1} (pid ${child.pid}) ended by ${signal ?? `exit ${code}`}`)}; the others take over its URLs\n`,
              );
            }
            resolve();
          });
        }),
      );
      child.send({ type: "start", config } satisfies ToWorker);
    }
    process.stdout.write(
      `${dim("workers:")} ${children.map((c, i) => `${i + 1}=pid ${c.pid}`).join(", ")} ${dim(`frontier tendril:{${name}} on ${options.redis}`)}\n`,
    );
    await Promise.all(exits);
  } finally {
    clearInterval(timer);
    options.signal?.removeEventListener("abort", stopAll);
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill();
  }
  draw(true);
  status.done();

  try {
    const pages: PageResult[] = [];
    const urls = new Set<string>();
    let records = 0;
    for (let after = "0"; ; ) {
      const batch = await frontier.results({ after, count: 2000 });
      if (batch.length === 0) break;
      for (const { value } of batch) {
        records++;
        if (urls.has(value.url)) continue; // never happens: the frontier records each URL once
        urls.add(value.url);
        pages.push(pageFromRecord(value));
      }
      after = (batch[batch.length - 1] as { id: string }).id;
    }
    const unfinished = await frontier.unfinished();
    const deadLetters = (await frontier.queue.deadLetters()).length;
    const totals = sum(latest.values(), maxPages, performance.now() - started);
    const bytes = pages.reduce((n, p) => n + (p.ok ? p.bytes : 0), 0);
    const fetched = pages.filter((p) => p.ok).length;
    if (!keep) await frontier.queue.clear();
    return {
      pages,
      stats: {
        ...totals,
        seen: Math.max(totals.seen, urls.size),
        queued: unfinished,
        inFlight: 0,
        fetched,
        failed: pages.length - fetched,
        bytes,
      },
      elapsedMs: performance.now() - started,
      stopped: options.signal?.aborted === true,
      name,
      workers: outcomes.sort((a, b) => a.index - b.index),
      records,
      distinct: urls.size,
      unfinished,
      deadLetters,
    };
  } finally {
    await frontier.close();
  }
}

/** The lines printed after the usual summary: how the work was shared and what Redis holds. */
export function formatDistributedSummary(report: DistributedCrawlReport): string {
  const died = report.workers.filter((w) => w.signal !== null || w.code !== 0);
  const lines = [
    `${bold("Redis results:")} ${formatCount(report.records)} pages recorded, ${formatCount(report.distinct)} distinct URLs, ${formatCount(report.records - report.distinct)} reported twice`,
    `${bold("Workers:")} ${report.workers.length}, ${died.length === 0 ? "all finished" : `${died.length} died (${died.map((w) => `${w.index + 1}: ${w.signal ?? `exit ${w.code}`}`).join(", ")})`}; ${formatCount(report.deadLetters)} dead letters`,
  ];
  if (report.unfinished > 0) {
    lines.push(red(`Incomplete: ${formatCount(report.unfinished)} URLs left unfinished in Redis`));
  }
  return lines.join("\n");
}
