/**
 * The address forms `listen` and `connect` take — `[host, port]` as in the seed page's
 * `listen(('0.0.0.0', 6000))`, `{ host, port }`, or a Unix socket path — reduced to one shape.
 *
 * @module
 */

import { describeValue } from "@tendril/core/validate";

/**
 * A TCP address as `[host, port]`, `{ host, port }` or an `AddressInfo`, or the path of a Unix socket.
 *
 * @example
 * ```ts
 * await connect(["127.0.0.1", 8080]);
 * await connect({ host: "127.0.0.1", port: 8080 });
 * await connect("/tmp/app.sock"); // a Unix socket
 * ```
 */
export type SocketAddress =
  | readonly [host: string, port: number]
  | { readonly host?: string; readonly port: number }
  | { readonly address: string; readonly port: number }
  | { readonly path: string }
  | string;

/** @internal The parsed form. */
export type ParsedAddress =
  | { kind: "tcp"; host: string | undefined; port: number }
  | { kind: "unix"; path: string };

/**
 * @internal Parses an address; `what` names the caller in error messages.
 * @throws {TypeError|RangeError} for anything else, naming the received value.
 */
export function parseAddress(what: string, address: unknown): ParsedAddress {
  if (typeof address === "string") {
    if (address === "") throw new TypeError(`${what}: a Unix socket path must not be empty`);
    return { kind: "unix", path: address };
  }
  let host: unknown;
  let port: unknown;
  if (Array.isArray(address)) {
    if (address.length !== 2) {
      throw new TypeError(
        `${what}: address must be [host, port], received ${describeValue(address)}`,
      );
    }
    [host, port] = address;
  } else if (address !== null && typeof address === "object") {
    if ("path" in address) {
      const path = (address as { path: unknown }).path;
      if (typeof path !== "string" || path === "") {
        throw new TypeError(
          `${what}: address.path must be a non-empty string, received ${describeValue(path)}`,
        );
      }
      return { kind: "unix", path };
    }
    host = (address as { host?: unknown }).host;
    // An AddressInfo (what `listener.address()` returns) names the host `address`.
    if (host === undefined && "address" in address)
      host = (address as { address?: unknown }).address;
    port = (address as { port?: unknown }).port;
  } else {
    throw new TypeError(
      `${what}: address must be [host, port], { host, port } or a Unix socket path, received ${describeValue(address)}`,
    );
  }
  if (host !== undefined && typeof host !== "string") {
    throw new TypeError(`${what}: host must be a string, received ${describeValue(host)}`);
  }
  if (typeof port !== "number" || Number.isNaN(port)) {
    throw new TypeError(
      `${what}: port must be an integer from 0 to 65535, received ${describeValue(port)}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `${what}: port must be an integer from 0 to 65535, received ${describeValue(port)}`,
    );
  }
  return { kind: "tcp", host: host === "" ? undefined : host, port };
}
