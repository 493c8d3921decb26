/**
 * `RedisCrawlFrontier`: the `CrawlFrontier` of `crawl()` on a `RedisQueue`, so several crawling
 * processes (on one machine or many) share one crawl. The URL is the dedupe key, the page
 * budget is the dedupe set's size, and each page's `PageRecord` goes to the queue's results
 * stream exactly once — even when a worker died after fetching and the URL was fetched again.
 *
 * @module
 */

import { QueueEmpty } from "@tendril/core";
import type {
  CrawlFrontier,
  FrontierFinish,
  FrontierTask,
  PageRecord,
} from "../client/crawl-frontier.js";
import { RedisQueue, type RedisQueueOptions, type RedisResult } from "./redis-queue.js";

/**
 * Options of `RedisCrawlFrontier`: those of the `RedisQueue` it runs on, except that
 * `prefetch` defaults to 32: a crawl's fetches take URLs fast and in parallel, so reading
 * ahead saves a round trip per URL.
 *
 * @example
 * ```ts
 * const options: RedisCrawlFrontierOptions = { redis: "redis://127.0.0.1:6379", name: "site", visibilityTimeoutMs: 15_000 };
 * ```
 */
export type RedisCrawlFrontierOptions = Omit<RedisQueueOptions, "codec">;

// URLs one read takes beyond the waiting fetchers, unless `prefetch` says otherwise: enough
// that most takes find a URL already read (no round trip), few enough that one worker does not
// hoard the start of a crawl. They are pending on this worker meanwhile (taken over if it dies,
// handed back by close()).
const CRAWL_PREFETCH = 32;

function isTask(value: unknown): value is FrontierTask {
  const t = value as FrontierTask;
  return (
    typeof t === "object" &&
    t !== null &&
    typeof t.url === "string" &&
    typeof t.depth === "number" &&
    (t.referrer === null || typeof t.referrer === "string")
  );
}

const TASK_CODEC = {
  encode: (task: unknown) => JSON.stringify(task),
  decode: (text: string): unknown => {
    const value = JSON.parse(text) as unknown;
    if (!isTask(value)) throw new TypeError("not a crawl task: needs url, depth and referrer");
    return value;
  },
};

/**
 * A crawl frontier in Redis, shared by every process that crawls with the same `name`: pass it
 * as `crawl(urls, { frontier })` in each. Read the crawl's pages, once each, with `results()`.
 *
 * @throws {TypeError|RangeError} for a bad option (see `RedisQueue`).
 * @example
 * ```ts
 * import { crawl } from "@tendril/patterns";
 * import { RedisCrawlFrontier } from "@tendril/patterns/redis-queue";
 * await using frontier = new RedisCrawlFrontier({ redis: "redis://127.0.0.1:6379", name: "site" });
 * for await (const page of crawl(["http://127.0.0.1:8080/"], { frontier, maxPages: 5000 }))
 *   console.log(page.url);
 * ```
 */
export class RedisCrawlFrontier implements CrawlFrontier {
  /** The queue underneath: counts, dead letters, results. */
  readonly queue: RedisQueue<FrontierTask>;

  constructor(options: RedisCrawlFrontierOptions) {
    this.queue = new RedisQueue<FrontierTask>({
      ...options,
      prefetch: options.prefetch ?? CRAWL_PREFETCH,
      codec: TASK_CODEC,
    });
  }

  /** @inheritDoc */
  async seed(tasks: readonly FrontierTask[], maxPages: number): Promise<void> {
    for (const task of tasks) await this.queue.put(task, { key: task.url, maxKeys: maxPages });
  }

  /** @inheritDoc */
  async take(waitMs: number): Promise<FrontierTask | null> {
    try {
      return await this.queue.get({ timeout: waitMs });
    } catch (error) {
      if (error instanceof QueueEmpty) return null;
      throw error;
    }
  }

  /** @inheritDoc */
  async finish(
    task: FrontierTask,
    links: readonly FrontierTask[],
    record: PageRecord,
    maxPages: number,
  ): Promise<FrontierFinish> {
    const done = await this.queue.taskDone(task, {
      put: links.map((link) => ({ item: link, key: link.url })),
      maxKeys: maxPages,
      result: record,
    });
    return {
      first: done.first,
      added: done.added,
      duplicates: done.duplicates,
      overBudget: done.overBudget,
      seen: done.seen,
      unfinished: done.unfinished,
    };
  }

  /** @inheritDoc */
  async giveBack(task: FrontierTask): Promise<void> {
    await this.queue.release(task);
  }

  /** @inheritDoc */
  unfinished(): Promise<number> {
    return this.queue.unfinished();
  }

  /**
   * The crawl's pages recorded so far, once each, oldest first: up to `count` after `after`.
   *
   * @example
   * ```ts
   * let after = "0";
   * for (;;) { const last = (await frontier.results({ after })).at(-1); if (!last) break; after = last.id; }
   * ```
   */
  results(options: { after?: string; count?: number } = {}): Promise<RedisResult<PageRecord>[]> {
    return this.queue.results<PageRecord>(options);
  }

  /**
   * Stops this process's use of the frontier (see `RedisQueue.close`).
   *
   * @example
   * ```ts
   * await frontier.close();
   * ```
   */
  close(): Promise<void> {
    return this.queue.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
