import { Queue, QueueEmpty, sleep } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import {
  type CrawlFrontier,
  crawl,
  type FrontierFinish,
  type FrontierTask,
  type PageResult,
} from "@tendril/patterns";
import { describe, expect, test } from "vitest";

/**
 * A CrawlFrontier in this process's memory, with what a shared one guarantees (each URL admitted
 * once, within the budget; unfinished counts every URL admitted and not finished), a 1 ms
 * round trip per finish, and a log of what each finish was given. A URL listed in `finishedElsewhere`
 * finishes as if another worker had finished it first: its links are not admitted.
 */
class MemoryFrontier implements CrawlFrontier {
  readonly finishes: { path: string; links: string[] }[] = [];
  readonly #ready = new Queue<FrontierTask>();
  readonly #seen = new Set<string>();
  readonly #finishedElsewhere: ReadonlySet<string>;
  #unfinished = 0;

  constructor(finishedElsewhere: readonly string[] = []) {
    this.#finishedElsewhere = new Set(finishedElsewhere);
  }

  #admit(task: FrontierTask, maxPages: number): number {
    if (this.#seen.has(task.url)) return 0;
    if (this.#seen.size >= maxPages) return -1;
    this.#seen.add(task.url);
    this.#unfinished++;
    this.#ready.putNowait(task);
    return 1;
  }

  async seed(tasks: readonly FrontierTask[], maxPages: number): Promise<void> {
    for (const task of tasks) this.#admit(task, maxPages);
  }

  async take(waitMs: number): Promise<FrontierTask | null> {
    try {
      return await this.#ready.get({ timeout: waitMs });
    } catch (error) {
      if (error instanceof QueueEmpty) return null;
      throw error;
    }
  }

  async finish(
    task: FrontierTask,
    links: readonly FrontierTask[],
    _record: unknown,
    maxPages: number,
  ): Promise<FrontierFinish> {
    await sleep(1);
    this.finishes.push({
      path: new URL(task.url).pathname,
      links: links.map((l) => new URL(l.url).pathname),
    });
    const first = !this.#finishedElsewhere.has(new URL(task.url).pathname);
    const counts = { added: 0, duplicates: 0, overBudget: 0 };
    if (first) {
      for (const link of links) {
        const admitted = this.#admit(link, maxPages);
        if (admitted === 1) counts.added++;
        else if (admitted === 0) counts.duplicates++;
        else counts.overBudget++;
      }
    }
    this.#unfinished--;
    return { first, ...counts, seen: this.#seen.size, unfinished: this.#unfinished };
  }

  async giveBack(task: FrontierTask): Promise<void> {
    this.#ready.putNowait(task);
  }

  async unfinished(): Promise<number> {
    return this.#unfinished;
  }
}

/** A site of HTML pages, each answered after 10 ms (virtual time): path → links. */
function site(links: Record<string, string[]>) {
  return async (url: string) => {
    await sleep(10);
    const body = (links[new URL(url).pathname] ?? []).map((l) => `<a href="${l}">${l}</a>`);
    return new Response(`<html><body>${body.join(" ")}</body></html>`, {
      headers: { "content-type": "text/html" },
    });
  };
}

async function run(pages: AsyncIterable<PageResult>): Promise<string[]> {
  const out: string[] = [];
  for await (const page of pages) out.push(new URL(page.url).pathname);
  return out.sort();
}

describe("crawl() on a shared frontier", () => {
  test("ends with the finish that leaves nothing unfinished, not after an idle wait", () =>
    withVirtualHub(async (hub) => {
      const fetch = site({ "/": ["/a", "/b"] });
      const frontier = new MemoryFrontier();
      const pages = await run(crawl(["http://site.test/"], { fetch, frontier, concurrency: 2 }));
      expect(pages).toEqual(["/", "/a", "/b"]);
      // "/" fetched by 10 and finished by 11; "/a" and "/b" fetched by 21, finished by 22.
      expect(hub.now()).toBe(22);
    }));

  test("a link a finish gave the frontier is not sent with later pages again", () =>
    withVirtualHub(async () => {
      const fetch = site({
        "/": ["/a", "/b", "/nav"],
        "/a": ["/nav", "/"],
        "/b": ["/nav", "/a"],
        "/nav": ["/"],
      });
      const frontier = new MemoryFrontier();
      const options = { fetch, frontier, concurrency: 1, perOriginLimit: 1 };
      expect(await run(crawl(["http://site.test/"], options))).toEqual(["/", "/a", "/b", "/nav"]);
      const sent = Object.fromEntries(frontier.finishes.map((f) => [f.path, f.links]));
      expect(sent).toEqual({ "/": ["/a", "/b", "/nav"], "/a": [], "/b": [], "/nav": [] });
    }));

  test("links of a page another worker finished first are sent again when found elsewhere", () =>
    withVirtualHub(async () => {
      // "/a" was finished elsewhere, so its "/x" was not admitted with it: "/b" must send it.
      const fetch = site({ "/": ["/a", "/b"], "/a": ["/x"], "/b": ["/x"] });
      const frontier = new MemoryFrontier(["/a"]);
      const options = { fetch, frontier, concurrency: 1, perOriginLimit: 1 };
      expect(await run(crawl(["http://site.test/"], options))).toEqual(["/", "/b", "/x"]);
      const sent = Object.fromEntries(frontier.finishes.map((f) => [f.path, f.links]));
      expect(sent).toEqual({ "/": ["/a", "/b"], "/a": ["/x"], "/b": ["/x"], "/x": [] });
    }));
});
