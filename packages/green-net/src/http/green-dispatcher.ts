/**
 * `GreenDispatcher`: an undici `Dispatcher` that makes any request sent through it green.
 * It is what `fetch` and `patch()` use, so that code written against `fetch` or undici —
 * including third-party libraries — gets the client's resolver, connection pool, concurrency
 * limit and response-size limit, and is aborted when the green thread that started it is
 * killed or timed out.
 *
 * How a request learns its thread: `dispatch()` runs in the caller's async context, so
 * `getCurrent()` there is the thread that called `fetch`. The dispatcher then
 * - listens to that thread's `signal` (aborted by `kill`): the request is aborted and the
 *   kill still reaches the thread's next green operation, as a kill must;
 * - registers a green operation on the thread for the life of the request: a `Timeout` that
 *   fires while the thread waits on the request aborts it. (When the thread awaits a plain
 *   promise, that operation is the one the Timeout interrupts, so the library's own error —
 *   `fetch failed`, with the Timeout as `cause` — is what the thread sees; wrap the call in
 *   `withTimeout` or `green()` to receive the Timeout itself.)
 * Both are removed when the request ends, so nothing accumulates on a long-lived thread.
 *
 * It wraps the caller's handler rather than replacing it and speaks both of undici's handler
 * styles (the callback one Node's bundled `fetch` uses and undici 7's controller one).
 *
 * @module
 */

import { type GreenThread, getCurrent, suspend, type Waiter } from "@tendril/core";
import { Dispatcher } from "undici";
import { unwatched } from "../interrupt/watch-io.js";
import type { Gate } from "./concurrency.js";
import { ResponseTooLarge } from "./errors.js";
import { rawHeader } from "./exchange.js";

type AnyHandler = Record<string, ((...args: unknown[]) => unknown) | undefined>;
type DispatchOptions = Dispatcher.DispatchOptions;

const noop = (): void => {};

function urlOf(opts: DispatchOptions): string {
  const origin = opts.origin === undefined ? "" : String(opts.origin).replace(/\/$/, "");
  return `${origin}${opts.path}`;
}

/** The per-request state shared by both handler styles. */
class Tracker {
  readonly url: string;
  readonly limit: number;
  received = 0;
  abortFn: ((reason: Error) => void) | null = null;
  reason: unknown = undefined;
  aborted = false;
  settled = false;
  leave: (() => void) | null = null;
  #waiter: Waiter<void> | null = null;
  #signal: AbortSignal | null = null;

  constructor(url: string, limit: number) {
    this.url = url;
    this.limit = limit;
  }

  /** Ties the request to `thread` (see the module comment). */
  track(thread: GreenThread<unknown>): void {
    let registered = false;
    const op = suspend<void>((waiter) => {
      registered = true;
      this.#waiter = waiter;
      return (reason) => {
        this.#waiter = null;
        this.abort(reason);
      };
    });
    op.then(undefined, (reason: unknown) => {
      // The thread already had an interruption waiting: this request is its first green step.
      if (!registered) this.abort(reason);
    });
    if (!registered) return;
    const signal = thread.signal;
    if (signal.aborted) return;
    this.#signal = signal;
    signal.addEventListener("abort", this.#onKill);
  }

  readonly #onKill = (): void => {
    // Leave the kill to the thread (release our operation first), and stop the request.
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.resolve();
    this.abort((this.#signal as AbortSignal).reason);
  };

  abort(reason: unknown): void {
    if (this.settled || this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.abortFn?.(reason as Error);
  }

  /** The request is over: release the thread, the signal listener and the concurrency slot. */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve();
    }
    if (this.#signal !== null) {
      this.#signal.removeEventListener("abort", this.#onKill);
      this.#signal = null;
    }
    const leave = this.leave;
    if (leave !== null) {
      this.leave = null;
      leave();
    }
  }

  /** Counts body bytes; returns the error to abort with when the limit is crossed. */
  count(length: number): ResponseTooLarge | null {
    this.received += length;
    return this.received > this.limit
      ? new ResponseTooLarge(this.limit, this.url, `at least ${this.received}`)
      : null;
  }

  declared(value: string | null | undefined): ResponseTooLarge | null {
    if (this.limit === Number.POSITIVE_INFINITY || value === null || value === undefined)
      return null;
    return Number(value) > this.limit
      ? new ResponseTooLarge(this.limit, this.url, `Content-Length is ${value}`)
      : null;
  }
}

/** Wraps a callback-style (legacy) undici handler. */
class CallbackHandler {
  readonly #inner: AnyHandler;
  readonly tracker: Tracker;
  constructor(inner: AnyHandler, tracker: Tracker) {
    this.#inner = inner;
    this.tracker = tracker;
  }
  onConnect(abort: (reason: Error) => void, context: unknown): unknown {
    const tracker = this.tracker;
    tracker.abortFn = abort;
    if (tracker.aborted) {
      abort(tracker.reason as Error);
      return undefined;
    }
    return this.#inner.onConnect?.(abort, context);
  }
  onResponseStarted(): unknown {
    return this.#inner.onResponseStarted?.();
  }
  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): unknown {
    if (status >= 200) {
      const tooLarge = this.tracker.declared(rawHeader(raw, "content-length"));
      if (tooLarge !== null) {
        this.tracker.abort(tooLarge);
        return false;
      }
    }
    return this.#inner.onHeaders?.(status, raw, resume, statusText);
  }
  onData(chunk: Buffer): unknown {
    const tooLarge = this.tracker.count(chunk.length);
    if (tooLarge !== null) {
      this.tracker.abort(tooLarge);
      return false;
    }
    return this.#inner.onData?.(chunk);
  }
  onComplete(trailers: unknown): unknown {
    this.tracker.settle();
    return this.#inner.onComplete?.(trailers);
  }
  onError(error: Error): unknown {
    this.tracker.settle();
    return this.#inner.onError?.(error);
  }
  onUpgrade(status: number, headers: unknown, socket: unknown): unknown {
    this.tracker.settle();
    return this.#inner.onUpgrade?.(status, headers, socket);
  }
  onBodySent(...args: unknown[]): unknown {
    return this.#inner.onBodySent?.(...args);
  }
  onRequestSent(): unknown {
    return this.#inner.onRequestSent?.();
  }
  /** Fails the request before it was dispatched. */
  fail(error: unknown): void {
    this.tracker.settle();
    this.#inner.onError?.(error);
  }
}

interface Controller {
  abort(reason: Error): void;
}

/** Wraps a controller-style (undici 7) handler. */
class ControllerHandler {
  readonly #inner: AnyHandler;
  readonly tracker: Tracker;
  constructor(inner: AnyHandler, tracker: Tracker) {
    this.#inner = inner;
    this.tracker = tracker;
  }
  onRequestStart(controller: Controller, context: unknown): unknown {
    const tracker = this.tracker;
    tracker.abortFn = (reason) => controller.abort(reason);
    if (tracker.aborted) {
      controller.abort(tracker.reason as Error);
      return undefined;
    }
    return this.#inner.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(
    controller: Controller,
    status: number,
    headers: unknown,
    socket: unknown,
  ): unknown {
    this.tracker.settle();
    return this.#inner.onRequestUpgrade?.(controller, status, headers, socket);
  }
  onResponseStart(
    controller: Controller,
    status: number,
    headers: Record<string, unknown>,
    message: unknown,
  ): unknown {
    if (status >= 200) {
      const length = headers["content-length"];
      const tooLarge = this.tracker.declared(typeof length === "string" ? length : null);
      if (tooLarge !== null) {
        controller.abort(tooLarge);
        return undefined;
      }
    }
    return this.#inner.onResponseStart?.(controller, status, headers, message);
  }
  onResponseData(controller: Controller, chunk: Buffer): unknown {
    const tooLarge = this.tracker.count(chunk.length);
    if (tooLarge !== null) {
      controller.abort(tooLarge);
      return undefined;
    }
    return this.#inner.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Controller, trailers: unknown): unknown {
    this.tracker.settle();
    return this.#inner.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Controller, error: Error): unknown {
    this.tracker.settle();
    return this.#inner.onResponseError?.(controller, error);
  }
  fail(error: unknown): void {
    this.tracker.settle();
    const controller = {
      abort: noop,
      pause: noop,
      resume: noop,
      aborted: true,
      paused: false,
      reason: error,
    };
    this.#inner.onResponseError?.(controller, error);
  }
}

/**
 * Options of a `GreenDispatcher`.
 *
 * @example
 * ```ts
 * import { Agent, fetch } from "undici";
 * const dispatcher = new GreenDispatcher(new Agent(), { maxResponseBytes: 1 << 20 });
 * const response = await fetch(url, { dispatcher });
 * ```
 */
export interface GreenDispatcherOptions {
  /** @internal The concurrency gate (from the client's `pool`). */
  gate?: Gate | null;
  /** Abort responses whose body exceeds this many bytes. Default: no limit. */
  maxResponseBytes?: number;
}

/**
 * An undici `Dispatcher` that runs every request green (see the module comment): pass it
 * as `dispatcher` to `fetch` or undici's `request`, or install it with `patch()`. Usually
 * taken from an `HttpClient` (`client.dispatcher`) rather than built directly.
 *
 * @example
 * ```ts
 * import { fetch } from "undici"; // the platform's fetch takes it too; its types are another copy's
 * const client = new HttpClient({ pool: 50 });
 * const response = await fetch(url, { dispatcher: client.dispatcher }); // green
 * ```
 */
export class GreenDispatcher extends Dispatcher {
  readonly #inner: Dispatcher;
  readonly #gate: Gate | null;
  readonly #limit: number;

  /** Wraps `inner` (an undici `Agent`, `Pool`, …). */
  constructor(inner: Dispatcher, options: GreenDispatcherOptions = {}) {
    super();
    this.#inner = inner;
    this.#gate = options.gate ?? null;
    this.#limit = options.maxResponseBytes ?? Number.POSITIVE_INFINITY;
  }

  override dispatch(opts: DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const inner = handler as unknown as AnyHandler;
    // A HEAD response's Content-Length describes a body that is not sent: no limit applies.
    const tracker = new Tracker(
      urlOf(opts),
      opts.method === "HEAD" ? Number.POSITIVE_INFINITY : this.#limit,
    );
    const wrapped =
      typeof inner.onRequestStart === "function"
        ? new ControllerHandler(inner, tracker)
        : new CallbackHandler(inner, tracker);
    tracker.track(getCurrent());
    const gate = this.#gate;
    // The request is green already: `watchIo()` must not tie it to the scope a second time.
    const send = (): boolean =>
      this.#inner.dispatch(opts, wrapped as unknown as Dispatcher.DispatchHandler);
    if (gate === null) return unwatched(send);
    gate.enter(
      (leave) => {
        tracker.leave = leave;
        if (tracker.aborted) {
          wrapped.fail(tracker.reason);
          return;
        }
        unwatched(send);
      },
      (error) => wrapped.fail(error),
    );
    return true;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = this.#inner.close();
    if (callback === undefined) return done;
    done.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const error = typeof a === "function" ? null : (a ?? null);
    const callback = typeof a === "function" ? a : b;
    const done = this.#inner.destroy(error);
    if (callback === undefined) return done;
    done.then(callback, callback);
  }
}
