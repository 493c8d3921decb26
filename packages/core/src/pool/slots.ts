/**
 * The seam between a pool and the work that borrows its slots. `GreenPool` implements
 * `SlotPool`; `GreenMap` (imap and friends) uses only this interface, so the imports run one
 * way — green-pool → green-map → slots — and a map never needs the pool's class.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

import type { WaitEntry } from "../sync/wait-list.js";
import type { GreenThread } from "../thread/green-thread.js";

/** @internal Something parked for a pool slot: `grant()` hands it one, or returns false. */
export interface SlotRequest extends WaitEntry {
  grant(): boolean;
}

/** @internal What a borrower of slots needs from a pool. */
export interface SlotPool {
  /** The maximum number of slots. */
  readonly size: number;
  /** Takes a slot if one is free. */
  _tryTake(): boolean;
  /** Parks `request` until a slot is handed to it. */
  _request(request: SlotRequest): void;
  /** Withdraws a parked request. */
  _withdraw(request: SlotRequest): void;
  /** Gives a slot back: to the oldest parked request, else to the count. */
  _release(): void;
  /** True when `thread` runs on one of the pool's slots. */
  _owns(thread: GreenThread<unknown>): boolean;
}
