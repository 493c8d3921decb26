/**
 * The one accept-retry policy of every Tendril accept loop (`serve` here, `serveConnections` in
 * `@tendril/patterns`): which accept failures are transient, and how long to wait before the
 * next try. Eventlet's loop died on the first `EMFILE`; a server should report it, wait for
 * descriptors to free up, and go on — without spinning.
 *
 * The transient failures are running out of descriptors or kernel memory (`EMFILE`, `ENFILE`,
 * `ENOBUFS`, `ENOMEM`), a connection that went away before it was accepted (`ECONNABORTED`,
 * `EPROTO`), a connection a firewall refused (`EPERM`), and the network errors Linux hands to
 * `accept` for a connection already pending (`accept(2)`: "treat them like EAGAIN by
 * retrying"). Anything else — a listener that is not listening, a bug — is not retried.
 *
 * @module
 */

import { sleep } from "@tendril/core";

const RETRYABLE = new Set([
  "EMFILE",
  "ENFILE",
  "ENOBUFS",
  "ENOMEM",
  "ECONNABORTED",
  "EPROTO",
  "EPERM",
  "ENETDOWN",
  "ENETUNREACH",
  "ENOPROTOOPT",
  "EHOSTDOWN",
  "EHOSTUNREACH",
  "ENONET",
  "EOPNOTSUPP",
  "ETIMEDOUT",
]);

/** The first wait after a failure, in ms. */
const FIRST_DELAY = 10;
/** The longest wait, in ms. */
const MAX_DELAY = 1000;

/**
 * The backoff of an accept loop: `wait()` after each transient accept failure sleeps 10 ms,
 * then twice as long each time up to 1 s; `reset()` after a successful accept starts over.
 * `AcceptBackoff.retryable(error)` says whether a failure is transient.
 *
 * @example
 * ```ts
 * const backoff = new AcceptBackoff();
 * for (;;) {
 *   let accepted;
 *   try {
 *     accepted = await listener.accept();
 *     backoff.reset();
 *   } catch (error) {
 *     if (!AcceptBackoff.retryable(error)) throw error;
 *     console.error("accept failed, retrying:", error);
 *     await backoff.wait();
 *     continue;
 *   }
 *   void handle(...accepted);
 * }
 * ```
 */
export class AcceptBackoff {
  #delay = 0;

  /**
   * True when `error` is a transient accept failure (out of descriptors or memory, a
   * connection aborted before it was accepted, …): report it, `wait()`, and accept again.
   *
   * @example
   * ```ts
   * AcceptBackoff.retryable(Object.assign(new Error("accept EMFILE"), { code: "EMFILE" })); // true
   * AcceptBackoff.retryable(new TypeError("bug")); // false
   * ```
   */
  static retryable(error: unknown): boolean {
    if (!(error instanceof Error)) return false;
    const code = (error as NodeJS.ErrnoException).code;
    return typeof code === "string" && RETRYABLE.has(code);
  }

  /**
   * How long the next `wait()` sleeps, in ms.
   *
   * @example
   * ```ts
   * new AcceptBackoff().nextDelay; // 10
   * ```
   */
  get nextDelay(): number {
    return this.#delay === 0 ? FIRST_DELAY : Math.min(MAX_DELAY, this.#delay * 2);
  }

  /**
   * Sleeps the next delay (a green operation: kill and Timeout interrupt it) and doubles it.
   *
   * @example
   * ```ts
   * await backoff.wait(); // 10 ms, then 20, 40, … up to 1000
   * ```
   */
  wait(): Promise<void> {
    this.#delay = this.nextDelay;
    return sleep(this.#delay);
  }

  /**
   * Starts over after a successful accept: the next `wait()` sleeps 10 ms again.
   *
   * @example
   * ```ts
   * backoff.reset();
   * ```
   */
  reset(): void {
    this.#delay = 0;
  }
}
