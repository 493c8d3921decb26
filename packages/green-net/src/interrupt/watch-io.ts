/**
 * `watchIo()`: Eventlet's `monkey_patch()` without the patching. Node announces every client
 * socket and request it creates on `node:diagnostics_channel`; once watched, each one created
 * inside a green thread (or under a `withTimeout` in the main thread) is tied to the scope
 * current at its creation (see `scope-binding.ts`), so a library built on `node:net`,
 * `node:http` or undici — an HTTP client, a database driver — is interrupted by kill and
 * `Timeout` without a line of it changing: the socket or request is destroyed with the
 * `GreenThreadExit` or the `Timeout` as its error, and the library's promise rejects at once.
 *
 * The channels, as published by Node 20–26 (checked on each):
 * - `net.client.socket` (20+, synchronously inside `net.connect`): raw sockets, and each
 *   socket an `http.Agent` opens. A socket that goes back to an agent's keep-alive pool
 *   (`'free'`) is untied, so a pooled socket never carries its first thread's deadline into
 *   another thread's request.
 * - `http.client.request.created` (22+, synchronously in `http.request`): the request, also
 *   when it reuses a pooled socket. Node 20 publishes only `http.client.request.start`, on a
 *   later turn where the caller's thread is no longer known, so on Node 20 a request on a
 *   reused keep-alive socket is not covered (a fresh connection is).
 * - `undici:request:create` (undici 5–7, Node's bundled `fetch` too): the request, untied on
 *   `undici:request:trailers` or `undici:request:error`. The sockets undici opens are pooled
 *   and shared between threads, so they are left to the request-level tie.
 *
 * A socket or request created in a `process.nextTick` callback belongs to the thread that
 * queued the tick (ioredis connects that way): on Node 24+ the carrier follows ticks; on Node
 * 20 and 22 `tick-attribution.ts` does, while watching.
 *
 * Sockets and requests green-net makes itself (`connect`, `urlopen`, `patch()`ed fetch) are
 * green already and are skipped. TLS sockets from `tls.connect` are not announced by Node;
 * HTTPS requests are covered through their request.
 *
 * Cost: nothing until `watchIo()` (or `patch()`) runs — no subscription exists. Once on, each
 * socket or request the process creates costs one `getCurrent()` check; one created outside
 * green threads is never touched. On Node 20 and 22 the tick hook also makes Node track every
 * promise while watching (measured in the decision record; `unwatchIo()` removes it).
 *
 * @module
 */

import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import type { Socket } from "node:net";
import { getCurrent } from "@tendril/core";
import { bindToCurrentScope, isMain, type ScopeBinding } from "./scope-binding.js";
import { attributeTicks, deferToTickOwner, stopAttributingTicks } from "./tick-attribution.js";

// Green-net's own sockets and requests are green already: code that makes one runs inside
// `unwatched`, and the handlers skip what is created meanwhile.
let suppressed = 0;
// undici announces a connection attempt and then opens its socket synchronously: that socket
// is pooled across threads, so the next `net.client.socket` after it is not tied.
let undiciConnecting = false;
let watching = false;

/** @internal Runs `fn` so that the sockets and requests it creates are not tied to a scope. */
export function unwatched<T>(fn: () => T): T {
  suppressed++;
  try {
    return fn();
  } finally {
    suppressed--;
  }
}

function asError(reason: unknown): Error {
  return reason as Error;
}

/**
 * Ties a resource created now: at once, or — when this is a `process.nextTick` callback that a
 * green thread queued and the carrier lost the thread on the way (see `tick-attribution.ts`) —
 * in a microtask running in that thread's scope, if the resource is still `open()` by then.
 */
function tieNowOrForTickOwner(tie: () => void, open: () => boolean): void {
  const deferred =
    isMain(getCurrent()) &&
    deferToTickOwner(() => {
      if (open()) tie();
    });
  if (!deferred) tie();
}

function onNetClientSocket(message: unknown): void {
  if (undiciConnecting) {
    undiciConnecting = false;
    return;
  }
  if (suppressed > 0) return;
  const socket = (message as { socket: Socket }).socket;
  tieNowOrForTickOwner(
    () => tieSocket(socket),
    () => !socket.destroyed,
  );
}

function tieSocket(socket: Socket): void {
  const binding = bindToCurrentScope((reason) => socket.destroy(asError(reason)));
  if (binding === null) return;
  const release = (): void => {
    binding.release();
    socket.off("close", release);
    socket.off("free", release);
  };
  socket.once("close", release);
  // An http.Agent emits 'free' on a socket it takes back into its keep-alive pool.
  socket.once("free", release);
}

function onHttpClientRequest(message: unknown): void {
  if (suppressed > 0) return;
  const request = (message as { request: ClientRequest }).request;
  tieNowOrForTickOwner(
    () => tieRequest(request),
    () => !request.destroyed,
  );
}

function tieRequest(request: ClientRequest): void {
  const binding = bindToCurrentScope((reason) => request.destroy(asError(reason)));
  if (binding === null) return;
  request.once("close", () => binding.release());
}

interface UndiciRequest {
  completed?: boolean;
  aborted?: boolean;
  error?: unknown;
  abort?: ((error: unknown) => void) | null;
}

const undiciRequests = new WeakMap<object, ScopeBinding>();

function abortUndici(request: UndiciRequest, reason: unknown): void {
  if (request.completed || request.aborted) return;
  // Connected: undici handed the request its abort function. Not yet: undici aborts with
  // `error` the moment it connects (the same path a failing request body takes).
  if (typeof request.abort === "function") request.abort(reason);
  else request.error = reason;
}

function onUndiciRequestCreate(message: unknown): void {
  if (suppressed > 0) return;
  const request = (message as { request: UndiciRequest }).request;
  tieNowOrForTickOwner(
    () => tieUndiciRequest(request),
    () => !(request.completed || request.aborted),
  );
}

function tieUndiciRequest(request: UndiciRequest): void {
  const binding = bindToCurrentScope((reason) => abortUndici(request, reason));
  if (binding !== null) undiciRequests.set(request, binding);
}

function onUndiciRequestEnd(message: unknown): void {
  const request = (message as { request: object }).request;
  const binding = undiciRequests.get(request);
  if (binding === undefined) return;
  undiciRequests.delete(request);
  binding.release();
}

function onUndiciBeforeConnect(): void {
  undiciConnecting = true;
  // Invariant: undici opens its socket synchronously after announcing it; should a custom
  // connector defer, the flag must not linger onto an unrelated socket.
  queueMicrotask(clearUndiciConnecting);
}

function clearUndiciConnecting(): void {
  undiciConnecting = false;
}

const SUBSCRIPTIONS: ReadonlyArray<readonly [string, (message: unknown) => void]> = [
  ["undici:client:beforeConnect", onUndiciBeforeConnect],
  ["net.client.socket", onNetClientSocket],
  ["http.client.request.created", onHttpClientRequest],
  ["undici:request:create", onUndiciRequestCreate],
  ["undici:request:trailers", onUndiciRequestEnd],
  ["undici:request:error", onUndiciRequestEnd],
];

/**
 * Makes third-party I/O interruptible: from now on, a socket or HTTP request that any code —
 * a library from npm included — creates inside a green thread belongs to the thread and the
 * `withTimeout` scope current at its creation. When the thread is killed, or that scope's
 * deadline fires while the socket or request is in use, it is destroyed with the
 * `GreenThreadExit` or the `Timeout` as its error, so the library's promise rejects at once.
 * Sockets and requests created outside green threads (in the main thread, outside every
 * `withTimeout`) are never touched. `patch()` turns it on as well. Calling it again does
 * nothing; returns a disposable that turns it off (`unwatchIo()`).
 *
 * @example
 * ```ts
 * import got from "got";
 * watchIo();
 * const t = spawn(() => got("http://127.0.0.1:8080/slow").text());
 * await t.kill(); // got's request is destroyed; the thread ends at once
 * ```
 */
export function watchIo(): Disposable {
  if (!watching) {
    watching = true;
    for (const [name, handler] of SUBSCRIPTIONS) subscribe(name, handler);
    attributeTicks();
  }
  return { [Symbol.dispose]: unwatchIo };
}

/**
 * Stops what `watchIo()` started: sockets and requests created from now on are left alone
 * (those already tied stay tied until they close). Returns whether it was on.
 *
 * @example
 * ```ts
 * watchIo();
 * try { await runLegacyCode(); } finally { unwatchIo(); }
 * ```
 */
export function unwatchIo(): boolean {
  if (!watching) return false;
  watching = false;
  undiciConnecting = false;
  for (const [name, handler] of SUBSCRIPTIONS) unsubscribe(name, handler);
  stopAttributingTicks();
  return true;
}

/**
 * Whether `watchIo()` (or `patch()`) is on.
 *
 * @example
 * ```ts
 * if (!watchingIo()) watchIo();
 * ```
 */
export function watchingIo(): boolean {
  return watching;
}
