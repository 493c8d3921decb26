/**
 * `listen(address, options)`: the seed page's `eventlet.listen(('0.0.0.0', 6000))`, returning
 * a `GreenListener`. TCP over IPv4 or IPv6, Unix sockets, and TLS with the `tls` option.
 *
 * Socket options, honestly: libuv always sets `SO_REUSEADDR` on TCP listeners on Unix, so
 * `reuseAddress` is on whatever is asked; `reusePort` (`SO_REUSEPORT`, several processes on one
 * port) exists from Node 22.12 and 23.1 on — earlier Nodes would silently ignore it, so
 * `listen` refuses it there with `Unsupported` (use `node:cluster` instead).
 *
 * @module
 */

import { createServer } from "node:net";
import { createSecureContext, type TlsOptions } from "node:tls";
import { suspend } from "@tendril/core";
import { checkInteger, describeValue } from "@tendril/core/validate";
import { parseAddress, type SocketAddress } from "./address.js";
import { Unsupported } from "./errors.js";
import { GreenListener } from "./green-listener.js";

/**
 * Options of `listen`.
 *
 * @example
 * ```ts
 * const listener = await listen(["0.0.0.0", 8443], { backlog: 1024, tls: { key, cert } });
 * ```
 */
export interface ListenOptions {
  /** The kernel's queue of connections not yet accepted by Node. Default 511. */
  backlog?: number;
  /** `SO_REUSEADDR`. Always on for TCP on Unix (libuv sets it); accepted for Eventlet parity. */
  reuseAddress?: boolean;
  /** `SO_REUSEPORT`: let several processes listen on the port. Needs Node >= 22.12 / 23.1. */
  reusePort?: boolean;
  /** Listen on IPv6 only (no IPv4-mapped addresses) when the host is `::`. */
  ipv6Only?: boolean;
  /** Serve TLS: the options of `tls.createServer` (key, cert, ca, requestCert, ALPNProtocols, …). */
  tls?: TlsOptions;
  /** The receive buffer of each accepted `GreenSocket` (see `GreenSocketOptions`). */
  highWaterMark?: number;
}

function nodeHasReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/**
 * Listens on `address` — `[host, port]`, `{ host, port }` (port 0 picks a free one) or a Unix
 * socket path — and resolves the `GreenListener` once listening. A green operation.
 *
 * @throws {Error} the system error of a failed bind (`EADDRINUSE`, `EACCES`, …).
 * @throws {Unsupported} for `reusePort` on a Node that lacks it.
 * @throws {TypeError|RangeError} for a malformed address or option.
 * @example
 * ```ts
 * const listener = await listen(["127.0.0.1", 0]);
 * const { port } = listener.address() as AddressInfo;
 * ```
 */
export function listen(
  address: SocketAddress,
  options: ListenOptions = {},
): Promise<GreenListener> {
  let run: () => Promise<GreenListener>;
  try {
    const parsed = parseAddress("listen", address);
    if (options === null || typeof options !== "object") {
      throw new TypeError(`listen: options must be an object, received ${describeValue(options)}`);
    }
    const backlog = checkInteger("listen: backlog", options.backlog ?? 511, 0);
    if (options.highWaterMark !== undefined)
      checkInteger("listen: highWaterMark", options.highWaterMark, 1);
    if (options.reusePort && !nodeHasReusePort()) {
      throw new Unsupported(
        `listen: reusePort needs Node.js >= 22.12 or >= 23.1, this is ${process.versions.node}; use node:cluster to share a port`,
      );
    }
    const tls =
      options.tls === undefined
        ? undefined
        : { context: createSecureContext(options.tls), options: options.tls };
    run = () =>
      suspend<GreenListener>((waiter) => {
        const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
        const onError = (error: Error): void => {
          server.off("listening", onListening);
          waiter.reject(error);
        };
        const onListening = (): void => {
          server.off("error", onError);
          const listener = new GreenListener(server, { highWaterMark: options.highWaterMark, tls });
          if (!waiter.resolve(listener)) void listener.close();
        };
        server.once("error", onError);
        server.once("listening", onListening);
        if (parsed.kind === "unix") server.listen({ path: parsed.path, backlog });
        else {
          server.listen({
            host: parsed.host,
            port: parsed.port,
            backlog,
            ipv6Only: options.ipv6Only ?? false,
            ...(options.reusePort ? { reusePort: true } : {}),
          });
        }
        return () => {
          server.off("error", onError);
          server.off("listening", onListening);
          server.close();
        };
      });
  } catch (error) {
    return Promise.reject(error);
  }
  return run();
}
