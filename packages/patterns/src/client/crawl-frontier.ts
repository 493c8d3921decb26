/**
 * The seam between `crawl()` and a frontier shared by many processes. `crawl()` keeps its own
 * in-memory frontier by default; given a `CrawlFrontier` (such as `RedisCrawlFrontier` from
 * `@tendril/patterns/redis-queue`), it takes its URLs from there and finishes each page there,
 * so the same crawler code runs as one process or as many.
 *
 * Trade-off: the contract is small and asynchronous on purpose (take, finish, give back, count)
 * so a backend can make `finish` one atomic step — admit the links, record the page, and
 * acknowledge the URL — which is what makes a crashed worker harmless.
 *
 * @module
 */

/**
 * One URL to crawl, as a shared frontier stores it.
 *
 * @example
 * ```ts
 * const task: FrontierTask = { url: "http://127.0.0.1:8080/", depth: 0, referrer: null };
 * ```
 */
export interface FrontierTask {
  readonly url: string;
  /** Link depth (start URLs are 0). */
  readonly depth: number;
  /** The page that linked here; `null` for a start URL. */
  readonly referrer: string | null;
}

/**
 * A page's outcome as a shared frontier records it: JSON-safe, without the links' text.
 *
 * @example
 * ```ts
 * for (const { value } of await frontier.results()) console.log(value.ok ? value.status : value.error?.message, value.url);
 * ```
 */
export interface PageRecord {
  readonly url: string;
  readonly ok: boolean;
  readonly depth: number;
  readonly referrer: string | null;
  readonly ms: number;
  /** Successful pages: status, final URL, content type, body bytes and links found. */
  readonly status?: number;
  readonly finalUrl?: string;
  readonly contentType?: string;
  readonly bytes?: number;
  readonly links?: number;
  /** Failed pages: the error's name, message, and `code` and HTTP `status` when it has them. */
  readonly error?: {
    readonly name: string;
    readonly message: string;
    readonly code?: string;
    readonly status?: number;
  };
}

/**
 * What `CrawlFrontier.finish` did.
 *
 * @example
 * ```ts
 * const done = await frontier.finish(task, links, record, 5000);
 * if (done.first) console.log(`${done.added} new links, ${done.unfinished} URLs to go`);
 * ```
 */
export interface FrontierFinish {
  /** True when this call finished the URL; false when another worker already had. */
  readonly first: boolean;
  /** Links admitted into the frontier (new, within the page budget). */
  readonly added: number;
  /** Links refused because they were admitted before (by any worker). */
  readonly duplicates: number;
  /** Links refused because the page budget was spent. */
  readonly overBudget: number;
  /** URLs ever admitted, across all workers. */
  readonly seen: number;
  /** URLs admitted and not finished, across all workers. */
  readonly unfinished: number;
}

/**
 * A crawl frontier shared by many crawling processes. Every method is a green operation.
 * Implementations: `RedisCrawlFrontier` in `@tendril/patterns/redis-queue`.
 *
 * @example
 * ```ts
 * import { RedisCrawlFrontier } from "@tendril/patterns/redis-queue";
 * const frontier: CrawlFrontier = new RedisCrawlFrontier({ redis: "redis://127.0.0.1:6379", name: "crawl" });
 * for await (const page of crawl(["http://127.0.0.1:8080/"], { frontier })) console.log(page.url);
 * ```
 */
export interface CrawlFrontier {
  /** Admits the start URLs (each once, while fewer than `maxPages` URLs were ever admitted). */
  seed(tasks: readonly FrontierTask[], maxPages: number): Promise<void>;
  /** The next URL to fetch, or `null` when none came within `waitMs`. */
  take(waitMs: number): Promise<FrontierTask | null>;
  /**
   * Finishes a URL `take()` returned, in one atomic step: admits `links` (each once, within
   * `maxPages`), records `record`, and acknowledges the URL — only if no worker did before.
   */
  finish(
    task: FrontierTask,
    links: readonly FrontierTask[],
    record: PageRecord,
    maxPages: number,
  ): Promise<FrontierFinish>;
  /** Hands a URL `take()` returned back unfinished, for any worker to take at once. */
  giveBack(task: FrontierTask): Promise<void>;
  /** URLs admitted and not finished, across all workers: 0 means the crawl is over. */
  unfinished(): Promise<number>;
}
