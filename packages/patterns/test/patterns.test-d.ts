import { GreenPool } from "@tendril/core";
import {
  type Crawl,
  crawl,
  dispatch,
  type FetchResult,
  fetchAll,
  type PageResult,
  type Settled,
} from "@tendril/patterns";
import { expectTypeOf, test } from "vitest";

test("dispatch infers the value type of each entry from fn", () => {
  const results = dispatch([1, 2], async (n: number) => `#${n}`, { pool: new GreenPool(2) });
  expectTypeOf(results).toEqualTypeOf<Promise<Array<Settled<string>>>>();
  type Entry = Settled<string>;
  expectTypeOf<Extract<Entry, { ok: true }>["value"]>().toEqualTypeOf<string>();
  expectTypeOf<Extract<Entry, { ok: false }>["error"]>().toEqualTypeOf<unknown>();
});

test("fetchAll yields bytes by default and what read returns otherwise", () => {
  expectTypeOf(fetchAll(["http://127.0.0.1/"])).toEqualTypeOf<
    AsyncIterableIterator<FetchResult<Uint8Array>>
  >();
  const texts = fetchAll(["http://127.0.0.1/"], { read: (r) => r.text() });
  expectTypeOf(texts).toEqualTypeOf<AsyncIterableIterator<FetchResult<string>>>();
});

test("crawl is an async iterable of page results", () => {
  const crawler = crawl(["http://127.0.0.1/"]);
  expectTypeOf(crawler).toEqualTypeOf<Crawl>();
  expectTypeOf(crawler).toMatchTypeOf<AsyncIterable<PageResult>>();
});
