/**
 * The recursive crawler: Eventlet's `recursive_crawler.py` and `producer_consumer.py` grown
 * into a tool. A coordinator green thread owns the frontier (a seen-set and one backlog per
 * origin); fetcher green threads on a `GreenPool` fetch pages and post what they found to the
 * coordinator's `Queue`; the coordinator hands each page to the caller through a small
 * bounded queue, in the order pages finish.
 *
 * Why a coordinator instead of fetchers that spawn fetchers (the recursive example): the
 * frontier has one writer, so the seen-set, the page budget and politeness need no locks, and
 * the crawl knows exactly when it is over (no fetch running, no backlog) instead of polling
 * `waitall()`. Politeness is scheduling, not blocking: a URL whose origin already has
 * `perOriginLimit` requests running waits in that origin's backlog without holding a pool
 * slot, so one slow site never starves the others.
 *
 * Memory is bounded by the page budget (`maxPages` URLs are ever accepted) and by the caller:
 * when the caller stops reading, the coordinator stops dispatching.
 *
 * @module
 */

import {
  Event,
  GreenPool,
  type GreenThread,
  GreenThreadExit,
  getCurrent,
  getHub,
  Queue,
  Semaphore,
  spawn,
  TendrilError,
  Timeout,
} from "@tendril/core";
import { checkInteger, checkMs } from "@tendril/core/validate";
import { CallTimeout } from "../call-timeout.js";
import { guardedFetch } from "../dispatch/guarded-fetch.js";
import type { OutboundPolicy } from "../dispatch/outbound-guard.js";
import type { CrawlFrontier, FrontierTask, PageRecord } from "./crawl-frontier.js";
import { extractLinks } from "./extract-links.js";
import {
  type FetchFunction,
  type FetchInit,
  type FetchResponse,
  greenFetch,
} from "./fetch-function.js";
import { decodeText, readBody, statusError } from "./read-body.js";

/**
 * Options of `crawl`. Times are in milliseconds, sizes in bytes.
 *
 * @example
 * ```ts
 * const options: CrawlOptions = { concurrency: 20, maxPages: 100, maxDepth: 3, sameOrigin: true };
 * for await (const page of crawl(["http://127.0.0.1:8080/"], options)) console.log(page.url);
 * ```
 */
export interface CrawlOptions {
  /** The pool fetchers run on. Default: a new `GreenPool(concurrency)`. */
  pool?: GreenPool;
  /** Fetches at once, when no pool is given. Default 20. */
  concurrency?: number;
  /** Pages to fetch at most (successes and failures). Default 100. */
  maxPages?: number;
  /** Link depth to follow (start URLs are depth 0). Default: unlimited. */
  maxDepth?: number;
  /** Follow only links on the start URLs' origins. Default `true`. */
  sameOrigin?: boolean;
  /** Time for one page, request and body. Default 10_000. */
  pageTimeoutMs?: number;
  /** Requests at once to one origin (scheme, host and port): politeness. Default 2. */
  perOriginLimit?: number;
  /** Largest page body read. Default 5 MiB. */
  maxPageBytes?: number;
  /** Follow a link only if this returns true (after the other checks). */
  filter?: (url: URL) => boolean;
  /** The HTTP client. Default `urlopen` from `@tendril/green-net`. */
  fetch?: FetchFunction;
  /**
   * When given, every URL and every redirect hop is checked against it, on resolved addresses
   * (see `guardedFetch`). Default: none — the crawler goes where the links lead.
   */
  outbound?: OutboundPolicy;
  /** Called after every page with the running totals, e.g. to draw a progress bar. */
  onProgress?: (stats: CrawlStats) => void;
  /**
   * Where the URLs to crawl live. Default: in this process's memory. A shared frontier (such
   * as `RedisCrawlFrontier` from `@tendril/patterns/redis-queue`) lets several processes crawl
   * together: each runs `crawl()` with the same start URLs and options, takes URLs from the
   * frontier, and finishes each page there, so every URL is admitted once, the page budget is
   * shared, a page is yielded by exactly one process, and a dead worker's URLs are taken over.
   * With it, `concurrency` fetches run at once in this process, and `perOriginLimit` holds
   * per process.
   */
  frontier?: CrawlFrontier;
}

/**
 * What the crawler knows about one page it fetched, or tried to.
 *
 * @example
 * ```ts
 * for await (const page of crawl(["http://127.0.0.1:8080/"])) {
 *   console.log(page.ok ? `${page.status} ${page.url}: ${page.links.length} links` : `${page.url}: ${page.error}`);
 * }
 * ```
 */
export type PageResult =
  | {
      readonly ok: true;
      readonly url: string;
      /** The URL after redirects. */
      readonly finalUrl: string;
      readonly depth: number;
      /** The page that linked here; `null` for a start URL. */
      readonly referrer: string | null;
      readonly status: number;
      readonly contentType: string;
      readonly bytes: number;
      /** Absolute links found (HTML pages only), before any filtering. */
      readonly links: readonly string[];
      readonly ms: number;
    }
  | {
      readonly ok: false;
      readonly url: string;
      readonly depth: number;
      readonly referrer: string | null;
      readonly error: unknown;
      readonly ms: number;
    };

/**
 * Running totals of a crawl.
 *
 * @example
 * ```ts
 * const c = crawl(["http://127.0.0.1:8080/"], { maxPages: 50 });
 * for await (const _page of c);
 * const stats: CrawlStats = c.stats();
 * console.log(`${stats.fetched} fetched, ${stats.failed} failed, ${stats.skipped} skipped`);
 * ```
 */
export interface CrawlStats {
  /** URLs accepted into the frontier (never more than `maxPages`; with a shared frontier,
   * by every process, as last seen). */
  readonly seen: number;
  /** Accepted and waiting (in a per-origin backlog or for a pool slot; with a shared
   * frontier, everywhere, as last seen). */
  readonly queued: number;
  /** Being fetched now. */
  readonly inFlight: number;
  /** Pages fetched successfully. */
  readonly fetched: number;
  /** Pages that failed (status, timeout, network, refused). */
  readonly failed: number;
  /** Links not followed: other origin, too deep, filtered, or over the page budget. */
  readonly skipped: number;
  /** Body bytes read. */
  readonly bytes: number;
  /** Time since the crawl started. */
  readonly elapsedMs: number;
  /** The page budget. */
  readonly maxPages: number;
}

interface Task {
  url: string;
  depth: number;
  referrer: string | null;
  origin: string;
}

interface Done {
  task: Task;
  page: PageResult;
}

interface OriginState {
  active: number;
  backlog: Task[];
}

const END = Symbol("crawl end");
/**
 * How long a worker of a shared crawl waits for a URL before it checks whether the crawl is
 * over: how late a process learns that another one finished the last page.
 */
const IDLE_MS = 50;
/** The most links a worker of a shared crawl remembers having given the frontier. */
const OFFERED_CACHE = 100_000;
const PAGE_HEADERS = Object.freeze({ accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5" });

function positiveInt(what: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  return checkInteger(`crawl: ${what}`, value, min, { allowInfinity: true });
}

function nonNegativeMs(what: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : checkMs(`crawl: ${what}`, value);
}

/**
 * A running (or not yet started) crawl: iterate it for the pages as they finish, read
 * `stats()` at any time, `stop()` it early. It starts on the first iteration; breaking out of
 * the loop stops it and kills its fetchers.
 *
 * @example
 * ```ts
 * const crawler = crawl(["http://127.0.0.1:8080/"], { maxPages: 50 });
 * for await (const page of crawler) console.log(page.ok ? page.status : "failed", page.url);
 * console.log(crawler.stats());
 * ```
 */
export class Crawl implements AsyncIterable<PageResult> {
  readonly #start: Task[];
  readonly #pool: GreenPool;
  readonly #maxPages: number;
  readonly #maxDepth: number;
  readonly #sameOrigin: boolean;
  readonly #pageTimeout: number;
  readonly #perOrigin: number;
  readonly #maxBytes: number;
  readonly #filter: ((url: URL) => boolean) | undefined;
  readonly #fetch: FetchFunction | undefined;
  readonly #outbound: OutboundPolicy | undefined;
  readonly #onProgress: ((stats: CrawlStats) => void) | undefined;
  readonly #origins = new Map<string, OriginState>();
  readonly #startOrigins = new Set<string>();
  readonly #seen = new Set<string>();
  readonly #inbox = new Queue<Done>();
  readonly #output = new Queue<PageResult | typeof END>(1);
  #stopped = false;
  readonly #fetchers = new Set<GreenThread<unknown>>();
  /** With a shared frontier: the threads finishing fetched pages there (also in #fetchers). */
  readonly #finishers = new Set<GreenThread<void>>();
  #coordinator: GreenThread<void> | null = null;
  #finished = false;
  #startedAt = 0;
  #endedAt: number | null = null;
  #queued = 0;
  #inFlight = 0;
  #fetched = 0;
  #failed = 0;
  #skipped = 0;
  #bytes = 0;
  readonly #frontier: CrawlFrontier | undefined;
  readonly #workers: number;
  /** URLs a worker of a shared crawl took and has not finished: handed back by stop(). */
  readonly #taken = new Set<FrontierTask>();
  readonly #originLocks = new Map<string, Semaphore>();
  #sharedSeen = 0;
  #sharedUnfinished = 0;
  /** Links this process's finishes gave the shared frontier (see `#remember`). */
  readonly #offered = new Set<string>();

  /** @internal Use `crawl()`. */
  constructor(startUrls: Iterable<string | URL>, options: CrawlOptions = {}) {
    const concurrency = positiveInt("concurrency", options.concurrency, 20);
    this.#pool = options.pool ?? new GreenPool(concurrency);
    this.#maxPages = positiveInt("maxPages", options.maxPages, 100, 0);
    this.#maxDepth = positiveInt("maxDepth", options.maxDepth, Number.POSITIVE_INFINITY, 0);
    this.#sameOrigin = options.sameOrigin ?? true;
    this.#pageTimeout = nonNegativeMs("pageTimeout", options.pageTimeoutMs, 10_000);
    this.#perOrigin = positiveInt("perOriginLimit", options.perOriginLimit, 2);
    this.#maxBytes = positiveInt("maxPageBytes", options.maxPageBytes, 5 * 1024 * 1024, 0);
    this.#filter = options.filter;
    this.#fetch = options.fetch;
    this.#outbound = options.outbound;
    this.#onProgress = options.onProgress;
    this.#frontier = options.frontier;
    if (this.#frontier !== undefined && typeof this.#frontier?.take !== "function") {
      throw new TypeError(
        `crawl: frontier must be a CrawlFrontier (take, finish, giveBack, seed, unfinished), received ${typeof this.#frontier}`,
      );
    }
    this.#workers =
      options.concurrency === undefined && options.pool !== undefined
        ? Math.max(1, this.#pool.size)
        : concurrency;
    this.#start = [];
    for (const raw of startUrls) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new TypeError(
          `crawl: start URLs must be absolute URLs, received ${JSON.stringify(String(raw))}`,
        );
      }
      url.hash = "";
      this.#startOrigins.add(url.origin);
      this.#start.push({ url: url.href, depth: 0, referrer: null, origin: url.origin });
    }
  }

  /** The running totals. */
  stats(): CrawlStats {
    const shared = this.#frontier !== undefined;
    return {
      seen: shared ? this.#sharedSeen : this.#seen.size,
      queued: shared ? Math.max(0, this.#sharedUnfinished - this.#inFlight) : this.#queued,
      inFlight: this.#inFlight,
      fetched: this.#fetched,
      failed: this.#failed,
      skipped: this.#skipped,
      bytes: this.#bytes,
      elapsedMs:
        this.#coordinator === null ? 0 : (this.#endedAt ?? getHub().now()) - this.#startedAt,
      maxPages: this.#maxPages,
    };
  }

  /**
   * Stops the crawl: no new fetch starts, the running ones are killed, and iteration ends.
   * Resolves once the coordinator has unwound.
   */
  async stop(): Promise<void> {
    this.#finished = true;
    this.#stopped = true;
    const fetchers = this.#killFetchers();
    const coordinator = this.#coordinator;
    if (coordinator !== null && !coordinator.dead) await coordinator.kill();
    await fetchers;
    this.#inFlight = 0; // their results will never be collected
    await this.#giveBackTaken();
    // A reader parked in get() (the queue is then empty) must learn that the crawl is over:
    // the coordinator was killed before it could send the end marker.
    if (this.#output.getting() > 0) this.#output.putNowait(END);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PageResult> {
    this.#begin();
    try {
      for (;;) {
        if (this.#stopped && this.#output.qsize() === 0) return;
        const item = await this.#output.get();
        if (item === END) return;
        yield item;
      }
    } finally {
      if (!this.#finished) await this.stop();
      const coordinator = this.#coordinator;
      // Surface a coordinator failure (a bug, or a throwing filter) instead of ending quietly.
      if (coordinator?.dead) {
        await coordinator.wait().catch((error: unknown) => {
          if (!(error instanceof GreenThreadExit)) throw error;
        });
      }
    }
  }

  #begin(): void {
    if (this.#coordinator !== null) {
      throw new TendrilError("ERR_TENDRIL_CRAWL_STARTED", "a crawl can be iterated only once");
    }
    this.#startedAt = getHub().now();
    const frontier = this.#frontier;
    this.#coordinator = spawn(() =>
      frontier === undefined ? this.#run() : this.#runShared(frontier),
    );
    this.#coordinator.name = "crawl coordinator";
  }

  #killFetchers(): Promise<unknown> {
    const kills = [...this.#fetchers].map((fetcher) => fetcher.kill());
    this.#fetchers.clear();
    return Promise.all(kills);
  }

  async #run(): Promise<void> {
    try {
      for (const task of this.#start) this.#accept(task);
      for (;;) {
        await this.#pump();
        if (this.#inFlight === 0) break; // nothing runs and nothing could be dispatched
        const { task, page } = await this.#inbox.get();
        this.#inFlight--;
        const state = this.#origins.get(task.origin) as OriginState;
        state.active--;
        if (page.ok) {
          this.#fetched++;
          this.#bytes += page.bytes;
          for (const link of page.links) this.#consider(link, task);
        } else this.#failed++;
        await this.#output.put(page);
        this.#onProgress?.(this.stats());
      }
      this.#finished = true;
      await this.#output.put(END);
    } finally {
      this.#finished = true;
      this.#endedAt = getHub().now();
      void this.#killFetchers();
    }
  }

  #consider(link: string, from: Task): void {
    if (this.#seen.has(link)) return;
    const task = this.#followable(link, from);
    if (task !== null) this.#accept(task);
  }

  /** The task for `link` if the crawl may follow it (depth, origin, filter); counts a skip. */
  #followable(link: string, from: { url: string; depth: number }): Task | null {
    const depth = from.depth + 1;
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      this.#skipped++;
      return null;
    }
    if (
      depth > this.#maxDepth ||
      (this.#sameOrigin && !this.#startOrigins.has(url.origin)) ||
      (this.#filter !== undefined && !this.#filter(url))
    ) {
      this.#skipped++;
      return null;
    }
    return { url: link, depth, referrer: from.url, origin: url.origin };
  }

  #accept(task: Task): void {
    if (this.#seen.has(task.url)) return;
    if (this.#seen.size >= this.#maxPages) {
      this.#skipped++;
      return;
    }
    this.#seen.add(task.url);
    let state = this.#origins.get(task.origin);
    if (state === undefined) {
      state = { active: 0, backlog: [] };
      this.#origins.set(task.origin, state);
    }
    state.backlog.push(task);
    this.#queued++;
  }

  /** Dispatches every backlog entry whose origin has room. */
  async #pump(): Promise<void> {
    if (this.#queued === 0) return;
    for (const state of this.#origins.values()) {
      while (state.active < this.#perOrigin && state.backlog.length > 0) {
        const task = state.backlog.shift() as Task;
        state.active++;
        this.#queued--;
        this.#inFlight++;
        // Track the thread from the moment it is spawned, not from when it starts: stop()
        // must also cancel a fetcher the pool has spawned but not yet run (issue 17.9).
        const fetcher = await this.#pool.spawn(this.#fetchPage, task);
        if (!fetcher.dead) this.#fetchers.add(fetcher);
      }
    }
  }

  readonly #fetchPage = async (task: Task): Promise<void> => {
    // Invariant: no fetch starts once the crawl is stopped (a kill may have missed this thread).
    if (this.#stopped) return;
    const self = getCurrent();
    this.#fetchers.add(self);
    let page: PageResult;
    try {
      page = await this.#fetchOne(task);
    } finally {
      this.#fetchers.delete(self);
    }
    if (!this.#finished) this.#inbox.putNowait({ task, page });
  };

  /** Fetches one page under `pageTimeoutMs`; a failure is a failed page, not an exception. */
  async #fetchOne(task: Task): Promise<PageResult> {
    const started = getHub().now();
    let page: PageResult;
    const timeout = new Timeout(this.#pageTimeout);
    try {
      const init: FetchInit = { headers: PAGE_HEADERS, maxResponseBytes: this.#maxBytes };
      let response: FetchResponse;
      let finalUrl: string;
      if (this.#outbound === undefined) {
        response = await greenFetch(this.#fetch, task.url, init);
        finalUrl = response.url || task.url;
      } else {
        const guarded = await guardedFetch(task.url, {
          policy: this.#outbound,
          init,
          ...(this.#fetch === undefined ? {} : { fetch: this.#fetch }),
        });
        response = guarded.response;
        finalUrl = guarded.url.href;
      }
      if (!response.ok) {
        throw await statusError(response, finalUrl);
      }
      const contentType = response.headers.get("content-type") ?? "";
      const body = await readBody(response, { maxBodyBytes: this.#maxBytes });
      const isHtml = /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType);
      const links = isHtml ? extractLinks(decodeText(body, contentType), finalUrl) : [];
      page = {
        ok: true,
        url: task.url,
        finalUrl,
        depth: task.depth,
        referrer: task.referrer,
        status: response.status,
        contentType,
        bytes: body.byteLength,
        links,
        ms: getHub().now() - started,
      };
    } catch (error) {
      // A kill (stop(), break) ends the fetch; it is not the page's failure.
      if (error instanceof GreenThreadExit) throw error;
      page = {
        ok: false,
        url: task.url,
        depth: task.depth,
        referrer: task.referrer,
        error: error === timeout ? new CallTimeout(this.#pageTimeout, "the page") : error,
        ms: getHub().now() - started,
      };
    } finally {
      timeout.cancel();
    }
    return page;
  }

  // --- a shared frontier ------------------------------------------------------------------

  /**
   * The coordinator of a crawl on a shared frontier: seeds it, runs the workers, and ends the
   * crawl when the frontier has nothing unfinished (in any process) or a worker failed.
   */
  async #runShared(frontier: CrawlFrontier): Promise<void> {
    const over = new Event<void>();
    try {
      const seeds = this.#start.map(({ url, depth, referrer }) => ({ url, depth, referrer }));
      await frontier.seed(seeds, this.#maxPages);
      this.#remember(seeds);
      const slots = new Semaphore(this.#workers);
      for (let i = 0; i < this.#workers && !over.ready(); i++) {
        const worker = await this.#pool.spawn(this.#work, frontier, over, slots);
        worker.name = `crawl worker ${i + 1}`;
        if (!worker.dead) this.#fetchers.add(worker);
      }
      await over.wait(); // re-throws a worker's failure
      // Pages finished in the frontier but not yet reported here go out before the end.
      for (const finisher of [...this.#finishers]) {
        try {
          await finisher.wait();
        } catch {
          // A finisher that failed sent its error to `over`; one killed reports nothing.
        }
      }
      this.#finished = true;
      await this.#output.put(END);
    } finally {
      this.#finished = true;
      this.#endedAt = getHub().now();
      void this.#killFetchers();
    }
  }

  /** One worker of a shared crawl: take a URL, fetch it, finish it, until the crawl is over. */
  readonly #work = async (
    frontier: CrawlFrontier,
    over: Event<void>,
    slots: Semaphore,
  ): Promise<void> => {
    try {
      for (;;) {
        if (this.#stopped || over.ready()) return;
        const taken = await frontier.take(IDLE_MS);
        if (taken === null) {
          // Entries are deleted only once finished, after their links were admitted: nothing
          // unfinished anywhere means no URL is left to find.
          if ((await frontier.unfinished()) === 0 && !over.ready()) over.send();
          continue;
        }
        if (this.#stopped) {
          await frontier.giveBack(taken);
          return;
        }
        this.#taken.add(taken);
        let origin: string;
        try {
          origin = new URL(taken.url).origin;
        } catch {
          origin = "";
        }
        const task: Task = {
          url: taken.url,
          depth: taken.depth,
          referrer: taken.referrer,
          origin,
        };
        const lock = this.#originLock(origin);
        await lock.acquire();
        this.#inFlight++;
        let page: PageResult;
        try {
          page = await this.#fetchOne(task);
        } finally {
          lock.release();
        }
        const links: FrontierTask[] = [];
        if (page.ok) {
          for (const link of new Set(page.links)) {
            if (this.#offered.has(link)) continue;
            const next = this.#followable(link, task);
            if (next !== null)
              links.push({ url: next.url, depth: next.depth, referrer: next.referrer });
          }
        }
        // Finishing the page (a round trip to the frontier, batched with other finishes)
        // overlaps the next fetch: the worker takes its next URL at once, and at most
        // `#workers` finishes are outstanding (past that, it waits for a slot).
        await slots.acquire();
        const finisher = spawn(this.#finish, frontier, over, slots, taken, links, page);
        finisher.name = "crawl finisher";
        this.#finishers.add(finisher);
        this.#fetchers.add(finisher);
        finisher.link(() => {
          this.#finishers.delete(finisher);
          this.#fetchers.delete(finisher);
        });
      }
    } catch (error) {
      if (error instanceof GreenThreadExit) throw error;
      if (!over.ready()) over.sendException(error);
    }
  };

  /** Finishes one fetched page in the shared frontier and reports it if this process was first. */
  readonly #finish = async (
    frontier: CrawlFrontier,
    over: Event<void>,
    slots: Semaphore,
    taken: FrontierTask,
    links: FrontierTask[],
    page: PageResult,
  ): Promise<void> => {
    try {
      const finished = await frontier.finish(taken, links, pageRecord(page), this.#maxPages);
      this.#taken.delete(taken);
      this.#inFlight--;
      this.#sharedSeen = finished.seen;
      this.#sharedUnfinished = finished.unfinished;
      this.#skipped += finished.overBudget;
      // Nothing unfinished in any process: the crawl is over, no need to wait for an idle take.
      if (finished.unfinished === 0 && !over.ready()) over.send();
      if (!finished.first) return; // another worker finished this URL: it reported it
      this.#remember(links);
      if (page.ok) {
        this.#fetched++;
        this.#bytes += page.bytes;
      } else this.#failed++;
      await this.#output.put(page);
      this.#onProgress?.(this.stats());
    } catch (error) {
      if (error instanceof GreenThreadExit) throw error;
      if (!over.ready()) over.sendException(error);
    } finally {
      slots.release();
    }
  };

  /**
   * Notes links a finish of this process gave the shared frontier: it has them for good (in
   * its dedupe set, or refused over the budget, which only grows), so they need not travel
   * again when other pages link to them (a site's navigation links are on every page).
   */
  #remember(links: readonly FrontierTask[]): void {
    // A cache, not the dedupe set: past its size it starts over (the frontier still dedupes).
    if (this.#offered.size + links.length > OFFERED_CACHE) this.#offered.clear();
    for (const link of links) this.#offered.add(link.url);
  }

  #originLock(origin: string): Semaphore {
    let lock = this.#originLocks.get(origin);
    if (lock === undefined) {
      lock = new Semaphore(this.#perOrigin === Number.POSITIVE_INFINITY ? 1e9 : this.#perOrigin);
      this.#originLocks.set(origin, lock);
    }
    return lock;
  }

  /** Hands the URLs this process took and did not finish back to the shared frontier. */
  async #giveBackTaken(): Promise<void> {
    const frontier = this.#frontier;
    if (frontier === undefined) return;
    const taken = [...this.#taken];
    this.#taken.clear();
    for (const task of taken) {
      try {
        await frontier.giveBack(task);
      } catch {
        // Best effort: an unreleased URL is taken over after the visibility timeout.
      }
    }
  }
}

/** A page's JSON-safe record for a shared frontier. */
function pageRecord(page: PageResult): PageRecord {
  // Written out field by field, not spread from a shared base: this runs once per page.
  if (page.ok) {
    return {
      url: page.url,
      ok: true,
      depth: page.depth,
      referrer: page.referrer,
      ms: page.ms,
      status: page.status,
      finalUrl: page.finalUrl,
      contentType: page.contentType,
      bytes: page.bytes,
      links: page.links.length,
    };
  }
  const error = page.error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    status?: unknown;
  } | null;
  return {
    url: page.url,
    ok: false,
    depth: page.depth,
    referrer: page.referrer,
    ms: page.ms,
    error: {
      name: typeof error?.name === "string" ? error.name : "Error",
      message: typeof error?.message === "string" ? error.message : String(page.error),
      ...(typeof error?.code === "string" ? { code: error.code } : {}),
      ...(typeof error?.status === "number" ? { status: error.status } : {}),
    },
  };
}

/**
 * Crawls the web from `startUrls`: fetches pages concurrently on a pool, follows their links
 * (same origin by default), never fetches a URL twice, stops after `maxPages`, gives each page
 * `pageTimeoutMs`, and keeps at most `perOriginLimit` requests on any one origin. Returns a
 * `Crawl`: iterate it for each page as it finishes (failed pages included, with their error).
 *
 * @throws {TypeError|RangeError} for a bad start URL or option.
 * @example
 * ```ts
 * for await (const page of crawl(["http://127.0.0.1:8080/"], { maxPages: 20, perOriginLimit: 4 }))
 *   console.log(page.ok ? `${page.status} ${page.url} (${page.links.length} links)` : `failed ${page.url}`);
 * ```
 */
export function crawl(startUrls: Iterable<string | URL>, options: CrawlOptions = {}): Crawl {
  return new Crawl(startUrls, options);
}
