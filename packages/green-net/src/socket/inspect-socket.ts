/**
 * How a `GreenSocket` prints under `console.log` and `util.inspect`: its two ends and its
 * state, `GreenSocket { 127.0.0.1:50312 -> 127.0.0.1:8080, buffered: 0 }`, instead of the
 * underlying socket's internals.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

import type { SocketState } from "./socket-state.js";

/** @internal The one-line description of a GreenSocket. */
export function describeGreenSocket(state: SocketState, buffered: number): string {
  const socket = state.socket;
  const end = (host: string | undefined, port: number | undefined): string =>
    host === undefined ? "?" : `${host.includes(":") ? `[${host}]` : host}:${port ?? "?"}`;
  const ends =
    socket.remoteAddress === undefined && socket.localAddress === undefined
      ? "unix or unconnected"
      : `${end(socket.localAddress, socket.localPort)} -> ${end(socket.remoteAddress, socket.remotePort)}`;
  const status = state.closed
    ? ", closed"
    : state.error !== null
      ? `, failed: ${state.error.message}`
      : state.eof && buffered === 0
        ? ", at end"
        : "";
  const tls = "encrypted" in socket ? ", tls" : "";
  return `GreenSocket { ${ends}${tls}, buffered: ${buffered}${status} }`;
}
