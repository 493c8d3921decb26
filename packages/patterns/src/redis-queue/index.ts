/**
 * `@tendril/patterns/redis-queue`: Tendril's queue over Redis Streams, for work shared by many
 * processes, and the crawler's frontier built on it. Needs the optional peer dependency
 * `ioredis`; nothing else in `@tendril/patterns` loads it.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "../node-version.js";

/** The codes of this package's errors (they extend `@tendril/core`'s `TendrilErrorCodes`). */
export type { PatternsErrorCode } from "../error-codes.js";
/** The crawler's frontier on a RedisQueue: `crawl(urls, { frontier })` in many processes. */
export { RedisCrawlFrontier, type RedisCrawlFrontierOptions } from "./redis-crawl-frontier.js";
/** The distributed queue: at-least-once delivery, dedupe keys, dead letters. */
export {
  type DeadLetter,
  type RedisFollowUp,
  type RedisPutOptions,
  RedisQueue,
  RedisQueueClosed,
  type RedisQueueCodec,
  type RedisQueueOptions,
  type RedisResult,
  type RedisTaskDone,
  type RedisTaskDoneOptions,
  UnknownItem,
} from "./redis-queue.js";
