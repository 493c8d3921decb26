/**
 * Green operations: the points where a thread waits, and so where it can be interrupted.
 * `suspend` registers a `Waiter` on the current thread, in the current cancel scope; `kill()`
 * rejects every pending waiter of the thread, a deadline those of its scope and the scopes
 * nested in it, and their cancelers release what each held (a timer, a queue position, a
 * permit). A thread that is not inside a green operation when it is interrupted receives the
 * error at its next one — the JavaScript reading of Eventlet's "a green thread can only be
 * interrupted where it could switch". A hand-over in flight is never torn down (see
 * `stampDelivery`).
 *
 * @module
 */

import { checkMs, describeValue } from "../errors.js";
import { getHub, type Hub } from "../hub/hub.js";
import { report } from "../hub/report.js";
import {
  DONE,
  type GreenThread,
  HAS_PENDING,
  mainThread,
  STATE,
  type ThreadExtras,
} from "./green-thread.js";
import { endSegment, probe, startSegment } from "./probe.js";
import { context, Scope } from "./scope.js";

/**
 * Called with the interruption's reason when a pending green operation is interrupted.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const cancel: Canceler = (reason) => controller.abort(reason);
 * const response = await green(fetch(url, { signal: controller.signal }), cancel);
 * ```
 */
export type Canceler = (reason: unknown) => void;

/**
 * @internal A core operation that parks itself without a closure (`suspendOp`): `_park` runs
 * where an executor would, and `_unpark` is its canceler, called on interruption.
 */
export interface ParkedOp {
  _park(waiter: Waiter<unknown>): void;
  _unpark(reason: unknown): void;
}

// A hand-over in flight: a waiter resolved with a value whose continuation may not have run
// yet. An interruption that lands meanwhile must not tear down an operation wrapping it (a
// `withTimeout`, a `green()`), or the value would be lost. So each resolve stamps its thread
// with the current *epoch*, which moves on once per hub pass (by then every continuation of
// the hand-over has run), and an interruption of a thread stamped in the current epoch is
// deferred to the next pass — kept pending, where the thread's next green operation takes it.
const EPOCH_SHIFT = 10;
const EPOCH_LIMIT = 1 << 20;
let epoch = 1;
let epochMoveQueued = false;
function moveEpoch(): void {
  epochMoveQueued = false;
  epoch = epoch + 1 === EPOCH_LIMIT ? 1 : epoch + 1;
}
/** @internal Marks a hand-over to `thread` in this hub pass. */
export function stampDelivery(thread: GreenThread<unknown>): void {
  thread._flags = (thread._flags & ((1 << EPOCH_SHIFT) - 1)) | (epoch << EPOCH_SHIFT);
  if (!epochMoveQueued) {
    epochMoveQueued = true;
    getHub().callSoon(moveEpoch);
  }
}
/** @internal True when a hand-over to `thread` happened in this hub pass. */
export function deliveredThisPass(thread: GreenThread<unknown>): boolean {
  return thread._flags >>> EPOCH_SHIFT === epoch;
}

/**
 * @internal Interrupts, on a later hub pass, what a deferred interruption was meant for —
 * unless it was taken meanwhile. Deferred again while hand-overs to the thread keep landing in the pass it
 * runs in, a bounded number of times, so that a thread fed every pass is still interrupted.
 */
export class Redelivery {
  readonly thread: GreenThread<unknown>;
  readonly scope: Scope | null;
  readonly reason: unknown;
  tries = 0;
  constructor(thread: GreenThread<unknown>, scope: Scope | null, reason: unknown) {
    this.thread = thread;
    this.scope = scope;
    this.reason = reason;
  }
  run(): void {
    const { thread, scope, reason } = this;
    const kept =
      scope === null
        ? (thread._flags & HAS_PENDING) !== 0 && (thread._x as ThreadExtras).pending === reason
        : scope.hasPending && scope.pending === reason && !scope.closed;
    if (!kept || (thread._flags & STATE) === DONE) return;
    if (deliveredThisPass(thread) && this.tries < MAX_DEFERRALS) {
      this.tries++;
      getHub().callSoon(this);
      return;
    }
    if (scope === null) {
      thread._takePending();
      if (!thread._interruptOps(null, reason)) thread._keep(reason, true);
    } else if (thread._interruptOps(scope, reason)) {
      scope.hasPending = false;
      scope.pending = undefined;
    }
  }
}
const MAX_DEFERRALS = 16;

/**
 * The handle a green operation's executor receives: settle it once with `resolve` or
 * `reject`. Once the operation was interrupted, both are no-ops that return `false`, so a
 * producer that hands an item to a dead waiter learns it must keep the item.
 *
 * @example
 * ```ts
 * // A green wait for one event of a Node emitter: settle the waiter once, clean up on interrupt.
 * const value = await suspend<unknown>((waiter: Waiter<unknown>) => {
 *   const onData = (data: unknown) => waiter.resolve(data);
 *   emitter.once("data", onData);
 *   return () => emitter.off("data", onData); // the canceler: kill or a Timeout got here first
 * });
 * ```
 */
export class Waiter<T> {
  /** @internal */ _thread: GreenThread<unknown>;
  /** @internal */ _resolve: (value: T) => void;
  /** @internal */ _reject: (error: unknown) => void;
  /** @internal */ _cancel: Canceler | ParkedOp | undefined = undefined;
  /** @internal The cancel scope the operation started in; `null` for the thread's root. */
  _scope: Scope | null = null;
  /** True once resolved, rejected or interrupted. */
  settled = false;

  /** @internal */
  constructor(
    thread: GreenThread<unknown>,
    resolve: (value: T) => void,
    reject: (error: unknown) => void,
  ) {
    this._thread = thread;
    this._resolve = resolve;
    this._reject = reject;
  }

  /** Completes the operation with `value`. Returns `false` (and does nothing) if it had ended. */
  resolve(value: T): boolean {
    if (this.settled) return false;
    this.settled = true;
    const thread = this._thread;
    thread._removeOp(this as Waiter<unknown>);
    stampDelivery(thread);
    if (probe !== null) startSegment();
    this._resolve(value);
    return true;
  }

  /** Fails the operation with `error`. Returns `false` (and does nothing) if it had ended. */
  reject(error: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this._thread._removeOp(this as Waiter<unknown>);
    if (probe !== null) startSegment();
    this._reject(error);
    return true;
  }

  /** Lets the hub run a waiter directly: resolves it with `undefined`. @internal */
  run(): void {
    this.resolve(undefined as T);
  }

  /** @internal */
  _interrupt(reason: unknown): void {
    if (this.settled) return;
    this.settled = true;
    const cancel = this._cancel;
    if (cancel !== undefined) {
      try {
        if (typeof cancel === "function") cancel(reason);
        else cancel._unpark(reason);
      } catch (error) {
        report(error, "a green operation's canceler");
      }
    }
    this._reject(reason);
  }
}

/**
 * The green thread the caller runs in; the *main* thread outside any spawned one.
 *
 * @example
 * ```ts
 * spawn(() => console.log(getCurrent().name)); // "anonymous#2" or the function's name
 * ```
 */
export function getCurrent(): GreenThread<unknown> {
  const here = context.get();
  return here === undefined ? mainThread : here instanceof Scope ? here.thread : here;
}

/** @internal A new cancel scope nested in the current one (of the current thread). */
export function openScope(): Scope {
  const here = context.get();
  if (here === undefined) return new Scope(mainThread, null);
  if (here instanceof Scope) return new Scope(here.thread, openAncestor(here));
  return new Scope(here, null);
}

/**
 * The nearest scope from `scope` up that is still open. A closed scope can still be current:
 * a `new Timeout` armed in a callee before its first `await` was entered in the caller's
 * synchronous job too, so the caller's later `await`s carry it on after the callee cancelled
 * it. Its code is over, so a new scope nests in what encloses it; else a loop calling such a
 * function would nest one scope deeper per call, and every operation would walk the chain.
 */
function openAncestor(scope: Scope): Scope | null {
  let open: Scope | null = scope;
  while (open?.closed) open = open.parent;
  return open;
}

/**
 * @internal How many times `enterScope`/`leaveScope` changed the context: a thread's start
 * compares it before and after its function's synchronous part, and only reads the context
 * back when it moved.
 */
export let scopeMoves = 0;

/** @internal Makes `scope` current for the rest of the running async function (a Timeout). */
export function enterScope(scope: Scope): void {
  if (context.get() !== scope) {
    scopeMoves++;
    context.enter(scope);
  }
}

/** @internal Leaves `scope` for its parent, if it is the current one. */
export function leaveScope(scope: Scope): void {
  if (context.get() !== scope) return;
  scopeMoves++;
  const parent = scope.parent;
  context.enter(parent !== null ? parent : scope.thread === mainThread ? undefined : scope.thread);
}

/** @internal Runs `fn(arg)` synchronously with `scope` current (a `withTimeout`). */
export function runInScope<A, R>(scope: Scope, fn: (arg: A) => R, arg: A): R {
  return context.run(scope, fn, arg);
}

/** @internal The name core's own modules use for `getCurrent`. */
export { getCurrent as currentThread };

/**
 * The building block of every green operation. Calls `executor(waiter)` synchronously and
 * returns a promise settled by `waiter.resolve`/`waiter.reject`. If the current thread is
 * killed or one of its Timeouts fires first, the promise rejects with that error and the
 * canceler the executor returned runs, to release what the operation held. If the thread
 * already has an undelivered interruption, the executor is not called at all.
 *
 * @example
 * ```ts
 * // A green wait for a Node event emitter's event:
 * function once(emitter: EventEmitter, name: string) {
 *   return suspend<unknown>((waiter) => {
 *     const listener = (value: unknown) => waiter.resolve(value);
 *     emitter.once(name, listener);
 *     return () => emitter.off(name, listener);
 *   });
 * }
 * ```
 */
export function suspend<T>(
  executor: (waiter: Waiter<T>) => Canceler | undefined | void,
): Promise<T> {
  return suspendHere(executor);
}

/**
 * @internal `suspend` as core's modules have called it. The scope an operation belongs to now
 * comes from the async context, so `depth` is ignored (kept so that callers still compile).
 */
export function suspendAt<T>(
  _depth: number,
  executor: (waiter: Waiter<T>) => Canceler | undefined | void,
): Promise<T> {
  return suspendHere(executor);
}

// `wraps`: the operation waits on work that is already under way (`green(promise)`, a
// `withTimeout` waiting for its function). Such a wait does not take a kept interruption when
// it starts — the work may already hold its value (a queue item taken without waiting), and
// rejecting at once would drop it — but gets it on the next hub pass if it is still waiting;
// and an interruption arriving in the pass it started in is deferred the same way.
function suspendHere<T>(
  executor: (waiter: Waiter<T>) => Canceler | undefined | void,
  wraps = false,
): Promise<T> {
  const here = context.get();
  let thread: GreenThread<unknown>;
  let scope: Scope | null = null;
  if (here === undefined) thread = mainThread;
  else if (here instanceof Scope) {
    scope = here;
    thread = here.thread;
  } else thread = here;
  if (probe !== null) endSegment(thread);
  // The work a wrap waits on may already hold its value (taken without waiting) whose
  // reaction has not run yet: an interruption in this pass must wait for it too.
  if (wraps) stampDelivery(thread);
  let deferred: Redelivery | null = null;
  if (thread._flags & HAS_PENDING) {
    if (!wraps) return Promise.reject((thread._takePending() as { reason: unknown }).reason);
    deferred = new Redelivery(thread, null, (thread._x as ThreadExtras).pending);
  } else if (scope !== null) {
    // The outermost kept deadline wins: it passes through the inner scopes anyway.
    let kept: Scope | null = null;
    for (let s: Scope | null = scope; s !== null; s = s.parent) if (s.hasPending) kept = s;
    if (kept !== null) {
      const reason = kept.pending;
      if (wraps) deferred = new Redelivery(thread, kept, reason);
      else {
        kept.pending = undefined;
        kept.hasPending = false;
        return Promise.reject(reason);
      }
    }
  }
  opThread = thread;
  opScope = scope;
  opExecutor = executor as OpExecutor;
  const promise = new Promise<T>(
    startOp as (resolve: (value: T) => void, reject: (error: unknown) => void) => void,
  );
  if (deferred !== null) getHub().callSoon(deferred);
  return promise;
}

/**
 * @internal `suspend` for a core operation that is an object: `op._park(waiter)` runs as the
 * executor, and `op._unpark` is the canceler. No closure per operation.
 */
export function suspendOp<T>(op: ParkedOp): Promise<T> {
  return suspendHere<T>(op as never);
}

type OpExecutor = ((waiter: Waiter<unknown>) => Canceler | undefined | void) | ParkedOp;

// The operation `suspendHere` is starting, handed to `startOp` through these rather than a new
// closure per operation. Invariant: the Promise constructor calls `startOp` synchronously, and
// `startOp` reads them before it runs the executor, so a nested `suspend` cannot disturb them.
let opThread: GreenThread<unknown> | null = null;
let opScope: Scope | null = null;
let opExecutor: OpExecutor | null = null;

function startOp(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  const thread = opThread as GreenThread<unknown>;
  const executor = opExecutor as OpExecutor;
  const scope = opScope;
  // Hold no thread, scope or executor past its operation's start (a dead thread stays collectable).
  opThread = null;
  opScope = null;
  opExecutor = null;
  const waiter = new Waiter<unknown>(thread, resolve, reject);
  if (scope !== null) waiter._scope = scope;
  thread._addOp(waiter);
  let cancel: Canceler | ParkedOp | undefined | void;
  try {
    if (typeof executor === "function") cancel = executor(waiter);
    else {
      executor._park(waiter);
      cancel = executor;
    }
  } catch (error) {
    waiter.reject(error);
    return;
  }
  if (!waiter.settled && (typeof cancel === "function" || cancel === executor)) {
    waiter._cancel = cancel as Canceler | ParkedOp;
  }
}

// `sleep(0)` resumes two hub passes later, not one: a thread started (or woken) in the next pass
// runs its synchronous part there and its promise continuations right after it, so by the
// pass after that it has gone as far as it can — to a green operation that waits. That is
// Eventlet's "sleep(0) lets every ready thread run until it blocks". The sleepers of one pass
// share one task per pass, so this costs no allocation per call.
let yielders: Waiter<void>[] = [];
let yieldHub: Hub | null = null;

function queueWaiter(waiter: Waiter<void>): undefined {
  yielders.push(waiter);
  const hub = getHub();
  if (yieldHub !== hub) {
    yieldHub = hub;
    hub.callSoon(passYielders);
  }
  return undefined;
}

function passYielders(): void {
  const batch = yielders;
  yielders = [];
  yieldHub = null;
  getHub().callSoon(() => {
    for (let i = 0; i < batch.length; i++) (batch[i] as Waiter<void>).resolve(undefined);
  });
}

/**
 * Suspends the current thread for `ms` milliseconds; `sleep(0)` (the default) lets every
 * other ready thread run until it waits on something pending (it resumes two hub passes
 * later). A green operation: kill and Timeout interrupt it.
 *
 * @throws {TypeError|RangeError} when `ms` is not a number >= 0.
 * @example
 * ```ts
 * spawn(async () => { for (;;) { console.log("tick"); await sleep(1000); } });
 * ```
 */
export function sleep(ms = 0): Promise<void> {
  if (ms === 0) return suspend<void>(queueWaiter);
  checkMs("sleep: ms", ms);
  return suspend<void>((waiter) => {
    const timer = getHub().schedule(ms, () => waiter.resolve());
    return () => timer.cancel();
  });
}

/**
 * Makes any promise a green operation: kill and Timeout interrupt the wait (the promise
 * itself runs on; pass `onInterrupt` to stop it, e.g. by aborting a request). Its eventual
 * rejection is handled, so an interrupted promise never becomes an unhandled rejection.
 * A kill or deadline already kept for the thread does not reject it at once — the promise
 * may already hold a value handed over to it — but a hub pass later if it is still pending.
 *
 * @throws {TypeError} when `promise` is not a promise or thenable.
 * @example
 * ```ts
 * const controller = new AbortController();
 * const res = await green(fetch(url, { signal: controller.signal }), (r) => controller.abort(r));
 * ```
 */
export function green<T>(promise: PromiseLike<T>, onInterrupt?: Canceler): Promise<T> {
  if (promise === null || typeof (promise as PromiseLike<T>)?.then !== "function") {
    throw new TypeError(`green: expected a promise, received ${describeValue(promise)}`);
  }
  return greenAt(0, promise, onInterrupt);
}

/** @internal `green` as core's modules have called it; `_depth` is ignored (see `suspendAt`). */
export function greenAt<T>(
  _depth: number,
  promise: PromiseLike<T>,
  onInterrupt?: Canceler,
): Promise<T> {
  return suspendHere<T>((waiter) => {
    promise.then(
      (value) => waiter.resolve(value),
      (error: unknown) => waiter.reject(error),
    );
    return onInterrupt;
  }, true);
}
