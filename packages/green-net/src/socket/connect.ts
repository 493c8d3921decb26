/**
 * `connect(address, options)`: Eventlet's `connect(addr)` — a connected `GreenSocket`, over
 * TCP, a Unix socket, or TLS. Host names go through the green resolver (`lookup`), not
 * libuv's thread pool.
 *
 * @module
 */

import { connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { getHub, suspend, type TimerHandle } from "@tendril/core";
import { checkInteger, describeValue } from "@tendril/core/validate";
import { lookup as greenLookup, type LookupFunction } from "../dns/resolver.js";
import { unwatched } from "../interrupt/watch-io.js";
import { parseAddress, type SocketAddress } from "./address.js";
import { SocketTimeout } from "./errors.js";
import { GreenSocket } from "./green-socket.js";
import { isIpLiteral } from "./tls.js";

/**
 * Options of `connect`.
 *
 * @example
 * ```ts
 * const sock = await connect(["example.com", 443], { tls: true, timeout: 5000 });
 * ```
 */
export interface ConnectOptions {
  /**
   * The most milliseconds to wait for the connection (and the TLS handshake), on the hub's
   * clock; `SocketTimeout` after that. Applies to connecting only — call `sock.setTimeout` for
   * the socket's later operations.
   */
  timeout?: number;
  /** The local address to connect from: `[host, port]` or `{ host, port }` (port 0: any). */
  bind?: readonly [host: string, port: number] | { readonly host?: string; readonly port: number };
  /** Connect with TLS: `true`, or the options of `tls.connect` (ca, servername, ALPNProtocols, …). */
  tls?: boolean | ConnectionOptions;
  /** Resolves host names. Default: the green resolver's `lookup`. */
  lookup?: LookupFunction;
  /** Only IPv4 (4) or IPv6 (6) addresses. Default: either. */
  family?: 0 | 4 | 6;
  /** Disable Nagle's algorithm. Default `false`, as in Node. */
  noDelay?: boolean;
  /** The receive buffer of the `GreenSocket` (see `GreenSocketOptions`). */
  highWaterMark?: number;
}

/**
 * Connects to `address` — `[host, port]`, `{ host, port }` or a Unix socket path — and
 * resolves a `GreenSocket`. A green operation: kill, `Timeout` or `options.timeout` abandon
 * the attempt and destroy the socket.
 *
 * @throws {Error} the system error of a failed connection (`ECONNREFUSED`, …), a `DnsError`
 *   for a name that does not resolve, or the TLS error of a failed handshake.
 * @throws {SocketTimeout} when `options.timeout` expires first.
 * @throws {TypeError|RangeError} for a malformed address or option.
 * @example
 * ```ts
 * await using sock = await connect(["localhost", 6000], { timeout: 5000 });
 * await sock.sendall("hi\n");
 * ```
 */
export function connect(
  address: SocketAddress,
  options: ConnectOptions = {},
): Promise<GreenSocket> {
  let start: () => Socket;
  let secure: boolean;
  let timeout: number | undefined;
  try {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`connect: options must be an object, received ${describeValue(options)}`);
    }
    const parsed = parseAddress("connect", address);
    timeout = options.timeout;
    if (
      timeout !== undefined &&
      (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0)
    ) {
      throw new RangeError(
        `connect: timeout must be a number of milliseconds >= 0, received ${describeValue(timeout)}`,
      );
    }
    if (options.highWaterMark !== undefined)
      checkInteger("connect: highWaterMark", options.highWaterMark, 1);
    const bind =
      options.bind === undefined ? undefined : parseAddress("connect: bind", options.bind);
    if (bind !== undefined && bind.kind !== "tcp")
      throw new TypeError("connect: bind must be a TCP address");
    secure = options.tls !== undefined && options.tls !== false;
    const tlsOptions: ConnectionOptions = typeof options.tls === "object" ? options.tls : {};
    const lookup = options.lookup ?? greenLookup;
    const family = options.family ?? 0;
    start = () => {
      if (parsed.kind === "unix") {
        return secure
          ? tlsConnect({ ...tlsOptions, path: parsed.path })
          : netConnect({ path: parsed.path, allowHalfOpen: true });
      }
      const host = parsed.host ?? "localhost";
      const common = {
        host,
        port: parsed.port,
        lookup: lookup as never,
        family,
        noDelay: options.noDelay ?? false,
        ...(bind?.kind === "tcp"
          ? { localAddress: bind.host, localPort: bind.port || undefined }
          : {}),
      };
      if (!secure) return netConnect({ ...common, allowHalfOpen: true });
      return tlsConnect({
        ...common,
        ...tlsOptions,
        servername: tlsOptions.servername ?? (isIpLiteral(host) ? undefined : host),
      });
    };
  } catch (error) {
    return Promise.reject(error);
  }
  const highWaterMark = options.highWaterMark;
  return suspend<GreenSocket>((waiter) => {
    // A GreenSocket is green already: `watchIo()` must not tie it to the scope as well.
    const socket = unwatched(start);
    let timer: TimerHandle | null = null;
    const connectEvent = secure ? "secureConnect" : "connect";
    const cleanup = (): void => {
      timer?.cancel();
      socket.off(connectEvent, onConnect);
      socket.off("error", onError);
    };
    const onConnect = (): void => {
      cleanup();
      if (!waiter.resolve(new GreenSocket(socket, { highWaterMark }))) socket.destroy();
    };
    const onError = (error: Error): void => {
      cleanup();
      socket.destroy();
      waiter.reject(error);
    };
    socket.once(connectEvent, onConnect);
    socket.once("error", onError);
    if (timeout !== undefined) {
      const ms = timeout;
      timer = getHub().schedule(ms, () => {
        cleanup();
        socket.destroy();
        waiter.reject(new SocketTimeout(ms, "connect"));
      });
    }
    return () => {
      cleanup();
      socket.destroy();
    };
  });
}
