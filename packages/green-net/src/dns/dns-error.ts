/**
 * The error of a name that could not be resolved. It keeps the resolver's own code (`ENOTFOUND`,
 * `ENODATA`, `ETIMEOUT`, …) beside Tendril's stable one, so that code written against Node's
 * `dns` module (which matches on `error.code === "ENOTFOUND"`) can read `dnsCode` instead.
 *
 * @module
 */

import { TendrilError } from "@tendril/core";

/**
 * Tendril's codes for DNS failures: the name does not exist (or has no such record), or the query failed.
 *
 * @example
 * ```ts
 * try {
 *   await resolve("no-such-host.invalid");
 * } catch (error) {
 *   if (error instanceof DnsError && error.code === "ERR_TENDRIL_DNS_NOT_FOUND") console.log("no such host");
 * }
 * ```
 */
export type DnsErrorCode = "ERR_TENDRIL_DNS_NOT_FOUND" | "ERR_TENDRIL_DNS_FAILED";

/**
 * A name that did not resolve. `code` is `ERR_TENDRIL_DNS_NOT_FOUND` when the name does not
 * exist or has no address of the asked family (a definite answer, cached for a short while),
 * and `ERR_TENDRIL_DNS_FAILED` when the query itself failed (timeout, refused, server failure:
 * not cached). `dnsCode` is the resolver's code (`ENOTFOUND`, `ENODATA`, `ETIMEOUT`, …) and
 * `hostname` the name asked for.
 *
 * @example
 * ```ts
 * try { await resolve("no-such-host.invalid"); }
 * catch (error) { if (error instanceof DnsError) console.log(error.hostname, error.dnsCode); }
 * ```
 */
export class DnsError extends TendrilError {
  /** The name that was looked up. */
  readonly hostname: string;
  /** The resolver's code: `ENOTFOUND`, `ENODATA`, `ETIMEOUT`, `ECONNREFUSED`, `ESERVFAIL`, … */
  readonly dnsCode: string;
  /** Always `"lookup"`, as on the errors of Node's `dns.lookup`. */
  readonly syscall = "lookup";

  constructor(
    code: DnsErrorCode,
    hostname: string,
    dnsCode: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.hostname = hostname;
    this.dnsCode = dnsCode;
  }
}

const NOT_FOUND_CODES = new Set(["ENOTFOUND", "ENODATA", "ENONAME", "EAI_NONAME", "EAI_NODATA"]);

/** True for a definite "no such name / no such record" answer (cacheable). @internal */
export function isNotFoundCode(dnsCode: string): boolean {
  return NOT_FOUND_CODES.has(dnsCode);
}

/** Builds the DnsError for a failed query. @internal */
export function dnsErrorFrom(hostname: string, family: 4 | 6 | 0, cause: unknown): DnsError {
  const dnsCode =
    typeof (cause as { code?: unknown })?.code === "string"
      ? (cause as { code: string }).code
      : "EUNKNOWN";
  const what = family === 0 ? "an address" : `an IPv${family} address`;
  if (isNotFoundCode(dnsCode)) {
    const why = dnsCode === "ENODATA" ? "the name has no such record" : "the name does not exist";
    return new DnsError(
      "ERR_TENDRIL_DNS_NOT_FOUND",
      hostname,
      dnsCode,
      `could not resolve ${JSON.stringify(hostname)} to ${what}: ${why} (${dnsCode})`,
      { cause },
    );
  }
  return new DnsError(
    "ERR_TENDRIL_DNS_FAILED",
    hostname,
    dnsCode,
    `could not resolve ${JSON.stringify(hostname)} to ${what}: the DNS query failed (${dnsCode})`,
    { cause },
  );
}
