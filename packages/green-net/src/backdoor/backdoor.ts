/**
 * `backdoor`: Eventlet's `backdoor` — a JavaScript REPL (`node:repl`) for every connection to a
 * green listener, to look inside a running server: its green threads (`listThreads()`,
 * `formatThreads()` are in scope), its pools and queues (hand them over in `context`).
 *
 * It binds to loopback and refuses any other address unless `allowRemote: true`, because
 * whoever reaches it runs code as this process. Each session is a green thread that waits for
 * its REPL to end; `close()` ends the accept loop and every session.
 *
 * Trade-off: the REPL reads the socket itself (it is a Node stream consumer), so each accepted
 * `GreenSocket` is detached and handed over raw; the green thread only owns its lifetime.
 *
 * @module
 */

import { isIP, type Socket } from "node:net";
import { type REPLServer, start as startRepl } from "node:repl";
import {
  formatThreads,
  type GreenThread,
  green,
  listThreads,
  spawn,
  TendrilError,
} from "@tendril/core";
import { checkInteger, describeValue } from "@tendril/core/validate";
import type { SocketAddress } from "../socket/address.js";
import { ListenerClosed } from "../socket/errors.js";
import type { GreenListener } from "../socket/green-listener.js";
import type { GreenSocket } from "../socket/green-socket.js";
import { listen } from "../socket/listen.js";

/**
 * Options of `backdoor`.
 *
 * @example
 * ```ts
 * const options: BackdoorOptions = {
 *   port: 0, // a free port: read it from door.address()
 *   context: { pool, queue },
 *   prompt: "crawler> ",
 * };
 * const door = await backdoor(options);
 * ```
 */
export interface BackdoorOptions {
  /** The address to bind. Default `"127.0.0.1"`; anything but loopback needs `allowRemote`. */
  host?: string;
  /** The port. Default 0: a free one (read it from `address()`). */
  port?: number;
  /** Allow a non-loopback `host`. Default `false`: anyone who connects can run code here. */
  allowRemote?: boolean;
  /** Values in scope in every session, beside `listThreads` and `formatThreads`. */
  context?: Record<string, unknown>;
  /** The prompt. Default `"tendril> "`. */
  prompt?: string;
}

/**
 * `backdoor({ host })` was asked to bind a non-loopback address without `allowRemote: true`.
 *
 * @example
 * ```ts
 * await backdoor({ host: "0.0.0.0" }); // rejects with BackdoorNotLoopback
 * ```
 */
export class BackdoorNotLoopback extends TendrilError {
  /** The address that was refused. */
  readonly host: string;
  constructor(host: string) {
    super(
      "ERR_TENDRIL_BACKDOOR_NOT_LOOPBACK",
      `backdoor: refusing to bind ${JSON.stringify(host)}, which is not a loopback address — anyone who can reach it could run code in this process; pass allowRemote: true if that is intended`,
    );
    this.host = host;
  }
}

/** True for `localhost`, `127.0.0.0/8`, `::1` and `::ffff:127.x.x.x`. */
function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  const v4 = host.startsWith("::ffff:") ? host.slice(7) : host;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return isIP(host) === 6 && (host === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(host));
}

/**
 * A running backdoor. Connect to `address()` with `nc`, `telnet` or `node -e` and type
 * JavaScript.
 *
 * @example
 * ```ts
 * await using door = await backdoor({ context: { pool } });
 * const { port } = door.address() as AddressInfo;
 * console.log(`nc 127.0.0.1 ${port}`, `(${door.sessions()} session(s) open)`);
 * ```
 */
export class Backdoor {
  readonly #listener: GreenListener;
  readonly #sessions = new Set<GreenThread<void>>();
  readonly #context: Record<string, unknown>;
  readonly #prompt: string;
  readonly #acceptor: GreenThread<void>;
  #closed = false;

  /** @internal Use `backdoor()`. */
  constructor(listener: GreenListener, context: Record<string, unknown>, prompt: string) {
    this.#listener = listener;
    this.#context = context;
    this.#prompt = prompt;
    this.#acceptor = spawn(() => this.#acceptLoop());
  }

  /** The bound address (its `port` is the one to connect to). */
  address(): SocketAddress {
    return this.#listener.address() as SocketAddress;
  }

  /** Sessions open now. */
  sessions(): number {
    return this.#sessions.size;
  }

  /**
   * Stops accepting and ends every session (their connections are closed). Resolves once all
   * of them are gone.
   *
   * @example
   * ```ts
   * const door = await backdoor({ port: 3000 });
   * process.once("SIGTERM", () => void door.close());
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#listener.close();
    await this.#acceptor.kill();
    for (const session of [...this.#sessions]) await session.kill();
  }

  /** `await using door = await backdoor()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let sock: GreenSocket;
      try {
        [sock] = await this.#listener.accept();
      } catch (error) {
        if (error instanceof ListenerClosed) return;
        continue; // a failed accept (EMFILE, a reset connection) ends nothing but itself
      }
      const session = spawn(() => this.#session(sock));
      this.#sessions.add(session);
      session.link(() => this.#sessions.delete(session));
    }
  }

  async #session(sock: GreenSocket): Promise<void> {
    const socket: Socket = sock.detach();
    let repl: REPLServer | undefined;
    try {
      repl = startRepl({
        input: socket,
        output: socket,
        prompt: this.#prompt,
        terminal: false,
        useGlobal: false,
        ignoreUndefined: true,
      });
      const scope = repl.context as Record<string, unknown>;
      scope.listThreads = listThreads;
      scope.formatThreads = formatThreads;
      Object.assign(scope, this.#context);
      const opened = repl;
      await green(
        new Promise<void>((resolve) => {
          opened.once("exit", resolve);
          socket.once("close", resolve);
        }),
      );
    } finally {
      repl?.close();
      socket.destroy();
    }
  }
}

/**
 * Starts a backdoor: a REPL per connection on `host:port`, with `listThreads()` and
 * `formatThreads()` — and whatever `context` holds — in scope. Top-level `await` works.
 *
 * @throws {BackdoorNotLoopback} when `host` is not a loopback address and `allowRemote` is not set.
 * @throws {TypeError|RangeError} for a malformed option (the message names the value).
 * @throws {Error} the system error of the bind (`EADDRINUSE`, …).
 * @example
 * ```ts
 * const pool = new GreenPool(100);
 * const door = await backdoor({ port: 3000, context: { pool } });
 * // $ nc 127.0.0.1 3000
 * // tendril> pool.running()
 * // 12
 * // tendril> console.log(formatThreads())
 * ```
 */
export async function backdoor(options: BackdoorOptions = {}): Promise<Backdoor> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`backdoor: options must be an object, received ${describeValue(options)}`);
  }
  const host = options.host ?? "127.0.0.1";
  if (typeof host !== "string" || host.length === 0) {
    throw new TypeError(
      `backdoor: host must be a non-empty string, received ${describeValue(host)}`,
    );
  }
  const port = options.port === undefined ? 0 : checkInteger("backdoor: port", options.port, 0);
  if (port > 65535) throw new RangeError(`backdoor: port must be <= 65535, received ${port}`);
  const context = options.context ?? {};
  if (context === null || typeof context !== "object") {
    throw new TypeError(`backdoor: context must be an object, received ${describeValue(context)}`);
  }
  const prompt = options.prompt ?? "tendril> ";
  if (typeof prompt !== "string") {
    throw new TypeError(`backdoor: prompt must be a string, received ${describeValue(prompt)}`);
  }
  if (options.allowRemote !== true && !isLoopback(host)) throw new BackdoorNotLoopback(host);
  const listener = await listen([host, port]);
  return new Backdoor(listener, context, prompt);
}
