/**
 * `@tendril/green-net/testing`: helpers for testing code built on green sockets and the green
 * resolver.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "../node-version.js";

/** A tiny DNS responder on 127.0.0.1 for resolver tests. */
export { type DnsRecordSet, type DnsServer, startDnsServer } from "./dns-server.js";
/** The stream contract, checked against any GreenSocket-like connected pair. */
export {
  checkStreamPair,
  type MakeStreamPair,
  type StreamCheck,
  type StreamCheckOptions,
  type StreamLike,
} from "./stream-conformance.js";
