/**
 * What an `HttpResponse` reads its body from: the contract between the response a user holds
 * and the request in flight that fills it (`Exchange`). Kept in its own file so that the two
 * depend on it, not on each other.
 *
 * @module
 */

/** @internal The body source of one response. */
export interface ResponseBody {
  /** The request method (a HEAD response has no body). */
  readonly method: string;
  /** The URL that answered. */
  readonly url: string;
  /** True when the response was reached through a redirect. */
  readonly redirected: boolean;
  /** True once the body arrived whole or the request failed. */
  readonly done: boolean;
  /** The whole body: a green operation when `green`, else a plain promise. */
  collect(green: boolean): Promise<Buffer>;
  /** The next chunk, or `null` at the end: a green operation when `green`. */
  next(green: boolean): Promise<Buffer | null>;
  /** Drops what is buffered (the body is not wanted). */
  discardBuffered(): void;
  /** Aborts the request with `reason`. */
  abort(reason: unknown): void;
}
