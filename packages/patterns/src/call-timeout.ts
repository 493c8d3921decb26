/**
 * The one timeout of the recipes: a single call — a URL of `fetchAll`, a page of `crawl`, an
 * upstream call of `dispatch` — ran past its own time limit. One class for the three, because
 * a program handles them the same way ("that one was too slow"); the call it concerns is in
 * the result entry that carries the error.
 *
 * @module
 */

import { TendrilError } from "@tendril/core";

/**
 * The error of one call that took longer than its time limit (`fetchAll`'s `timeout`,
 * `crawl`'s `pageTimeoutMs`, `dispatch`'s `timeout`). `code` is `ERR_TENDRIL_CALL_TIMEOUT`,
 * and `isTimeout()` is true for it.
 *
 * @example
 * ```ts
 * for await (const r of fetchAll(urls, { timeout: 1000 }))
 *   if (!r.ok && r.error instanceof CallTimeout) console.log("slow:", r.url, r.error.ms);
 * ```
 */
export class CallTimeout extends TendrilError {
  /** The time limit that passed, in milliseconds. */
  readonly ms: number;
  constructor(ms: number, what: string) {
    super("ERR_TENDRIL_CALL_TIMEOUT", `${what} took longer than ${ms} ms`);
    this.ms = ms;
  }
}
