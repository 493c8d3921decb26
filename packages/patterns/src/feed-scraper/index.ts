/**
 * `@tendril/patterns/feed-scraper`: the dispatch pattern's worked example — the seed page's
 * feed scraper as a web-standard handler (`createFeedScraper`), one guarded feed fetch
 * (`fetchFeedTitle`) and the feed parser (`parseFeedTitle`). Needs the optional peer dependency
 * `feedsmith`; nothing else in `@tendril/patterns` loads it, so the crawl, serve and dispatch
 * recipes cost their users no feed parser.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "../node-version.js";

export {
  createFeedScraper,
  type FeedScraperOptions,
  type FeedTitleResult,
  type FetchFeedTitleOptions,
  fetchFeedTitle,
} from "./feed-scraper.js";
export { type FeedFormat, InvalidFeed, parseFeedTitle } from "./feed-title.js";
