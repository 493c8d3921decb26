/**
 * The green resolver. Node's `dns.lookup` calls `getaddrinfo` on libuv's thread pool (4
 * threads by default), so a crawler with thousands of hosts queues every lookup — and every
 * file read — behind four slow ones. This resolver asks DNS servers through c-ares
 * (`dns.Resolver`, truly non-blocking) and adds what `getaddrinfo` gave for free and c-ares
 * does not: `/etc/hosts`, a cache (TTL-bound, with negative entries), and one query per name
 * at a time however many threads ask.
 *
 * Order of answers: an IP literal answers itself; then `/etc/hosts`; then `localhost` and
 * `*.localhost` (RFC 6761, no query); then the cache; then one query per family. With family 0
 * both A and AAAA are asked and IPv4 addresses come first (Node's `ipv4first`) — the safe order
 * on hosts without IPv6 routes.
 *
 * `lookup` has the signature of `dns.lookup`, so it plugs into `net.connect({ lookup })`,
 * `tls.connect`, `http.request` and undici's `connect: { lookup }`; `resolve` is the green
 * operation for Tendril code (kill and Timeout interrupt the wait; the query itself finishes
 * and fills the cache for the next caller).
 *
 * @module
 */

import type { LookupAddress, LookupOptions } from "node:dns";
import { Resolver as AresResolver } from "node:dns/promises";
import { isIP } from "node:net";
import { green } from "@tendril/core";
import { checkInteger, checkMs, describeValue } from "@tendril/core/validate";
import { DnsCache } from "./dns-cache.js";
import { DnsError, dnsErrorFrom, isNotFoundCode } from "./dns-error.js";
import { HostsFile, normalizeName } from "./hosts-file.js";

/**
 * Options of a {@link Resolver}. Times are in milliseconds.
 *
 * @example
 * ```ts
 * const resolver = new Resolver({ servers: ["127.0.0.1:5353"], maxTtlMs: 60_000, hostsFile: null });
 * ```
 */
export interface ResolverOptions {
  /** DNS servers, as `dns.setServers` takes them (`"127.0.0.1:5353"`, `"[::1]:53"`). Default: the system's. */
  servers?: readonly string[];
  /** The shortest time an answer is kept, whatever its TTL. Default 1000. */
  minTtlMs?: number;
  /** The longest time an answer is kept, whatever its TTL. Default 300_000 (5 minutes). */
  maxTtlMs?: number;
  /** How long "no such name" / "no such record" is remembered. Default 5000; 0 turns it off. */
  negativeTtlMs?: number;
  /** At most this many cached answers (oldest dropped first). Default 10_000; 0 disables the cache. */
  maxEntries?: number;
  /** The hosts file to honour, or `null` for none. Default `"/etc/hosts"`. */
  hostsFile?: string | null;
  /** How often the hosts file is checked for changes. Default 1000. */
  hostsCheckIntervalMs?: number;
  /** Time for one try of one query before c-ares retries. Default 2000. */
  timeout?: number;
  /** Tries per query and server. Default 2. */
  tries?: number;
}

/**
 * The family argument of `resolve`: 4, 6, or 0 for both.
 *
 * @example
 * ```ts
 * const [v4] = await resolve("localhost", { family: 4 }); // "127.0.0.1"
 * ```
 */
export interface ResolveOptions {
  family?: 0 | 4 | 6;
}

/**
 * The callback of `lookup`, as Node's: `(error, address, family)`, or `(error, addresses)` with `all`.
 *
 * @example
 * ```ts
 * const callback: LookupCallback = (error, address, family) =>
 *   console.log(error ?? `${address} (IPv${family})`);
 * lookup("localhost", { family: 4 }, callback);
 * ```
 */
export type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `dns.lookup`-compatible function.
 *
 * @example
 * ```ts
 * const green: LookupFunction = resolver.lookup;
 * const sock = net.connect({ host: "db.internal", port: 5432, lookup: green });
 * ```
 */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions | number | LookupCallback,
  callback?: LookupCallback,
) => void;

export type { LookupAddress, LookupOptions };

type Family = 0 | 4 | 6;

function checkMsOption(what: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : checkMs(`Resolver option ${what}`, value);
}

const describe = describeValue;

function checkHostname(what: string, hostname: unknown): string {
  if (typeof hostname !== "string" || hostname.length === 0) {
    throw new TypeError(
      `${what}: hostname must be a non-empty string, received ${describe(hostname)}`,
    );
  }
  return hostname;
}

function toFamily(what: string, family: unknown): Family {
  if (family === undefined || family === null || family === 0) return 0;
  if (family === 4 || family === "IPv4") return 4;
  if (family === 6 || family === "IPv6") return 6;
  throw new TypeError(`${what}: family must be 0, 4 or 6, received ${describe(family)}`);
}

function isLocalhost(name: string): boolean {
  return name === "localhost" || name.endsWith(".localhost");
}

const LOCALHOST: Record<4 | 6, readonly string[]> = { 4: ["127.0.0.1"], 6: ["::1"] };

/**
 * A non-blocking, caching DNS resolver that also reads `/etc/hosts`. Most programs use the
 * default instance through the module-level `resolve` and `lookup`; make your own to point at
 * other servers (as tests do) or to tune the cache.
 *
 * @throws {TypeError|RangeError} for an option of the wrong type or range.
 * @example
 * ```ts
 * const resolver = new Resolver({ servers: ["127.0.0.1:5353"], maxTtlMs: 60_000 });
 * const [address] = await resolver.resolve("service.test", { family: 4 });
 * const sock = net.connect({ host: "service.test", port: 80, lookup: resolver.lookup });
 * ```
 */
export class Resolver {
  readonly #ares: AresResolver;
  readonly #cache: DnsCache;
  readonly #hosts: HostsFile | null;
  readonly #minTtl: number;
  readonly #maxTtl: number;
  readonly #negativeTtl: number;
  readonly #inflight = new Map<string, Promise<readonly string[]>>();
  #queries = 0;

  constructor(options: ResolverOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`Resolver options must be an object, received ${describe(options)}`);
    }
    this.#minTtl = checkMsOption("minTtlMs", options.minTtlMs, 1000);
    this.#maxTtl = Math.max(this.#minTtl, checkMsOption("maxTtlMs", options.maxTtlMs, 300_000));
    this.#negativeTtl = checkMsOption("negativeTtlMs", options.negativeTtlMs, 5000);
    const maxEntries = checkInteger("Resolver option maxEntries", options.maxEntries ?? 10_000, 0);
    this.#cache = new DnsCache(maxEntries);
    const hostsFile = options.hostsFile === undefined ? "/etc/hosts" : options.hostsFile;
    this.#hosts =
      hostsFile === null
        ? null
        : new HostsFile(
            hostsFile,
            checkMsOption("hostsCheckIntervalMs", options.hostsCheckIntervalMs, 1000),
          );
    const timeout = checkMsOption("timeout", options.timeout, 2000);
    const tries = checkInteger("Resolver option tries", options.tries ?? 2, 1);
    this.#ares = new AresResolver({ timeout: Math.max(1, Math.round(timeout)), tries });
    if (options.servers !== undefined) this.#ares.setServers([...options.servers]);
  }

  /** How many DNS queries this resolver has sent (cache hits, hosts entries and literals send none). */
  get queries(): number {
    return this.#queries;
  }

  /**
   * Resolves `hostname` to its addresses (IPv4 first with family 0). A green operation: kill
   * and Timeout interrupt the wait, and the query runs on to fill the cache.
   *
   * @throws {DnsError} `ERR_TENDRIL_DNS_NOT_FOUND` when the name does not exist or has no
   *   address of that family; `ERR_TENDRIL_DNS_FAILED` when the query failed.
   * @throws {TypeError} for an empty or non-string hostname, or a bad family.
   * @example
   * ```ts
   * const addresses = await resolver.resolve("localhost"); // ["127.0.0.1", "::1"]
   * ```
   */
  resolve(hostname: string, options: ResolveOptions = {}): Promise<string[]> {
    let answer: LookupAddress[] | Promise<LookupAddress[]>;
    try {
      answer = this.#lookupAll(
        checkHostname("resolve", hostname),
        toFamily("resolve", options?.family),
      );
    } catch (error) {
      return Promise.reject(error);
    }
    if (Array.isArray(answer)) return Promise.resolve(answer.map((a) => a.address));
    return green(answer.then((list) => list.map((a) => a.address)));
  }

  /**
   * A drop-in for `dns.lookup`: `lookup(hostname, options?, callback)` calls back with
   * `(error, address, family)`, or `(error, [{ address, family }])` with `{ all: true }`.
   * Already bound, so pass it as it is: `net.connect({ host, port, lookup: resolver.lookup })`.
   * The callback never runs synchronously. `hints`, `order` and `verbatim` are ignored.
   *
   * @throws {TypeError} synchronously, for a non-string hostname or a missing callback.
   * @example
   * ```ts
   * resolver.lookup("localhost", { family: 4 }, (error, address) => console.log(error ?? address));
   * ```
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    let opts: LookupOptions;
    let cb: LookupCallback;
    if (typeof options === "function") {
      cb = options;
      opts = {};
    } else {
      if (typeof callback !== "function") {
        throw new TypeError(`lookup: callback must be a function, received ${describe(callback)}`);
      }
      cb = callback;
      opts = typeof options === "number" ? { family: options } : (options ?? {});
    }
    if (typeof hostname !== "string") {
      throw new TypeError(`lookup: hostname must be a string, received ${describe(hostname)}`);
    }
    const family = toFamily("lookup", opts.family);
    const all = opts.all === true;
    const deliver = (list: LookupAddress[]): void => {
      if (all) cb(null, list);
      else {
        const first = list[0] as LookupAddress;
        cb(null, first.address, first.family);
      }
    };
    const fail = (error: unknown): void => {
      cb(error as NodeJS.ErrnoException, all ? [] : "", undefined);
    };
    let answer: LookupAddress[] | Promise<LookupAddress[]>;
    try {
      // Node's dns.lookup treats "" as localhost; so do we.
      answer = this.#lookupAll(hostname === "" ? "localhost" : hostname, family);
    } catch (error) {
      process.nextTick(fail, error);
      return;
    }
    if (Array.isArray(answer)) process.nextTick(deliver, answer);
    else answer.then(deliver, fail);
  };

  /** Forgets cached answers for `hostname`, or all of them. */
  clearCache(hostname?: string): void {
    this.#cache.clear(hostname === undefined ? undefined : normalizeName(hostname));
  }

  // The answer for (name, family): synchronous when it needs no I/O, a promise otherwise.
  #lookupAll(hostname: string, family: Family): LookupAddress[] | Promise<LookupAddress[]> {
    const literal = isIP(hostname);
    if (literal !== 0) {
      if (family !== 0 && family !== literal) {
        throw dnsErrorFrom(hostname, family, { code: "ENOTFOUND" });
      }
      return [{ address: hostname, family: literal }];
    }
    const name = normalizeName(hostname);
    if (this.#hosts !== null) {
      const entry = this.#hosts.get(name);
      if (entry instanceof Promise) {
        return entry.then((e) => {
          const fromHosts = e === undefined ? null : pickHosts(e, family);
          return fromHosts ?? this.#fromDns(hostname, name, family);
        });
      }
      if (entry !== undefined) {
        const fromHosts = pickHosts(entry, family);
        if (fromHosts !== null) return fromHosts;
      }
    }
    return this.#fromDns(hostname, name, family);
  }

  #fromDns(
    hostname: string,
    name: string,
    family: Family,
  ): LookupAddress[] | Promise<LookupAddress[]> {
    if (isLocalhost(name)) {
      return family === 0
        ? [...tag(LOCALHOST[4], 4), ...tag(LOCALHOST[6], 6)]
        : tag(LOCALHOST[family], family);
    }
    if (family !== 0) {
      const one = this.#family(hostname, name, family);
      if (Array.isArray(one)) return tag(one, family);
      return (one as Promise<readonly string[]>).then((list) => tag(list, family));
    }
    const v4 = this.#settled(hostname, name, 4);
    const v6 = this.#settled(hostname, name, 6);
    if (!(v4 instanceof Promise) && !(v6 instanceof Promise)) return combine(hostname, v4, v6);
    return Promise.all([v4, v6]).then(([a, b]) => combine(hostname, a, b));
  }

  // One family's answer as a settled outcome, so that family 0 can combine both.
  #settled(hostname: string, name: string, family: 4 | 6): Outcome | Promise<Outcome> {
    try {
      const result = this.#family(hostname, name, family);
      if (Array.isArray(result)) return { ok: true, addresses: result };
      return (result as Promise<readonly string[]>).then(
        (addresses) => ({ ok: true, addresses }),
        (error: unknown) => ({ ok: false, error: error as DnsError }),
      );
    } catch (error) {
      return { ok: false, error: error as DnsError };
    }
  }

  // Cache, then the query in flight, then a new query.
  #family(
    hostname: string,
    name: string,
    family: 4 | 6,
  ): readonly string[] | Promise<readonly string[]> {
    const key = `${family}:${name}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      if (cached.error !== null) throw cached.error;
      return cached.addresses;
    }
    const pending = this.#inflight.get(key);
    if (pending !== undefined) return pending;
    const query = this.#query(hostname, name, family).finally(() => this.#inflight.delete(key));
    // Invariant: one query per (family, name) at a time; later askers share it.
    this.#inflight.set(key, query);
    return query;
  }

  async #query(hostname: string, name: string, family: 4 | 6): Promise<readonly string[]> {
    const key = `${family}:${name}`;
    this.#queries++;
    try {
      const records = await (family === 4
        ? this.#ares.resolve4(name, { ttl: true })
        : this.#ares.resolve6(name, { ttl: true }));
      if (records.length === 0) throw Object.assign(new Error("no records"), { code: "ENODATA" });
      let ttl = Number.POSITIVE_INFINITY;
      const addresses: string[] = [];
      for (const r of records) {
        addresses.push(r.address);
        if (r.ttl < ttl) ttl = r.ttl;
      }
      this.#cache.set(
        key,
        addresses,
        null,
        Math.min(this.#maxTtl, Math.max(this.#minTtl, ttl * 1000)),
      );
      return addresses;
    } catch (cause) {
      const error = cause instanceof DnsError ? cause : dnsErrorFrom(hostname, family, cause);
      if (isNotFoundCode(error.dnsCode)) this.#cache.set(key, [], error, this.#negativeTtl);
      throw error;
    }
  }
}

type Outcome = { ok: true; addresses: readonly string[] } | { ok: false; error: DnsError };

function tag(addresses: readonly string[], family: 4 | 6): LookupAddress[] {
  return addresses.map((address) => ({ address, family }));
}

function pickHosts(
  entry: { v4: readonly string[]; v6: readonly string[] },
  family: Family,
): LookupAddress[] | null {
  const list =
    family === 4
      ? tag(entry.v4, 4)
      : family === 6
        ? tag(entry.v6, 6)
        : [...tag(entry.v4, 4), ...tag(entry.v6, 6)];
  return list.length > 0 ? list : null;
}

// Family 0: IPv4 first. Fails only when both failed; a query failure (we do not know) wins
// over "no such name" (we know).
function combine(hostname: string, v4: Outcome, v6: Outcome): LookupAddress[] {
  const list: LookupAddress[] = [];
  if (v4.ok) list.push(...tag(v4.addresses, 4));
  if (v6.ok) list.push(...tag(v6.addresses, 6));
  if (list.length > 0) return list;
  const e4 = (v4 as { error: DnsError }).error;
  const e6 = (v6 as { error: DnsError }).error;
  const failed =
    e4.code === "ERR_TENDRIL_DNS_FAILED" ? e4 : e6.code === "ERR_TENDRIL_DNS_FAILED" ? e6 : null;
  if (failed !== null) return rethrow(failed);
  const dnsCode =
    e4.dnsCode === "ENOTFOUND" || e6.dnsCode === "ENOTFOUND" ? "ENOTFOUND" : e4.dnsCode;
  return rethrow(dnsErrorFrom(hostname, 0, { code: dnsCode }));
}

function rethrow(error: DnsError): never {
  throw error;
}

let defaultResolver: Resolver | null = null;

/**
 * The resolver behind the module-level `resolve` and `lookup` (created on first use with the
 * system's servers and `/etc/hosts`).
 *
 * @example
 * ```ts
 * getDefaultResolver().clearCache();
 * ```
 */
export function getDefaultResolver(): Resolver {
  defaultResolver ??= new Resolver();
  return defaultResolver;
}

/**
 * Replaces the resolver behind the module-level `resolve` and `lookup`; returns the previous
 * one. Pass `null` to go back to a fresh default.
 *
 * @example
 * ```ts
 * const previous = setDefaultResolver(new Resolver({ servers: ["127.0.0.1:5353"] }));
 * ```
 */
export function setDefaultResolver(resolver: Resolver | null): Resolver {
  const previous = getDefaultResolver();
  if (resolver !== null && !(resolver instanceof Resolver)) {
    throw new TypeError(
      `setDefaultResolver: expected a Resolver or null, received ${describe(resolver)}`,
    );
  }
  defaultResolver = resolver;
  return previous;
}

/**
 * Resolves `hostname` with the default resolver: `/etc/hosts`, then the cache, then DNS
 * through c-ares (never libuv's thread pool). A green operation.
 *
 * @throws {DnsError} when the name does not resolve (`ERR_TENDRIL_DNS_NOT_FOUND`) or the query
 *   failed (`ERR_TENDRIL_DNS_FAILED`).
 * @example
 * ```ts
 * const [address] = await resolve("localhost", { family: 4 }); // "127.0.0.1"
 * ```
 */
export function resolve(hostname: string, options?: ResolveOptions): Promise<string[]> {
  return getDefaultResolver().resolve(hostname, options);
}

/**
 * `dns.lookup` on the default green resolver: pass it as the `lookup` option of
 * `net.connect`, `tls.connect`, `http.request` or undici's `connect`.
 *
 * @throws {TypeError} synchronously, for a non-string hostname or a missing callback.
 * @example
 * ```ts
 * const agent = new undici.Agent({ connect: { lookup } });
 * net.connect({ host: "localhost", port: 8080, lookup });
 * ```
 */
export const lookup: LookupFunction = (hostname, options, callback) =>
  getDefaultResolver().lookup(hostname, options, callback);
