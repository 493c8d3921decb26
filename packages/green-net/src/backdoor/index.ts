/**
 * `@tendril/green-net/backdoor`: Eventlet's backdoor — a REPL per connection on a green
 * listener, bound to loopback unless told otherwise, with `listThreads()`/`formatThreads()`
 * in scope.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "../node-version.js";

/** The codes of this package's errors (they extend `@tendril/core`'s `TendrilErrorCodes`). */
export type { GreenNetErrorCode } from "../error-codes.js";
/** The backdoor: start one, read its address, close it. */
export { Backdoor, BackdoorNotLoopback, type BackdoorOptions, backdoor } from "./backdoor.js";
