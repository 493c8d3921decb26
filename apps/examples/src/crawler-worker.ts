/**
 * One worker process of `crawler --redis URL --workers N`, forked by `crawler-distributed`.
 * It runs the very same `crawl()` as the single-process crawler, with a `RedisCrawlFrontier`:
 * it takes URLs from Redis, fetches them on its own `GreenPool`, and finishes each page there.
 * It sends its running totals to the parent over the IPC channel, and exits when the crawl is
 * over everywhere (or when the parent says stop).
 *
 * Trade-off: the pages themselves are not sent to the parent; the parent reads them from the
 * frontier's results stream, where each URL is recorded exactly once even if a worker dies.
 *
 * @module
 */

import { type CrawlStats, crawl } from "@tendril/patterns";
import { RedisCrawlFrontier } from "@tendril/patterns/redis-queue";
import { runMain } from "./cli.js";

/** What the parent sends a worker to start it. */
export interface WorkerConfig {
  readonly redis: string;
  readonly name: string;
  readonly urls: readonly string[];
  readonly concurrency: number;
  readonly perOrigin: number;
  readonly maxPages: number;
  readonly maxDepth?: number;
  readonly timeoutMs: number;
  readonly visibilityMs: number;
}

/** Messages between the parent and a worker. */
export type ToWorker = { type: "start"; config: WorkerConfig } | { type: "stop" };
export type FromWorker =
  | { type: "stats"; stats: CrawlStats }
  | { type: "done"; stats: CrawlStats }
  | { type: "error"; message: string };

/**
 * Runs one worker's share of a distributed crawl, reporting totals through `report`.
 *
 * @example
 * ```ts
 * const stats = await runWorker(config, (message) => process.send?.(message));
 * ```
 */
export async function runWorker(
  config: WorkerConfig,
  report: (message: FromWorker) => void,
  stopSignal?: AbortSignal,
): Promise<CrawlStats> {
  // #region distributed
  const frontier = new RedisCrawlFrontier({
    redis: config.redis,
    name: config.name,
    visibilityTimeoutMs: config.visibilityMs,
  });
  let last = 0;
  const crawler = crawl(config.urls, {
    frontier,
    concurrency: config.concurrency,
    perOriginLimit: config.perOrigin,
    maxPages: config.maxPages,
    pageTimeoutMs: config.timeoutMs,
    ...(config.maxDepth !== undefined ? { maxDepth: config.maxDepth } : {}),
    onProgress(stats) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      report({ type: "stats", stats });
    },
  });
  // #endregion distributed
  const stop = () => void crawler.stop();
  stopSignal?.addEventListener("abort", stop);
  try {
    for await (const _page of crawler) {
      // The page is recorded in Redis; the parent reads it from there.
    }
    const stats = crawler.stats();
    report({ type: "done", stats });
    return stats;
  } finally {
    stopSignal?.removeEventListener("abort", stop);
    await frontier.close();
  }
}

/** The worker's entry: waits for its configuration from the parent, then crawls. */
async function main(): Promise<number> {
  const send = process.send?.bind(process);
  if (send === undefined) {
    process.stderr.write(
      "crawler-worker is started by the crawler: node dist/crawler.js --redis URL --workers N\n",
    );
    return 2;
  }
  const config = await new Promise<WorkerConfig>((resolve) => {
    process.once("message", (message: ToWorker) => {
      if (message.type === "start") resolve(message.config);
    });
  });
  const stopper = new AbortController();
  process.on("message", (message: ToWorker) => {
    if (message.type === "stop") stopper.abort();
  });
  // An orphan stops: the parent died (or was killed), so nobody would read the totals.
  process.once("disconnect", () => stopper.abort());
  // Ctrl-C reaches the whole process group: the parent decides, through "stop".
  process.on("SIGINT", () => undefined);
  try {
    await runWorker(config, (message) => send(message), stopper.signal);
    return 0;
  } catch (error) {
    send({ type: "error", message: (error as Error)?.stack ?? String(error) });
    return 1;
  } finally {
    process.removeAllListeners("message");
    process.removeAllListeners("SIGINT");
    process.removeAllListeners("disconnect");
    if (process.connected) process.disconnect();
  }
}

runMain(import.meta.url, main);
