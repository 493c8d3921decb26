/**
 * The module-level client: `urlopen` and `fetch` on a default `HttpClient`, created on first
 * use with the default options (no concurrency limit, the green resolver, 256 MiB response
 * limit, 20 redirects). Replace it with `setDefaultHttpClient` to change those defaults for
 * every caller, including `patch()`.
 *
 * @module
 */

import { HttpClient, type UrlopenInit } from "./http-client.js";
import type { HttpResponse } from "./http-response.js";

type RequestInit = NonNullable<Parameters<typeof globalThis.fetch>[1]>;

let defaultClient: HttpClient | null = null;

/**
 * The client that `urlopen`, `fetch` and `patch()` use (created on first use).
 *
 * @example
 * ```ts
 * const response = await getDefaultHttpClient().urlopen("http://127.0.0.1:8080/");
 * ```
 */
export function getDefaultHttpClient(): HttpClient {
  if (defaultClient === null) defaultClient = new HttpClient();
  return defaultClient;
}

/**
 * Makes `client` the default (or, with `null`, goes back to a fresh default on next use).
 * Returns the previous one, which the caller may close.
 *
 * @throws {TypeError} when `client` is neither an `HttpClient` nor `null`.
 * @example
 * ```ts
 * setDefaultHttpClient(new HttpClient({ pool: 200, headersTimeoutMs: 5000 }));
 * ```
 */
export function setDefaultHttpClient(client: HttpClient | null): HttpClient | null {
  if (client !== null && !(client instanceof HttpClient)) {
    throw new TypeError("setDefaultHttpClient: expected an HttpClient or null");
  }
  const previous = defaultClient;
  defaultClient = client;
  return previous;
}

/**
 * Opens `url` with the default client: a green operation that resolves with the response
 * once its headers arrived (see `HttpClient.urlopen`).
 *
 * @throws {TypeError} for an invalid URL or option.
 * @throws {HttpTimeout|ResponseTooLarge|TooManyRedirects|HttpRequestError|HttpError}
 * @example
 * ```ts
 * const urls = ["http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b"];
 * const pool = new GreenPool();
 * for await (const body of pool.imap(async (url: string) => (await urlopen(url)).bytes(), urls))
 *   console.log("got body", body.length);
 * ```
 */
export function urlopen(url: string | URL, init?: UrlopenInit): Promise<HttpResponse> {
  return getDefaultHttpClient().urlopen(url, init);
}

/**
 * The platform's `fetch` through the default client's green dispatcher: a green operation
 * that returns a real `Response` (see `HttpClient.fetch`).
 *
 * @throws {HttpTimeout|ResponseTooLarge|HttpRequestError} and an abort's reason.
 * @example
 * ```ts
 * const response = await fetch("http://127.0.0.1:8080/data.json");
 * console.log(await response.json());
 * ```
 */
export function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return getDefaultHttpClient().fetch(input, init);
}
