/**
 * The resolver's answer cache: positive answers kept for their TTL (clamped between a minimum
 * and a maximum), definite negative answers (`ENOTFOUND`, `ENODATA`) kept for a short fixed
 * time, and at most `maxEntries` entries — the oldest inserted goes first, which for a crawler
 * that touches each host in bursts is as good as LRU at a fraction of the bookkeeping.
 *
 * Times are read from the hub, so a test on the virtual hub can expire entries at will.
 *
 * @module
 */

import { getHub } from "@tendril/core";
import type { DnsError } from "./dns-error.js";

/** One cached answer: addresses, or the error a definite negative answer gave. */
export interface DnsCacheEntry {
  readonly addresses: readonly string[];
  readonly error: DnsError | null;
  /** Hub time after which the entry is stale. */
  readonly expires: number;
}

/**
 * A bounded TTL cache keyed by `family:name`.
 *
 * @example
 * ```ts
 * const cache = new DnsCache(1000);
 * cache.set("4:example.test", ["192.0.2.1"], null, 60_000);
 * cache.get("4:example.test")?.addresses; // ["192.0.2.1"] for the next minute
 * ```
 */
export class DnsCache {
  readonly #entries = new Map<string, DnsCacheEntry>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** The fresh entry for `key`, or `undefined` (a stale one is dropped). */
  get(key: string): DnsCacheEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (getHub().now() >= entry.expires) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Stores an answer for `ttl` milliseconds (nothing when `ttl <= 0` or the cache holds 0 entries). */
  set(key: string, addresses: readonly string[], error: DnsError | null, ttl: number): void {
    if (ttl <= 0 || this.#maxEntries === 0) return;
    this.#entries.delete(key);
    // Invariant: the Map's insertion order is the eviction order.
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { addresses, error, expires: getHub().now() + ttl });
  }

  /** Forgets one name (every family) or, with no argument, everything. */
  clear(name?: string): void {
    if (name === undefined) {
      this.#entries.clear();
      return;
    }
    for (const family of ["0", "4", "6"]) this.#entries.delete(`${family}:${name}`);
  }

  /** How many entries are stored (fresh or not yet noticed stale). */
  get size(): number {
    return this.#entries.size;
  }
}
