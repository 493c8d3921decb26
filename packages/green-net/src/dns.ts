/**
 * `@tendril/green-net/dns`: the green resolver — non-blocking, cached, `/etc/hosts`-aware —
 * and its `dns.lookup` drop-in for `net`, `http` and undici.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "./node-version.js";

/** DNS: the green resolver (non-blocking, cached, `/etc/hosts`-aware) and its `dns.lookup` drop-in. */
export { DnsError, type DnsErrorCode } from "./dns/dns-error.js";
export { type HostsEntry, HostsFile, parseHosts } from "./dns/hosts-file.js";
export {
  getDefaultResolver,
  type LookupAddress,
  type LookupCallback,
  type LookupFunction,
  type LookupOptions,
  lookup,
  type ResolveOptions,
  Resolver,
  type ResolverOptions,
  resolve,
  setDefaultResolver,
} from "./dns/resolver.js";

/** The codes of this package's errors (they extend `@tendril/core`'s `TendrilErrorCodes`). */
export type { GreenNetErrorCode } from "./error-codes.js";
