/**
 * An HTTP GET that the outbound guard watches end to end: the URL is checked before the
 * request, the connection's own DNS answer is checked when it connects (`guardLookup`), and
 * redirects are followed here, by hand, so that every hop is checked too — a client that
 * follows redirects itself would connect to `Location: http://127.0.0.1/` without asking
 * (Node never calls `lookup` for an IP literal).
 *
 * @module
 */

import { isIP } from "node:net";
import { TendrilError } from "@tendril/core";
import type { LookupFunction } from "@tendril/green-net";
import {
  type FetchFunction,
  type FetchInit,
  type FetchResponse,
  greenFetch,
} from "../client/fetch-function.js";
import { discardBody } from "../client/read-body.js";
import {
  assertAddressesAllowed,
  checkOutbound,
  DEFAULT_PROTOCOLS,
  guardLookup,
  type OutboundPolicy,
  OutboundRefused,
  toUrl,
} from "./outbound-guard.js";

/**
 * Too many redirects, or a redirect without a usable `Location`. `code` is
 * `ERR_TENDRIL_REDIRECT`.
 *
 * @example
 * ```ts
 * await guardedFetch(url, { maxRedirects: 0 }); // throws RedirectRefused on a 301
 * ```
 */
export class RedirectRefused extends TendrilError {
  constructor(message: string) {
    super("ERR_TENDRIL_REDIRECT", message);
  }
}

/**
 * Options of `guardedFetch`.
 *
 * @example
 * ```ts
 * const { response } = await guardedFetch(url, { policy: { allowPrivate: true }, maxRedirects: 3 });
 * ```
 */
export interface GuardedFetchOptions {
  /** What may be reached. Default `{}`: public addresses only. */
  policy?: OutboundPolicy;
  /** Redirects followed at most, each checked. Default 5. */
  maxRedirects?: number;
  /** Request options for every hop (headers, `maxResponseBytes`, …). */
  init?: FetchInit;
  /** The HTTP client. Default `urlopen` from `@tendril/green-net`. */
  fetch?: FetchFunction;
  /** The guarded lookup to connect with. Default: a shared one for `policy`. */
  lookup?: LookupFunction;
}

const sharedLookups = new Map<string, LookupFunction>();

/**
 * The guarded lookup for `policy`, one per distinct policy for the whole process: `urlopen`
 * keeps a connection pool per lookup function, so a fresh one per request would defeat
 * keep-alive.
 *
 * @example
 * ```ts
 * const response = await urlopen(url, { lookup: sharedGuardLookup({ allowLoopback: true }) });
 * ```
 */
export function sharedGuardLookup(policy: OutboundPolicy = {}): LookupFunction {
  const key = `${policy.allowLoopback === true}/${policy.allowPrivate === true}/${policy.allowLinkLocal === true}`;
  let lookup = sharedLookups.get(key);
  if (lookup === undefined) {
    lookup = guardLookup({
      allowLoopback: policy.allowLoopback === true,
      allowPrivate: policy.allowPrivate === true,
      allowLinkLocal: policy.allowLinkLocal === true,
    });
    sharedLookups.set(key, lookup);
  }
  return lookup;
}

/** `checkOutbound`, without a lookup (or a promise) for the common case of an IP literal. */
function checkTarget(url: string | URL, policy: OutboundPolicy): URL | Promise<URL> {
  const parsed = toUrl("guardedFetch", url);
  const host = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (isIP(host) === 0 || !(policy.protocols ?? DEFAULT_PROTOCOLS).includes(parsed.protocol)) {
    return checkOutbound(parsed, policy).then((checked) => checked.url);
  }
  assertAddressesAllowed(host, [host], policy, parsed.href);
  return parsed;
}

/**
 * GETs `url` under the outbound guard and returns the final response (any status but a
 * followed redirect) with the URL it came from. A green operation: kill and Timeout abort it.
 *
 * @throws {OutboundRefused} when the URL or a redirect leads somewhere `policy` refuses,
 *   before the request or when the connection resolves its host.
 * @throws {RedirectRefused} for more than `maxRedirects` redirects or a bad `Location`.
 * @throws {TypeError} (code `ERR_INVALID_URL`) for a URL that does not parse.
 * @example
 * ```ts
 * const { response, url } = await guardedFetch("http://127.0.0.1:8080/feed", { policy: { allowLoopback: true } });
 * ```
 */
export async function guardedFetch(
  url: string | URL,
  options: GuardedFetchOptions = {},
): Promise<{ response: FetchResponse; url: URL }> {
  const policy = options.policy ?? {};
  const maxRedirects = options.maxRedirects ?? 5;
  const init: FetchInit = {
    ...options.init,
    redirect: "manual",
    lookup: options.lookup ?? sharedGuardLookup(policy),
  };
  let target = await checkTarget(url, policy);
  for (let hop = 0; ; hop++) {
    let response: FetchResponse;
    try {
      response = await greenFetch(options.fetch, target.href, init);
    } catch (error) {
      // Refused at connect time by the guarded lookup: say so, not "request failed".
      const cause = (error as { cause?: unknown })?.cause;
      if (cause instanceof OutboundRefused) throw cause;
      throw error;
    }
    const location =
      response.status >= 300 && response.status < 400 ? response.headers.get("location") : null;
    if (location === null) return { response, url: target };
    await discardBody(response);
    if (hop >= maxRedirects) {
      throw new RedirectRefused(`${String(url)} redirected more than ${maxRedirects} times`);
    }
    let next: URL;
    try {
      next = new URL(location, target);
    } catch {
      throw new RedirectRefused(`${target.href} redirected to an invalid location`);
    }
    target = await checkTarget(next, policy);
  }
}
