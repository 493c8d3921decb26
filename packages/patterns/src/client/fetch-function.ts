/**
 * The HTTP GET every recipe makes, behind one seam: `urlopen` from `@tendril/green-net` by
 * default (already a green operation: kill and Timeout abort it; keep-alive pools; size
 * limits), or any `fetch`-compatible function a caller plugs in (the global `fetch`, undici's,
 * a test double), which this makes green by aborting its `signal` when the calling thread is
 * interrupted.
 *
 * @module
 */

import { green } from "@tendril/core";
import { type HttpResponse, type UrlopenInit, urlopen } from "@tendril/green-net";

/**
 * What a `FetchFunction` answers: a web `Response`, or green-net's `HttpResponse`.
 *
 * @example
 * ```ts
 * const response: FetchResponse = await urlopen("http://127.0.0.1:8080/");
 * console.log(response.status);
 * ```
 */
export type FetchResponse = Response | HttpResponse;

/**
 * The request options the recipes pass: `urlopen`'s (`fetch` ignores the ones it lacks).
 *
 * @example
 * ```ts
 * const init: FetchInit = { headers: { accept: "text/html" }, maxResponseBytes: 1 << 20 };
 * ```
 */
export type FetchInit = UrlopenInit & Record<string, unknown>;

/**
 * A `fetch`-compatible function. Options the recipes pass beyond `fetch`'s (`maxResponseBytes`,
 * `lookup`) are `urlopen`'s; other clients may ignore them, as the recipes check sizes and
 * addresses themselves as well.
 *
 * @example
 * ```ts
 * const viaUrlopen: FetchFunction = (url, init) => urlopen(url, init);
 * const title = await fetchFeedTitle(feedUrl, { fetch: viaUrlopen });
 * ```
 */
export type FetchFunction = (url: string, init: FetchInit) => Promise<FetchResponse>;

/**
 * Calls `fetchFn(url, init)` (default `urlopen`) as a green operation: a kill or Timeout of the
 * calling thread aborts the request and rejects at once.
 *
 * @example
 * ```ts
 * const response = await greenFetch(globalThis.fetch, "http://127.0.0.1:8080/", {});
 * ```
 *
 * @internal
 */
export function greenFetch(
  fetchFn: FetchFunction | undefined,
  url: string,
  init: FetchInit,
): Promise<FetchResponse> {
  if (fetchFn === undefined || fetchFn === (urlopen as unknown)) return urlopen(url, init);
  const controller = new AbortController();
  return green(fetchFn(url, { ...init, signal: controller.signal }), (reason) =>
    controller.abort(reason),
  );
}
