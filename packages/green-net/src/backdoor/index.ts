/**
 * `@tendril/green-net/backdoor`: Eventlet's backdoor — a REPL per connection on a green
 * listener, bound to loopback unless told otherwise, with `listThreads()`/`formatThreads()`
 * in scope.
 *
 * @module
 */

/** The backdoor: start one, read its address, close it. */
export { Backdoor, BackdoorNotLoopback, type BackdoorOptions, backdoor } from "./backdoor.js";
