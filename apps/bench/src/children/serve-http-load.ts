/**
 * The serve-http suite's load: autocannon, C keep-alive connections of GETs for D seconds.
 *
 * usage: node serve-http-load.js <url> <connections> <seconds>
 */

import autocannon from "autocannon";
import { emit } from "../harness.js";

const [target = "", connectionsArg = "100", secondsArg = "10"] = process.argv.slice(2);
const result = await autocannon({
  url: target,
  connections: Number(connectionsArg),
  duration: Number(secondsArg),
});
emit({
  rps: result.requests.average,
  requests: result.requests.total,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
});
