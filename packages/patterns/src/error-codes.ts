/**
 * The `code`s of `@tendril/patterns`' errors, added to `@tendril/core`'s `TendrilErrorCodes`
 * registry so that `TendrilError.code` names them once this package is imported. Each is
 * explained on the docs' Errors page.
 *
 * @module
 */

/**
 * The error codes `@tendril/patterns` adds to `TendrilErrorCodes`.
 *
 * @example
 * ```ts
 * const code: PatternsErrorCode = "ERR_TENDRIL_OUTBOUND_REFUSED";
 * ```
 */
export interface PatternsErrorCodes {
  /** A `Crawl` iterated a second time. */
  ERR_TENDRIL_CRAWL_STARTED: true;
  /** `dispatch`'s whole-request deadline passed before this call finished (`DeadlineExceeded`). */
  ERR_TENDRIL_DEADLINE: true;
  /** A request asked `dispatch` for more calls than `maxFanout` (`FanoutLimitExceeded`). */
  ERR_TENDRIL_FANOUT_LIMIT: true;
  /** A document that is not a well-formed feed (`FeedParseError`). */
  ERR_TENDRIL_FEED_PARSE: true;
  /** A `fetchAll` URL took longer than `timeout`. */
  ERR_TENDRIL_FETCH_TIMEOUT: true;
  /** The outbound guard refused a destination address (`OutboundRefused`). */
  ERR_TENDRIL_OUTBOUND_REFUSED: true;
  /** A crawled page took longer than `pageTimeout`. */
  ERR_TENDRIL_PAGE_TIMEOUT: true;
  /** An operation on a closed `RedisQueue` (`RedisQueueClosed`). */
  ERR_TENDRIL_QUEUE_CLOSED: true;
  /** `taskDone` of an item this `RedisQueue` object did not hand out, or already finished (`UnknownItem`). */
  ERR_TENDRIL_QUEUE_UNKNOWN_ITEM: true;
  /** `guardedFetch` refused a redirect (bad target, or too many). */
  ERR_TENDRIL_REDIRECT: true;
  /** A `dispatch` call took longer than its own `timeout`. */
  ERR_TENDRIL_UPSTREAM_TIMEOUT: true;
}

/**
 * A code of one of `@tendril/patterns`' errors.
 *
 * @example
 * ```ts
 * const refused: PatternsErrorCode = "ERR_TENDRIL_OUTBOUND_REFUSED";
 * ```
 */
export type PatternsErrorCode = keyof PatternsErrorCodes;

declare module "@tendril/core" {
  interface TendrilErrorCodes extends PatternsErrorCodes {}
}
