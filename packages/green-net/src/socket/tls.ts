/**
 * TLS for green sockets. `listen(…, { tls })` and `connect(…, { tls })` cover the usual case;
 * `wrapTls` upgrades a connection that is already open (STARTTLS: a plain-text exchange, then
 * TLS on the same socket), as Python's `ssl.wrap_socket` / Eventlet's `wrap_ssl`.
 *
 * @module
 */

import { isIP } from "node:net";
import {
  type ConnectionOptions,
  createSecureContext,
  type SecureContext,
  TLSSocket,
  type TlsOptions,
  connect as tlsConnect,
} from "node:tls";
import { getHub, suspend, type TimerHandle } from "@tendril/core";
import { describeValue } from "@tendril/core/validate";
import { SocketTimeout } from "./errors.js";
import { GreenSocket } from "./green-socket.js";

/**
 * Options of `wrapTls`: the client's `tls.connect` options, or the server's with `server: true`.
 *
 * @example
 * ```ts
 * const secure = await wrapTls(sock, { servername: "example.com", timeout: 5000 });
 * ```
 */
export type WrapTlsOptions =
  | (ConnectionOptions & { server?: false; timeout?: number })
  | (TlsOptions & { server: true; secureContext?: SecureContext; timeout?: number });

/** @internal True for an IP literal (no SNI is sent for those). */
export function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}

/**
 * Starts TLS on an open `GreenSocket` and resolves a new `GreenSocket` for the encrypted
 * stream once the handshake is done (the old one is closed for use). The client side (the
 * default) verifies the server as `tls.connect` does; `server: true` takes the server's
 * `key`/`cert` (or a `secureContext`). A green operation: kill, `Timeout` or `timeout`
 * destroy the connection.
 *
 * @throws {Error} the TLS error of a failed handshake (certificate not trusted, …).
 * @throws {SocketClosed} when the socket is closed, or has received bytes nobody read (they
 *   would be lost to the handshake), or a read is waiting on it.
 * @throws {SocketTimeout} when `timeout` expires first.
 * @example
 * ```ts
 * await sock.sendall("STARTTLS\r\n");
 * await sock.readLine();
 * const secure = await wrapTls(sock, { servername: "mail.test", ca });
 * ```
 */
export function wrapTls(socket: GreenSocket, options: WrapTlsOptions = {}): Promise<GreenSocket> {
  if (!(socket instanceof GreenSocket)) {
    return Promise.reject(
      new TypeError(`wrapTls: expected a GreenSocket, received ${describeValue(socket)}`),
    );
  }
  const timeout = options.timeout;
  if (
    timeout !== undefined &&
    (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0)
  ) {
    return Promise.reject(
      new RangeError(
        `wrapTls: timeout must be a number of milliseconds >= 0, received ${describeValue(timeout)}`,
      ),
    );
  }
  return suspend<GreenSocket>((waiter) => {
    const raw = socket.detach();
    let secure: TLSSocket;
    let event: string;
    if (options.server === true) {
      const { server: _server, timeout: _timeout, secureContext, ...rest } = options;
      secure = new TLSSocket(raw, {
        ...rest,
        isServer: true,
        secureContext: secureContext ?? createSecureContext(rest),
      });
      event = "secure";
    } else {
      const { server: _server, timeout: _timeout, ...rest } = options;
      const host = rest.host ?? raw.remoteAddress;
      secure = tlsConnect({
        ...rest,
        socket: raw,
        servername: rest.servername ?? (host === undefined || isIpLiteral(host) ? undefined : host),
      });
      event = "secureConnect";
    }
    let timer: TimerHandle | null = null;
    const cleanup = (): void => {
      timer?.cancel();
      secure.off(event, onSecure);
      secure.off("error", onError);
      secure.off("close", onClose);
    };
    const onSecure = (): void => {
      cleanup();
      if (!waiter.resolve(new GreenSocket(secure))) secure.destroy();
    };
    const onError = (error: Error): void => {
      cleanup();
      secure.destroy();
      waiter.reject(error);
    };
    const onClose = (): void =>
      onError(new Error("the connection closed during the TLS handshake"));
    secure.once(event, onSecure);
    secure.once("error", onError);
    secure.once("close", onClose);
    if (timeout !== undefined) {
      timer = getHub().schedule(timeout, () =>
        onError(new SocketTimeout(timeout, "TLS handshake")),
      );
    }
    return () => {
      cleanup();
      secure.destroy();
    };
  });
}
