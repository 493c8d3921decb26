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
  /** One call (`fetchAll` URL, `crawl` page, `dispatch` call) ran past its time limit (`CallTimeout`). */
  ERR_TENDRIL_CALL_TIMEOUT: true;
  /** `dispatch`'s whole-request `deadlineMs` passed before this call finished (`DeadlineExceeded`). */
  ERR_TENDRIL_DEADLINE_TIMEOUT: true;
  /** A request asked `dispatch` for more calls than `maxFanout` (`FanoutLimitExceeded`). */
  ERR_TENDRIL_FANOUT_LIMIT: true;
  /** A document that is not a feed, or not a well-formed one (`InvalidFeed`). */
  ERR_TENDRIL_INVALID_FEED: true;
  /** The outbound guard refused a destination address (`OutboundRefused`). */
  ERR_TENDRIL_OUTBOUND_REFUSED: true;
  /** An operation on a closed `RedisQueue` (`RedisQueueClosed`). */
  ERR_TENDRIL_QUEUE_CLOSED: true;
  /** `taskDone` of an item this `RedisQueue` object did not hand out, or already finished (`UnknownItem`). */
  ERR_TENDRIL_QUEUE_UNKNOWN_ITEM: true;
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
