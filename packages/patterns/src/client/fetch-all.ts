/**
 * The client pattern of the seed page — `for body in pool.imap(fetch, urls)` — as a recipe:
 * fetch many URLs concurrently and get the results back in input order, with memory bounded
 * however long the list (at most the pool's size in flight, and as many finished results
 * buffered, whatever the order they finish in).
 *
 * It is `GreenPool.imap` with the details a real fetch loop needs: a per-URL timeout covering
 * the request *and* the body, a body size limit, and failures as entries instead of
 * exceptions — an `imap` that throws ends a `for await` loop at the first bad URL, which is
 * rarely what a program fetching ten thousand URLs wants.
 *
 * @module
 */

import { GreenPool, Timeout } from "@tendril/core";
import { checkInteger, checkMs } from "@tendril/core/validate";
import { CallTimeout } from "../call-timeout.js";
import { type FetchFunction, type FetchResponse, greenFetch } from "./fetch-function.js";
import { readBody, statusError } from "./read-body.js";

/**
 * Options of `fetchAll`. Times are in milliseconds, sizes in bytes.
 *
 * @example
 * ```ts
 * for await (const r of fetchAll(urls, { concurrency: 50, timeout: 5000, read: (res) => res.text() }))
 *   if (r.ok) console.log(r.url, r.value.length);
 * ```
 */
export interface FetchAllOptions<T> {
  /**
   * The pool the fetches run on; its size bounds the fetches in flight (and `imap` counts them
   * against it). Default: a new `GreenPool(concurrency)`.
   */
  pool?: GreenPool;
  /** Fetches at once, when no pool is given. Default 100. */
  concurrency?: number;
  /** Time for one URL, request and body together. Default: none. */
  timeout?: number | null;
  /** Largest body accepted. Default 10 MiB. */
  maxResponseBytes?: number;
  /** Turns a 2xx response into the value. Default: its body as a `Uint8Array` (size-limited). */
  read?: (response: FetchResponse, url: string) => T | Promise<T>;
  /** Extra request options (headers, method…), given to the HTTP client as they are. */
  init?: Record<string, unknown>;
  /** The HTTP client. Default `urlopen` from `@tendril/green-net`. */
  fetch?: FetchFunction;
}

/**
 * One URL's outcome, in input order.
 *
 * @example
 * ```ts
 * for await (const r of fetchAll(urls)) {
 *   if (r.ok) console.log(r.url, r.status);
 *   else console.log(r.url, "failed:", r.error);
 * }
 * ```
 */
export type FetchResult<T> =
  | { readonly ok: true; readonly url: string; readonly status: number; readonly value: T }
  | { readonly ok: false; readonly url: string; readonly error: unknown };

/**
 * Fetches every URL of `urls` (a list, or any sync or async iterable, pulled lazily)
 * concurrently on a pool and yields one `FetchResult` per URL **in input order**: `{ ok: true,
 * status, value }` for a 2xx response (the body, or what `read` made of it), `{ ok: false,
 * error }` otherwise (`HttpError`, `CallTimeout`, `ResponseTooLarge` — the first and last from
 * `@tendril/green-net` —, a
 * network error…). Never throws for one URL, so one bad URL does not end the loop.
 *
 * Memory stays bounded: at most the pool's size of fetches in flight and as many finished
 * results waiting for the slow one before them. Breaking out of the loop stops pulling URLs.
 *
 * @throws {TypeError|RangeError} for a bad option.
 * @example
 * ```ts
 * const pool = new GreenPool(200);
 * for await (const r of fetchAll(urls, { pool, timeout: 5000 }))
 *   console.log(r.ok ? `got body ${r.value.length}` : `failed ${r.url}: ${r.error}`);
 * ```
 */
export function fetchAll<T = Uint8Array>(
  urls: Iterable<string | URL> | AsyncIterable<string | URL>,
  options: FetchAllOptions<T> = {},
): AsyncIterableIterator<FetchResult<T>> {
  const concurrency = options.concurrency ?? 100;
  if (options.pool === undefined) checkInteger("fetchAll: concurrency", concurrency, 1);
  const pool = options.pool ?? new GreenPool(concurrency);
  const timeout = options.timeout ?? null;
  if (timeout !== null) checkMs("fetchAll: timeout", timeout);
  const maxBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const fetchFn = options.fetch;
  const read = options.read;

  const fetchOne = async (raw: string | URL): Promise<FetchResult<T>> => {
    const url = String(raw);
    const guard =
      timeout === null ? null : new Timeout(timeout, new CallTimeout(timeout, "the fetch"));
    try {
      const response = await greenFetch(fetchFn, url, {
        ...options.init,
        maxResponseBytes: maxBytes,
      });
      if (!response.ok) {
        throw await statusError(response, url);
      }
      const value =
        read === undefined
          ? ((await readBody(response, { maxBodyBytes: maxBytes })) as T)
          : await read(response, url);
      return { ok: true, url, status: response.status, value };
    } catch (error) {
      return { ok: false, url, error };
    } finally {
      guard?.cancel();
    }
  };
  return pool.imap(fetchOne, urls);
}
