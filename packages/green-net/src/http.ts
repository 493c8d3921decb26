/**
 * `@tendril/green-net/http`: the green HTTP client on undici — `urlopen`, `fetch`,
 * `HttpClient`, `GreenDispatcher`, typed errors — and `patch()`, which makes the global `fetch`
 * green and turns `watchIo()` on.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "./node-version.js";

/** The codes of this package's errors (they extend `@tendril/core`'s `TendrilErrorCodes`). */
export type { GreenNetErrorCode } from "./error-codes.js";
/** HTTP client: green urlopen and fetch on undici, limits and typed errors; patch() for fetch users. */
export type { ConcurrencyLimit } from "./http/concurrency.js";
export {
  HttpError,
  HttpRequestError,
  HttpTimeout,
  type HttpTimeoutPhase,
  ResponseTooLarge,
  TooManyRedirects,
} from "./http/errors.js";
export { GreenDispatcher, type GreenDispatcherOptions } from "./http/green-dispatcher.js";
export {
  HttpClient,
  type HttpClientOptions,
  type UrlopenBody,
  type UrlopenInit,
} from "./http/http-client.js";
export { HttpResponse } from "./http/http-response.js";
export { patch, patchedDispatcher, unpatch } from "./http/patch.js";
export { fetch, getDefaultHttpClient, setDefaultHttpClient, urlopen } from "./http/urlopen.js";
export type { BeforeRedirect, RedirectHop } from "./http/urlopen-task.js";
