/**
 * An HTTP GET that the outbound guard watches end to end: the URL is checked before the
 * request, the connection's own DNS answer is checked when it connects (`guardLookup`), and
 * every redirect hop is checked before it is made — through `urlopen`'s per-hop hook
 * `beforeRedirect`, so redirects are followed by green-net's `HttpClient` (one implementation:
 * method rewriting, credentials dropped across origins, loop bound) and the guard only judges
 * where each hop leads. The hook matters: Node never calls `lookup` for an IP literal, so a
 * `Location: http://127.0.0.1/` would otherwise connect without asking.
 *
 * @module
 */

import { isIP } from "node:net";
import type { LookupFunction, RedirectHop } from "@tendril/green-net";
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
  /** Redirects followed at most, each checked; more is `TooManyRedirects`. Default 5. */
  maxRedirects?: number;
  /**
   * Request options (headers, `maxResponseBytes`, …). Credentials in `headers` go to the first
   * origin only: a redirect to another origin drops `authorization`, `cookie` and
   * `proxy-authorization`. A `beforeRedirect` here runs after the guard's check of each hop.
   */
  init?: FetchInit;
  /**
   * The HTTP client. Default `urlopen` from `@tendril/green-net`. It is given `redirect:
   * "follow"` and a `beforeRedirect` hook that checks each hop, and must honour both — as
   * `urlopen`, `HttpClient.urlopen` and any function that hands them its `init` do. An answer
   * that comes from a redirect the hook never saw is refused (`OutboundRefused`).
   */
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

function withoutHash(href: string): string {
  const hash = href.indexOf("#");
  return hash === -1 ? href : href.slice(0, hash);
}

/**
 * GETs `url` under the outbound guard and returns the final response (any status but a
 * followed redirect) with the URL it came from. Redirects are followed by the HTTP client
 * (`urlopen`), each hop checked against `policy` before anything is sent to it; credentials
 * never cross origins. A green operation: kill and Timeout abort it.
 *
 * @throws {OutboundRefused} when the URL or a redirect leads somewhere `policy` refuses,
 *   before the request or when the connection resolves its host.
 * @throws {TooManyRedirects} (from `@tendril/green-net`) for more than `maxRedirects`.
 * @throws {HttpRequestError} (from `@tendril/green-net`) for a bad `Location`, or a failed request.
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
  const own = options.init?.beforeRedirect;
  let target = await checkTarget(url, policy);
  const init: FetchInit = {
    ...options.init,
    redirect: "follow",
    maxRedirects: options.maxRedirects ?? 5,
    lookup: options.lookup ?? sharedGuardLookup(policy),
    beforeRedirect: async (hop: RedirectHop) => {
      const checked = await checkTarget(hop.to, policy);
      if (own !== undefined) await own(hop);
      target = checked;
    },
  };
  let response: FetchResponse;
  try {
    response = await greenFetch(options.fetch, target.href, init);
  } catch (error) {
    // Refused at connect time by the guarded lookup: say so, not "request failed".
    const cause = (error as { cause?: unknown })?.cause;
    if (cause instanceof OutboundRefused) throw cause;
    throw error;
  }
  // A fetch function that followed a redirect without asking the hook: its answer comes from
  // somewhere nobody checked.
  if (response.url !== "" && withoutHash(response.url) !== withoutHash(target.href)) {
    await discardBody(response);
    const where = new URL(response.url);
    throw new OutboundRefused(
      `guardedFetch: the fetch function followed a redirect to ${response.url} without calling beforeRedirect; refused`,
      { url: response.url, hostname: where.hostname },
    );
  }
  return { response, url: target };
}
