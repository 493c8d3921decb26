/**
 * The HTTP GET every recipe makes, behind one seam: `urlopen` from `@tendril/green-net` by
 * default (already a green operation: kill and Timeout abort it), or any `fetch`-compatible
 * function a caller plugs in (the global `fetch`, undici's, a test double), which this makes
 * green by aborting its `signal` when the calling thread is interrupted.
 *
 * @module
 */

import { green } from "@tendril/core";
import { urlopen } from "@tendril/green-net";

/**
 * A `fetch`-compatible function. Options the recipes pass beyond `fetch`'s (`maxResponseSize`,
 * `lookup`) are `urlopen`'s; other clients may ignore them, as the recipes check sizes and
 * addresses themselves as well.
 */
export type FetchFunction = (
  url: string,
  init: { signal?: AbortSignal; headers?: Record<string, string>; [option: string]: unknown },
) => Promise<Response>;

const defaultFetch = urlopen as unknown as FetchFunction;

/**
 * Calls `fetchFn(url, init)` as a green operation: a kill or Timeout of the calling thread
 * aborts the request (through `signal`) and rejects at once.
 *
 * @example
 * ```ts
 * const response = await greenFetch(globalThis.fetch, "http://127.0.0.1:8080/", {});
 * ```
 */
export function greenFetch(
  fetchFn: FetchFunction | undefined,
  url: string,
  init: Parameters<FetchFunction>[1],
): Promise<Response> {
  if (fetchFn === undefined || fetchFn === defaultFetch) return defaultFetch(url, init);
  const controller = new AbortController();
  return green(fetchFn(url, { ...init, signal: controller.signal }), (reason) =>
    controller.abort(reason),
  );
}
