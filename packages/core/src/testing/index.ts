/**
 * `@tendril/core/testing`: a deterministic clock for tests, and leak checks.
 *
 * @module
 */

/// <reference path="../global-disposable.ts" preserve="true" />

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "../node-version.js";

/** The virtual hub: time moves only when told, or jumps when every thread waits on a timer. */
export { VirtualHub, type VirtualHubOptions } from "./virtual-hub.js";
/** Run a test body on a fresh virtual hub and fail on leaked threads or timers. */
export { type WithVirtualHubOptions, withVirtualHub } from "./with-virtual-hub.js";
