/**
 * `@tendril/patterns`: the client, server and dispatch patterns of Eventlet's design-patterns
 * page, as tested recipes on `@tendril/core` and `@tendril/green-net`.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "./node-version.js";

/** Error codes: this package's `code`s, added to `@tendril/core`'s `TendrilErrorCodes`. */
export type { PatternsErrorCode, PatternsErrorCodes } from "./error-codes.js";
/** The recipes' one timeout: a single call (URL, page, upstream call) ran past its limit. */
export { CallTimeout } from "./call-timeout.js";
/** Client pattern: the recursive crawler (queue, pool, seen-set, politeness, page budget). */
export {
  Crawl,
  type CrawlOptions,
  type CrawlStats,
  crawl,
  type PageResult,
} from "./client/crawl.js";
/** Client pattern: the seam for a crawl frontier shared by many processes. */
export type {
  CrawlFrontier,
  FrontierFinish,
  FrontierTask,
  PageRecord,
} from "./client/crawl-frontier.js";
export { type ExtractLinksOptions, extractLinks } from "./client/extract-links.js";
/** Client pattern: ordered, memory-bounded concurrent fetching of many URLs. */
export {
  type FetchAllOptions,
  type FetchResult,
  fetchAll,
} from "./client/fetch-all.js";
/** Client pattern: the HTTP GET the recipes call, which a caller may replace. */
export type { FetchFunction, FetchInit, FetchResponse } from "./client/fetch-function.js";
/** Dispatch pattern: fan-out on a global pool through a per-request pile, with partial results. */
export {
  DeadlineExceeded,
  type DispatchOptions,
  dispatch,
  FanoutLimitExceeded,
  type Settled,
} from "./dispatch/dispatch.js";
export {
  type GuardedFetchOptions,
  guardedFetch,
  sharedGuardLookup,
} from "./dispatch/guarded-fetch.js";
/** Outbound guard: refuse loopback, private and link-local destinations unless allowed. */
export {
  type AddressCategory,
  checkOutbound,
  guardLookup,
  type OutboundPolicy,
  OutboundRefused,
} from "./dispatch/outbound-guard.js";
/** Server pattern: a bounded accept loop with graceful shutdown and one loop per core. */
export {
  type ConnectionContext,
  type ConnectionHandler,
  type ConnectionServer,
  type ServeConnectionsOptions,
  serveConnections,
} from "./server/serve-connections.js";
