/**
 * The outbound guard: a server that fetches URLs its clients name (the feed scraper, any
 * proxy or aggregator) must not become a way into the networks behind it. This module refuses
 * destinations on loopback, private, link-local and other special addresses unless the caller
 * allows them.
 *
 * Two checks, for two moments:
 * - `checkOutbound(url)` (before the request): the scheme, and every address the hostname
 *   resolves to. It gives an early, readable error.
 * - `guardLookup(policy)` (at connect time): a `dns.lookup` drop-in that refuses the same
 *   addresses when the HTTP client actually connects. A name that resolved to a public address
 *   for the first check and to `127.0.0.1` a moment later (DNS rebinding) is caught here,
 *   because it checks the very address the socket is about to use.
 *
 * Trade-off: a hostname with *any* refused address is refused whole, even if it also has a
 * public one — a mixed answer is how rebinding attacks look, and "try the next address" would
 * let the attacker pick. Addresses that embed an IPv4 address (IPv4-mapped, IPv4-compatible,
 * NAT64, SIIT, 6to4) are judged by the IPv4 address inside, however they are spelled.
 *
 * @module
 */

import type { LookupAddress, LookupOptions } from "node:dns";
import { createRequire } from "node:module";
import { isIP } from "node:net";
import { TendrilError } from "@tendril/core";
import { checkFunction } from "@tendril/core/validate";
import { lookup as greenLookup, type LookupFunction, resolve } from "@tendril/green-net";
import type * as IpAddr from "ipaddr.js";

// ipaddr.js is CommonJS with `export =`; require it rather than rely on interop flags.
const ipaddr = createRequire(import.meta.url)("ipaddr.js") as typeof IpAddr;

/**
 * What an address is, for the guard: `public` (globally routed unicast), `loopback` (this
 * machine, including the unspecified `0.0.0.0`/`::`, which connects here), `private` (RFC 1918,
 * carrier-grade NAT, IPv6 unique-local and site-local), `link-local` (169.254/16, fe80::/10 —
 * where cloud metadata services live), or `reserved` (multicast, broadcast, documentation,
 * benchmarking and every other special-purpose range).
 *
 * @example
 * ```ts
 * const error = await checkOutbound("http://10.0.0.7/").catch((e: unknown) => e);
 * const category: AddressCategory | undefined = (error as OutboundRefused).category; // "private"
 * ```
 */
export type AddressCategory = "public" | "loopback" | "private" | "link-local" | "reserved";

/**
 * Which destinations an outbound request may reach. Everything but `public` is refused by
 * default; `reserved` addresses are always refused.
 *
 * @example
 * ```ts
 * const policy: OutboundPolicy = { allowLoopback: true, protocols: ["http:", "https:"] };
 * const { response } = await guardedFetch("http://127.0.0.1:8080/feed", { policy });
 * ```
 */
export interface OutboundPolicy {
  /** Allow loopback (127.0.0.0/8, ::1, and the unspecified 0.0.0.0/::). Default `false`. */
  allowLoopback?: boolean;
  /** Allow private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, fec0::/10). Default `false`. */
  allowPrivate?: boolean;
  /** Allow link-local (169.254/16, fe80::/10; cloud metadata endpoints). Default `false`. */
  allowLinkLocal?: boolean;
  /** URL schemes allowed. Default `["http:", "https:"]`. */
  protocols?: readonly string[];
}

/**
 * The error of a destination the policy refuses. `code` is `ERR_TENDRIL_OUTBOUND_REFUSED`;
 * `url`, `hostname`, `address` and `category` say what was refused and why (`address` and
 * `category` are `undefined` when the scheme was the reason).
 *
 * @example
 * ```ts
 * try { await checkOutbound("http://127.0.0.1/"); }
 * catch (error) { if (error instanceof OutboundRefused) console.log(error.category); } // "loopback"
 * ```
 */
export class OutboundRefused extends TendrilError {
  readonly url: string | undefined;
  readonly hostname: string;
  readonly address: string | undefined;
  readonly category: AddressCategory | undefined;

  constructor(
    message: string,
    details: {
      url?: string | undefined;
      hostname: string;
      address?: string | undefined;
      category?: AddressCategory | undefined;
    },
  ) {
    super("ERR_TENDRIL_OUTBOUND_REFUSED", message);
    this.url = details.url;
    this.hostname = details.hostname;
    this.address = details.address;
    this.category = details.category;
  }
}

/** @internal */
export const DEFAULT_PROTOCOLS: readonly string[] = ["http:", "https:"];

const V4_CATEGORY: Record<string, AddressCategory> = {
  unicast: "public",
  loopback: "loopback",
  unspecified: "loopback",
  private: "private",
  carrierGradeNat: "private",
  linkLocal: "link-local",
};

const V6_CATEGORY: Record<string, AddressCategory> = {
  unicast: "public",
  loopback: "loopback",
  unspecified: "loopback",
  uniqueLocal: "private",
  deprecatedSiteLocal: "private",
  linkLocal: "link-local",
};

function embeddedV4(address: IpAddr.IPv6): IpAddr.IPv4 | null {
  const range = address.range();
  const p = address.parts;
  // ::a.b.c.d in hex (IPv4-compatible, ::/96, e.g. `::7f00:1`): ipaddr.js reads the dotted
  // spelling as IPv4-mapped but calls the hex one plain unicast. `::` and `::1` keep their
  // own ranges (unspecified, loopback), which judge them the same way anyway.
  if (
    range === "unicast" &&
    p[0] === 0 &&
    p[1] === 0 &&
    p[2] === 0 &&
    p[3] === 0 &&
    p[4] === 0 &&
    p[5] === 0
  ) {
    return ipaddr.IPv4.parse(
      `${(p[6] as number) >> 8}.${(p[6] as number) & 255}.${(p[7] as number) >> 8}.${(p[7] as number) & 255}`,
    );
  }
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64),
  // ::ffff:0:a.b.c.d (SIIT): the IPv4 address is the last 32 bits.
  if (range === "ipv4Mapped" || range === "rfc6052" || range === "rfc6145") {
    return ipaddr.IPv4.parse(
      `${(p[6] as number) >> 8}.${(p[6] as number) & 255}.${(p[7] as number) >> 8}.${(p[7] as number) & 255}`,
    );
  }
  // 2002:AABB:CCDD::/48 (6to4): bits 16..48.
  if (range === "6to4") {
    return ipaddr.IPv4.parse(
      `${(p[1] as number) >> 8}.${(p[1] as number) & 255}.${(p[2] as number) >> 8}.${(p[2] as number) & 255}`,
    );
  }
  return null;
}

/**
 * Says what kind of address `address` (an IPv4 or IPv6 literal, brackets allowed) is.
 * Addresses that carry an IPv4 address inside (IPv4-mapped, IPv4-compatible, NAT64, SIIT,
 * 6to4) are judged by it, in any spelling (`::ffff:127.0.0.1`, `::ffff:7f00:1`, `::7f00:1`).
 *
 * @throws {TypeError} when `address` is not an IP address literal.
 * @example
 * ```ts
 * classifyAddress("10.0.0.7");           // "private"
 * classifyAddress("::ffff:127.0.0.1");   // "loopback"
 * classifyAddress("169.254.169.254");    // "link-local"
 * ```
 *
 * @internal
 */
export function classifyAddress(address: string): AddressCategory {
  const literal =
    typeof address === "string" && address.startsWith("[") && address.endsWith("]")
      ? address.slice(1, -1)
      : address;
  if (typeof literal !== "string" || isIP(literal) === 0) {
    throw new TypeError(
      `classifyAddress: expected an IP address, received ${JSON.stringify(address)}`,
    );
  }
  const parsed = ipaddr.parse(literal);
  if (parsed.kind() === "ipv4") return V4_CATEGORY[parsed.range()] ?? "reserved";
  const v6 = parsed as IpAddr.IPv6;
  const inner = embeddedV4(v6);
  if (inner !== null) return V4_CATEGORY[inner.range()] ?? "reserved";
  return V6_CATEGORY[v6.range()] ?? "reserved";
}

/**
 * True when `policy` lets an outbound request reach an address of `category`.
 *
 * @example
 * ```ts
 * isCategoryAllowed("loopback", { allowLoopback: true }); // true
 * isCategoryAllowed("reserved", { allowPrivate: true });  // false: never allowed
 * ```
 *
 * @internal
 */
export function isCategoryAllowed(category: AddressCategory, policy: OutboundPolicy = {}): boolean {
  switch (category) {
    case "public":
      return true;
    case "loopback":
      return policy.allowLoopback === true;
    case "private":
      return policy.allowPrivate === true;
    case "link-local":
      return policy.allowLinkLocal === true;
    default:
      return false;
  }
}

function refuseAddress(
  hostname: string,
  address: string,
  category: AddressCategory,
  url?: string,
): OutboundRefused {
  const what = hostname === address ? address : `${hostname} (${address})`;
  const hint =
    category === "reserved"
      ? "reserved addresses are never allowed"
      : `pass ${category === "loopback" ? "allowLoopback" : category === "private" ? "allowPrivate" : "allowLinkLocal"}: true to allow it`;
  return new OutboundRefused(`outbound request to ${what} refused: ${category} address; ${hint}`, {
    url,
    hostname,
    address,
    category,
  });
}

/**
 * Checks every address in `addresses` against `policy`; throws for the first one refused.
 *
 * @throws {OutboundRefused} when an address is refused.
 * @throws {TypeError} when an entry is not an IP address.
 * @example
 * ```ts
 * assertAddressesAllowed("example.test", ["93.184.216.34"]); // passes
 * assertAddressesAllowed("evil.test", ["127.0.0.1"]);        // throws OutboundRefused
 * ```
 *
 * @internal
 */
export function assertAddressesAllowed(
  hostname: string,
  addresses: readonly string[],
  policy: OutboundPolicy = {},
  url?: string,
): void {
  for (const address of addresses) {
    const category = classifyAddress(address);
    if (!isCategoryAllowed(category, policy)) throw refuseAddress(hostname, address, category, url);
  }
}

/**
 * Checks a URL before an outbound request: its scheme, and every address its hostname resolves
 * to (through Tendril's green resolver, so `/etc/hosts` and `localhost` count). Returns the
 * parsed URL and the addresses. A green operation: kill and Timeout interrupt the lookup.
 *
 * This is the early check; pair it with `guardLookup` on the connection itself, which closes
 * the gap between this lookup and the connect (DNS rebinding).
 *
 * @throws {OutboundRefused} for a refused scheme or address.
 * @throws {TypeError} when `url` is not a valid absolute URL.
 * @throws {DnsError} (from `@tendril/green-net`) when the name does not resolve.
 * @example
 * ```ts
 * await checkOutbound("http://127.0.0.1:8080/feed.xml", { allowLoopback: true });
 * ```
 */
export async function checkOutbound(
  url: string | URL,
  policy: OutboundPolicy = {},
): Promise<{ url: URL; addresses: string[] }> {
  const parsed = toUrl("checkOutbound", url);
  const protocols = policy.protocols ?? DEFAULT_PROTOCOLS;
  if (!protocols.includes(parsed.protocol)) {
    throw new OutboundRefused(
      `outbound request to ${JSON.stringify(parsed.href)} refused: scheme ${parsed.protocol} is not one of ${protocols.join(", ")}`,
      { url: parsed.href, hostname: parsed.hostname },
    );
  }
  const hostname = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const addresses = isIP(hostname) !== 0 ? [hostname] : await resolve(hostname);
  assertAddressesAllowed(hostname, addresses, policy, parsed.href);
  return { url: parsed, addresses };
}

/**
 * A `dns.lookup` drop-in that refuses what `policy` refuses, at connect time: give it to the
 * HTTP client (`urlopen(url, { lookup })`, undici's `connect: { lookup }`, `net.connect`).
 * It asks `baseLookup` (default: Tendril's green resolver) for every address, refuses the name
 * if any is refused, and otherwise answers as `dns.lookup` would. Node's `net.connect` never
 * calls `lookup` for an IP literal, so always run `checkOutbound` first: it covers literals,
 * and this covers names whose answer changed since.
 *
 * @throws {TypeError} synchronously when `baseLookup` is not a function.
 * @example
 * ```ts
 * const lookup = guardLookup({ allowLoopback: true });
 * const response = await urlopen("http://localhost:8080/feed.xml", { lookup });
 * ```
 */
export function guardLookup(
  policy: OutboundPolicy = {},
  baseLookup: LookupFunction = greenLookup,
): LookupFunction {
  if (typeof baseLookup !== "function") {
    checkFunction("guardLookup: baseLookup", baseLookup);
  }
  return (hostname, options, callback) => {
    let cb = callback;
    let opts: LookupOptions = {};
    if (typeof options === "function") cb = options;
    else if (typeof options === "number") opts = { family: options };
    else if (options !== null && typeof options === "object") opts = options;
    if (typeof cb !== "function") {
      checkFunction("lookup: callback", cb);
    }
    const done = cb;
    const all = opts.all === true;
    baseLookup(hostname, { ...opts, all: true }, (error, result) => {
      if (error) {
        done(error, all ? [] : "", undefined);
        return;
      }
      const list = (
        Array.isArray(result) ? result : [{ address: result, family: isIP(result) }]
      ) as LookupAddress[];
      try {
        assertAddressesAllowed(
          hostname,
          list.map((a) => a.address),
          policy,
        );
      } catch (refused) {
        done(refused as NodeJS.ErrnoException, all ? [] : "", undefined);
        return;
      }
      if (all) done(null, list);
      else {
        const first = list[0];
        if (first === undefined) {
          const missing = Object.assign(new Error(`lookup ${hostname}: no addresses`), {
            code: "ENOTFOUND",
          });
          done(missing, "", undefined);
        } else done(null, first.address, first.family);
      }
    });
  };
}

/** @internal */
export function toUrl(what: string, url: unknown): URL {
  if (url instanceof URL) return url;
  if (typeof url === "string") {
    try {
      return new URL(url);
    } catch {
      // Same code as Node's own URL error, so callers can match on it.
      throw Object.assign(
        new TypeError(`${what}: expected an absolute URL, received ${JSON.stringify(url)}`),
        { code: "ERR_INVALID_URL" },
      );
    }
  }
  throw new TypeError(`${what}: expected a URL or string, received ${typeof url}`);
}
