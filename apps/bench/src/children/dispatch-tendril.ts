/**
 * The dispatch suite's Tendril contender: the feed scraper from `@tendril/patterns`
 * (`createFeedScraper`: a global GreenPool, a per-request GreenPile, per-request deadline,
 * per-feed timeout, fan-out cap, size limit, outbound guard with loopback allowed) on
 * `serveHttp` from `@tendril/green-net`. Long-lived: prints `PORT <n>`.
 *
 * usage: node dispatch-tendril.js
 */

import type { AddressInfo } from "node:net";
import { GreenPool } from "@tendril/core";
import { listen, serveHttp } from "@tendril/green-net";
import { createFeedScraper } from "@tendril/patterns/feed-scraper";

const pool = new GreenPool(1000);
const handler = createFeedScraper({
  pool,
  allowLoopback: true,
  deadlineMs: 10_000,
  timeout: 5_000,
});
const listener = await listen(["127.0.0.1", 0]);
await serveHttp(listener, handler, { maxConnections: 1000 });
process.stdout.write(`PORT ${(listener.address() as AddressInfo).port}\n`);
process.on("SIGTERM", () => {
  process.stdout.write(`RSS ${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);
  process.exit(0);
});
