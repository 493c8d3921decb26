/**
 * The dispatch suite's load: autocannon, N connections POSTing the same list of feed URLs
 * (text/plain, one per line) for D seconds; checks every answer was a 200 that carried one
 * line per URL.
 *
 * With `DISPATCH_AMOUNT=n` in the environment it sends exactly n requests instead, whatever
 * the time (answers may take up to 2 minutes): the way to measure a server so slow that a
 * 10-second run ends before its first answers come back.
 *
 * usage: node dispatch-load.js <server url> <connections> <seconds> <feed url>...
 */

import autocannon from "autocannon";
import { emit } from "../harness.js";

const [target = "", connectionsArg = "50", secondsArg = "10", ...feedUrls] = process.argv.slice(2);
const body = `${feedUrls.join("\n")}\n`;
let badBodies = 0;

const amount = Number(process.env.DISPATCH_AMOUNT ?? 0);
const result = await autocannon({
  url: target,
  method: "POST",
  connections: Number(connectionsArg),
  ...(amount > 0 ? { amount, timeout: 120 } : { duration: Number(secondsArg) }),
  headers: { "content-type": "text/plain" },
  body,
  setupClient(client) {
    client.on("body", (buffer: Buffer) => {
      const text = buffer.toString("utf8");
      const lines = text.split("\n").filter(Boolean);
      if (lines.length !== feedUrls.length || text.includes("[error]")) badBodies++;
    });
  },
});

// Completed requests over the run's length (autocannon's per-second average reads 0 for a
// server slower than one answer a second).
const rps = result.requests.total / (result.duration || Number(secondsArg));
emit({
  rps,
  requests: result.requests.total,
  fetchesPerSec: rps * feedUrls.length,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  badBodies,
});
