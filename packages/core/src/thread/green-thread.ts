/**
 * Green threads: an async function run under a thread context. The context travels with the
 * function's continuations (see `thread-context.ts`: V8 promise hooks, or AsyncLocalStorage
 * on request), so `getCurrent()` works anywhere in the thread and every green
 * operation knows whom to interrupt.
 *
 * Interruption is the heart of the model. A green operation (`suspend`) registers a `Waiter`
 * on the current thread; `kill()` or a `Timeout` rejects the thread's pending waiters at once
 * and runs their cancelers, which release what the operation held (a timer, a queue position,
 * a permit). A thread that is not inside a green operation when it is interrupted receives the
 * error at its next one — the JavaScript reading of Eventlet's "a green thread can only be
 * interrupted where it could switch".
 *
 * Trade-off: carrying a context across `await` costs something on every promise in the
 * process, so the rest of the thread is kept lean: ten fields, flags in one integer, one hub
 * queue entry per spawn, and a lazily created signal, name, links and waiters.
 *
 * @module
 */

import { checkFunction, checkMs, describeValue, GreenThreadExit, TendrilError } from "../errors.js";
import { getHub, type Hub, type TimerHandle } from "../hub/hub.js";
import { report } from "../hub/report.js";
import { createThreadContext } from "./thread-context.js";

/**
 * @internal A cancel scope nested in a green thread: one per `withTimeout` call and per armed
 * `Timeout`. The thread itself is its root scope, so a thread that never nests one carries
 * nothing more. The async context carries the innermost scope; a green operation belongs to
 * the scope current when it started, and a deadline interrupts only the operations of its
 * scope and of the scopes nested in it (trio's model).
 */
export class Scope {
  readonly thread: GreenThread<unknown>;
  /** The enclosing scope, or `null` when it is the thread's root. */
  readonly parent: Scope | null;
  /** An interruption kept for the next operation started in this scope (or nested in it). */
  pending: unknown = undefined;
  hasPending = false;
  /** Set when the scope's code is done: nothing is delivered to it any more. */
  closed = false;

  constructor(thread: GreenThread<unknown>, parent: Scope | null) {
    this.thread = thread;
    this.parent = parent;
  }

  /** True when `scope` is this one or nested in it. */
  encloses(scope: Scope | null): boolean {
    for (let s = scope; s !== null; s = s.parent) if (s === this) return true;
    return false;
  }
}

type Context = GreenThread<unknown> | Scope;

const context = createThreadContext<Context>();

/** @internal How thread identity travels in this process: "als" or "hooks". */
export const contextKind = context.kind;

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
function stampDelivery(thread: GreenThread<unknown>): void {
  thread._flags = (thread._flags & ((1 << EPOCH_SHIFT) - 1)) | (epoch << EPOCH_SHIFT);
  if (!epochMoveQueued) {
    epochMoveQueued = true;
    getHub().callSoon(moveEpoch);
  }
}
function deliveredThisPass(thread: GreenThread<unknown>): boolean {
  return thread._flags >>> EPOCH_SHIFT === epoch;
}

/**
 * Interrupts, on a later hub pass, what a deferred interruption was meant for — unless it was
 * taken meanwhile. Deferred again while hand-overs to the thread keep landing in the pass it
 * runs in, a bounded number of times, so that a thread fed every pass is still interrupted.
 */
class Redelivery {
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

const READY = 0;
const RUNNING = 1;
const DONE = 2;

let nextId = 1;

// The blocking probe (see debug/detect-blocking.ts): when set, every boundary of a thread's
// run segment (start, resume, suspend, end) is timed, and a segment longer than the threshold
// is reported with the thread that ran it. `null` costs one comparison per boundary.
type BlockingProbe = {
  thresholdMs: number;
  onBlocked: (thread: GreenThread<unknown>, ms: number) => void;
};
let probe: BlockingProbe | null = null;
let segmentStart = 0;

function endSegment(thread: GreenThread<unknown>): void {
  const p = probe as BlockingProbe;
  const now = getHub().now();
  const ms = now - segmentStart;
  segmentStart = now;
  if (ms > p.thresholdMs) p.onBlocked(thread, ms);
}

/** @internal Installs (or with `null` removes) the blocking probe. Returns the previous one. */
export function setBlockingProbe(next: BlockingProbe | null): BlockingProbe | null {
  const previous = probe;
  probe = next;
  segmentStart = getHub().now();
  return previous;
}
let traceSpawns = process.env.TENDRIL_TRACE_SPAWN === "1";

/** Called with the interruption's reason when a pending green operation is interrupted. */
export type Canceler = (reason: unknown) => void;

/** A function run by a link when its thread ends. */
export type LinkFunction<R, A extends unknown[]> = (thread: GreenThread<R>, ...args: A) => unknown;

type Settle = (thread: GreenThread<unknown>) => void;

/**
 * @internal What a pool hangs on the threads it spawns (`_owner`): told when each one ends,
 * before its waiters and links — one field instead of a link per thread.
 */
export interface ThreadOwner {
  _threadEnded(thread: GreenThread<unknown>, ok: boolean, value: unknown): void;
}

/**
 * The handle a green operation's executor receives: settle it once with `resolve` or
 * `reject`. Once the operation was interrupted, both are no-ops that return `false`, so a
 * producer that hands an item to a dead waiter learns it must keep the item.
 */
export class Waiter<T> {
  /** @internal */ _thread: GreenThread<unknown>;
  /** @internal */ _resolve: (value: T) => void;
  /** @internal */ _reject: (error: unknown) => void;
  /** @internal */ _cancel: Canceler | undefined = undefined;
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
    if (probe !== null) segmentStart = getHub().now();
    this._resolve(value);
    return true;
  }

  /** Fails the operation with `error`. Returns `false` (and does nothing) if it had ended. */
  reject(error: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this._thread._removeOp(this as Waiter<unknown>);
    if (probe !== null) segmentStart = getHub().now();
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
        cancel(reason);
      } catch (error) {
        report(error, "a green operation's canceler");
      }
    }
    this._reject(reason);
  }
}

/** What `listThreads()` says of one live thread. */
export interface ThreadInfo {
  readonly id: number;
  readonly name: string;
  /** `scheduled`: a `spawnAfter` waiting for its time; `ready`: queued to start;
   * `running`: started and not inside a green operation; `waiting`: inside one. */
  readonly state: "scheduled" | "ready" | "running" | "waiting";
  /** Where it was spawned, when spawn tracing is on (`setSpawnTracing(true)` or
   * `TENDRIL_TRACE_SPAWN=1`). */
  readonly spawnedAt: string | undefined;
}

// Thread state lives in one integer: the low two bits are the life-cycle state, the rest flags.
const STATE = 3;
const OK = 4; // the outcome in _value is a result, not an error
const OBSERVED = 8; // someone waited for or linked to the thread
const DETACHED = 16; // spawnN: nobody can wait, errors go straight to the reporter
const HAS_PENDING = 32; // an interruption is kept for the next green operation
const PENDING_IS_KILL = 64;
const KILL_REQUESTED = 128;
const STARTED = 256;
const ONE_ARG = 512; // _args holds the only argument itself, not an array

/** Everything a thread rarely needs, allocated on first use so that a plain thread stays small. */
interface ThreadExtras {
  pending: unknown;
  settles: Settle[] | null;
  links: Array<{ fn: LinkFunction<unknown, unknown[]>; args: unknown[] }> | null;
  controller: AbortController | null;
  timeouts: Set<{ cancel(): void }> | null;
  timer: TimerHandle | null;
  name: string | null;
  spawnedAt: string | undefined;
}

/**
 * A green thread: a function running concurrently with others, cheaply, on the hub. Create
 * one with `spawn`. Deliberately **not** thenable: `await pool.spawn(fn)` resolves to the
 * thread itself; call `wait()` for its result.
 *
 * @example
 * ```ts
 * const t = spawn(async (n: number) => { await sleep(10); return n * 2; }, 21);
 * console.log(await t.wait()); // 42
 * ```
 */
export class GreenThread<R = unknown> {
  /** A process-unique number, for debugging. */
  readonly id: number;
  // Invariant: a plain thread carries exactly these ten fields; everything else is in _x.
  /** @internal */ _flags = 0;
  /** @internal */ _fn: ((...args: never[]) => R | PromiseLike<R>) | null;
  /** @internal */ _args: unknown;
  /** @internal */ _value: unknown = undefined;
  /** @internal */ _ops: Waiter<unknown> | Waiter<unknown>[] | null = null;
  /** @internal */ _x: ThreadExtras | null = null;
  /** @internal */ _prev: GreenThread<unknown> | null = null;
  /** @internal */ _next: GreenThread<unknown> | null = null;
  /** @internal The pool (or pool operation) that spawned the thread: told when it ends. */
  _owner: ThreadOwner | null = null;

  /** @internal Use `spawn`, `spawnN` or `spawnAfter`. */
  constructor(fn: ((...args: never[]) => R | PromiseLike<R>) | null, args: unknown[] | null) {
    this.id = nextId++;
    this._fn = fn;
    if (args !== null && args.length === 1) {
      this._args = args[0];
      this._flags = ONE_ARG;
    } else {
      this._args = args;
    }
  }

  /** @internal */
  get _state(): number {
    return this._flags & STATE;
  }

  /** @internal */
  _extras(): ThreadExtras {
    let x = this._x;
    if (x === null) {
      x = this._x = {
        pending: undefined,
        settles: null,
        links: null,
        controller: null,
        timeouts: null,
        timer: null,
        name: null,
        spawnedAt: undefined,
      };
    }
    return x;
  }

  /** A name for debugging: the function's name and the thread's id, unless set. */
  get name(): string {
    const x = this._extras();
    if (x.name === null) x.name = `${this._fn?.name || "thread"}#${this.id}`;
    return x.name;
  }
  set name(value: string) {
    this._extras().name = String(value);
  }

  /** @internal True when the thread ended with a result (read `_value`), not an error. */
  get _ok(): boolean {
    return (this._flags & OK) !== 0;
  }

  /** True once the thread has finished, failed, or was killed before it started. */
  get dead(): boolean {
    return (this._flags & STATE) === DONE;
  }

  /** True once the thread's function has begun to run. */
  get started(): boolean {
    return (this._flags & STARTED) !== 0;
  }

  /**
   * An `AbortSignal` aborted when the thread is killed, for APIs that take one (`fetch`,
   * `events.once`, …). Its reason is the kill's error.
   */
  get signal(): AbortSignal {
    const x = this._extras();
    if (x.controller === null) {
      x.controller = new AbortController();
      if (this._flags & KILL_REQUESTED) x.controller.abort(x.pending ?? new GreenThreadExit());
    }
    return x.controller.signal;
  }

  /**
   * Waits for the thread to end and returns its result, or rejects with its error (with
   * `GreenThreadExit` if it was killed). A green operation: kill or a Timeout of the
   * *waiting* thread interrupts the wait, not the thread waited for.
   *
   * @throws {TendrilError} `ERR_TENDRIL_WAIT_SELF` when a thread waits for itself.
   */
  wait(): Promise<R> {
    this._flags |= OBSERVED;
    if ((this._flags & STATE) === DONE) {
      return this._flags & OK ? Promise.resolve(this._value as R) : Promise.reject(this._value);
    }
    if (this === getCurrent()) {
      return Promise.reject(
        new TendrilError(
          "ERR_TENDRIL_WAIT_SELF",
          `green thread ${this.name} cannot wait for itself`,
        ),
      );
    }
    return suspend<R>((waiter) => {
      const settle: Settle = (t) => {
        if (t._flags & OK) waiter.resolve(t._value as R);
        else waiter.reject(t._value);
      };
      this._addSettle(settle);
      return () => this._removeSettle(settle);
    });
  }

  /**
   * Kills the thread: its pending green operation rejects with `GreenThreadExit` (or
   * `error`), its `signal` aborts, and the returned promise resolves once the thread has
   * finished unwinding (its `finally` blocks ran). A thread that has not started never runs.
   * Kill is one-shot: a thread that catches the error may carry on. Killing the current
   * thread throws the error at once, so the thread unwinds from where it stands.
   *
   * @throws {TendrilError} `ERR_TENDRIL_KILL_MAIN` when asked to kill the main thread.
   */
  kill(error?: unknown): Promise<void> {
    const state = this._flags & STATE;
    if (state === DONE) return Promise.resolve();
    if (this === mainThread) {
      throw new TendrilError("ERR_TENDRIL_KILL_MAIN", "the main thread cannot be killed");
    }
    const reason = error === undefined ? new GreenThreadExit() : error;
    if (state === READY) {
      const x = this._x;
      if (x !== null && x.timer !== null) {
        x.timer.cancel();
        x.timer = null;
      }
      this._flags |= KILL_REQUESTED;
      this._finish(false, reason);
      return Promise.resolve();
    }
    if (this === getCurrent()) throw reason;
    this._flags |= KILL_REQUESTED;
    this._x?.controller?.abort(reason);
    this._interrupt(reason, true);
    return new Promise<void>((resolve) => this._addSettle(() => resolve()));
  }

  /**
   * Kills the thread only if it has not started yet (a `spawnAfter` whose time has not come,
   * or a `spawn` that has not had its turn). Returns whether it did.
   */
  cancel(error?: unknown): boolean {
    if ((this._flags & STATE) !== READY) return false;
    void this.kill(error);
    return true;
  }

  /**
   * Calls `fn(thread, ...args)` when the thread ends, in link order; at once if it already
   * has. An error thrown by a link goes to the error reporter.
   */
  link<A extends unknown[]>(fn: LinkFunction<R, A>, ...args: A): void {
    checkFunction("link function", fn);
    this._flags |= OBSERVED;
    if ((this._flags & STATE) === DONE) {
      callLink(this, fn as LinkFunction<R, unknown[]>, args);
      return;
    }
    const x = this._extras();
    if (x.links === null) x.links = [];
    x.links.push({ fn: fn as LinkFunction<unknown, unknown[]>, args });
  }

  /** Removes the first link to `fn`. Returns whether one was removed. */
  unlink(fn: LinkFunction<R, never[]>): boolean {
    const links = this._x?.links;
    if (!links) return false;
    const index = links.findIndex((l) => l.fn === (fn as unknown));
    if (index < 0) return false;
    links.splice(index, 1);
    return true;
  }

  /** @internal Starts the thread; the hub calls it on the thread's turn. */
  run(): void {
    if ((this._flags & STATE) !== READY) return;
    this._flags = (this._flags & ~STATE) | RUNNING | STARTED;
    if (this._x !== null) this._x.timer = null;
    if (probe !== null) segmentStart = getHub().now();
    context.run(this as GreenThread<unknown>, startBody, this as GreenThread<unknown>);
  }

  /** @internal */
  _finish(ok: boolean, value: unknown): void {
    let flags = this._flags;
    if ((flags & STATE) === DONE) return;
    if (probe !== null && flags & STARTED) endSegment(this as GreenThread<unknown>);
    const x = this._x;
    if (flags & HAS_PENDING && flags & PENDING_IS_KILL) {
      // The kill never met a green operation: the thread still ended by it — also when it
      // failed meanwhile, typically because the kill aborted `signal` under a plain promise
      // (a `fetch` rejecting with "fetch failed"), which is the kill seen from below.
      ok = false;
      value = (x as ThreadExtras).pending;
    }
    flags = (flags & ~(STATE | HAS_PENDING | PENDING_IS_KILL)) | DONE;
    if (ok) flags |= OK;
    this._flags = flags;
    this._value = value;
    this._ops = null;
    this._args = null;
    unregister(this as GreenThread<unknown>);
    const owner = this._owner;
    if (owner !== null) {
      try {
        owner._threadEnded(this as GreenThread<unknown>, ok, value);
      } catch (error) {
        report(error, `the owner of green thread ${this.name}`);
      }
    }
    if (x !== null) {
      x.pending = undefined;
      const timeouts = x.timeouts;
      if (timeouts !== null) {
        x.timeouts = null;
        for (const t of timeouts) t.cancel();
      }
      const settles = x.settles;
      if (settles !== null) {
        x.settles = null;
        for (let i = 0; i < settles.length; i++)
          (settles[i] as Settle)(this as GreenThread<unknown>);
      }
      const links = x.links;
      if (links !== null) {
        x.links = null;
        for (const l of links) callLink(this as GreenThread<unknown>, l.fn, l.args);
      }
    }
    if (!ok && !(value instanceof GreenThreadExit)) {
      if (flags & DETACHED) report(value, `green thread ${this.name}`);
      else if (!(this._flags & OBSERVED))
        getHub().callSoon(new UnobservedCheck(this as GreenThread<unknown>));
    }
  }

  /** @internal */
  _addSettle(fn: Settle): void {
    const x = this._extras();
    if (x.settles === null) x.settles = [];
    x.settles.push(fn);
  }

  /** @internal */
  _removeSettle(fn: Settle): void {
    const settles = this._x?.settles;
    if (!settles) return;
    const index = settles.indexOf(fn);
    if (index >= 0) settles.splice(index, 1);
  }

  /** @internal */
  _addTimeout(t: { cancel(): void }): void {
    const x = this._extras();
    if (x.timeouts === null) x.timeouts = new Set();
    x.timeouts.add(t);
  }

  /** @internal */
  _removeTimeout(t: { cancel(): void }): void {
    this._x?.timeouts?.delete(t);
  }

  /** @internal */
  _addOp(op: Waiter<unknown>): void {
    const ops = this._ops;
    if (ops === null) this._ops = op;
    else if (Array.isArray(ops)) ops.push(op);
    else this._ops = [ops, op];
  }

  /** @internal */
  _removeOp(op: Waiter<unknown>): void {
    const ops = this._ops;
    if (ops === op) this._ops = null;
    else if (Array.isArray(ops)) {
      const index = ops.indexOf(op);
      if (index >= 0) ops.splice(index, 1);
      if (ops.length === 0) this._ops = null;
    }
  }

  /** @internal Takes the kept interruption, if any, for a green operation to throw. */
  _takePending(): { reason: unknown } | null {
    if (!(this._flags & HAS_PENDING)) return null;
    const x = this._x as ThreadExtras;
    const reason = x.pending;
    x.pending = undefined;
    this._flags &= ~(HAS_PENDING | PENDING_IS_KILL);
    return { reason };
  }

  /**
   * @internal Interrupts the pending operations started in `scope` or nested in it (every
   * one of the thread's for `null`) with `reason`. Returns whether there was any.
   */
  _interruptOps(scope: Scope | null, reason: unknown): boolean {
    const ops = this._ops;
    if (ops === null) return false;
    if (!Array.isArray(ops)) {
      if (scope !== null && !scope.encloses(ops._scope)) return false;
      this._ops = null;
      ops._interrupt(reason);
      return true;
    }
    if (scope === null) {
      this._ops = null;
      for (const op of ops) op._interrupt(reason);
      return true;
    }
    const hit = ops.filter((op) => scope.encloses(op._scope));
    if (hit.length === 0) return false;
    const rest = ops.filter((op) => !scope.encloses(op._scope));
    this._ops = rest.length === 0 ? null : rest.length === 1 ? (rest[0] as Waiter<unknown>) : rest;
    for (const op of hit) op._interrupt(reason);
    return true;
  }

  /** @internal Keeps `reason` for the thread's next green operation; a kill is never overwritten. */
  _keep(reason: unknown, isKill: boolean): void {
    const flags = this._flags;
    if (flags & HAS_PENDING && flags & PENDING_IS_KILL && !isKill) return;
    this._extras().pending = reason;
    this._flags = (flags & ~PENDING_IS_KILL) | HAS_PENDING | (isKill ? PENDING_IS_KILL : 0);
  }

  /**
   * @internal A kill: delivers `reason` to every pending green operation of the thread, in
   * every scope, or keeps it for the next one. Deferred by a pass while a hand-over to the
   * thread is in flight (see `stampDelivery`).
   */
  _interrupt(reason: unknown, isKill: boolean): void {
    if ((this._flags & STATE) === DONE) return;
    if (this._ops !== null && deliveredThisPass(this)) {
      this._keep(reason, isKill);
      getHub().callSoon(new Redelivery(this, null, reason));
      return;
    }
    if (!this._interruptOps(null, reason)) this._keep(reason, isKill);
  }

  /**
   * @internal A deadline of `scope`: interrupts the operations of that scope and the scopes
   * nested in it, or keeps `reason` in the scope for the next one started there.
   */
  _interruptScope(scope: Scope, reason: unknown): void {
    if ((this._flags & STATE) === DONE || scope.closed) return;
    if (this._ops !== null && deliveredThisPass(this)) {
      scope.pending = reason;
      scope.hasPending = true;
      getHub().callSoon(new Redelivery(this, scope, reason));
      return;
    }
    if (!this._interruptOps(scope, reason)) {
      scope.pending = reason;
      scope.hasPending = true;
    }
  }

  /** @internal Withdraws an interruption that was kept and not yet delivered. */
  _retract(reason: unknown): void {
    if (this._flags & HAS_PENDING && (this._x as ThreadExtras).pending === reason) {
      (this._x as ThreadExtras).pending = undefined;
      this._flags &= ~(HAS_PENDING | PENDING_IS_KILL);
    }
  }

  /** @internal */
  _info(): ThreadInfo {
    let state: ThreadInfo["state"];
    if ((this._flags & STATE) === READY) state = this._x?.timer ? "scheduled" : "ready";
    else state = this._ops !== null ? "waiting" : "running";
    return { id: this.id, name: this.name, state, spawnedAt: this._x?.spawnedAt };
  }
}

class UnobservedCheck {
  readonly thread: GreenThread<unknown>;
  constructor(thread: GreenThread<unknown>) {
    this.thread = thread;
  }
  run(): void {
    const t = this.thread;
    if (!(t._flags & OBSERVED)) {
      t._flags |= OBSERVED;
      report(t._value, `green thread ${t.name} (spawned, failed, and never waited for)`);
    }
  }
}

function callLink<R>(
  thread: GreenThread<R>,
  fn: LinkFunction<R, unknown[]>,
  args: unknown[],
): void {
  try {
    const result = fn(thread, ...args);
    if (result !== null && typeof (result as PromiseLike<unknown>)?.then === "function") {
      (result as PromiseLike<unknown>).then(undefined, (error: unknown) =>
        report(error, `a link of green thread ${thread.name}`),
      );
    }
  } catch (error) {
    report(error, `a link of green thread ${thread.name}`);
  }
}

// The settle handlers are shared, not bound per thread: they run in the context captured when
// `then` was called — the thread's own — so `context.get()` tells them whose result it is.
function onFulfilled(value: unknown): void {
  getCurrent()._finish(true, value);
}
function onRejected(error: unknown): void {
  getCurrent()._finish(false, error);
}

function startBody(t: GreenThread<unknown>): void {
  const fn = t._fn as (...args: unknown[]) => unknown;
  const args = t._args;
  let result: unknown;
  try {
    if (t._flags & ONE_ARG) result = fn(args);
    else if (args === null || (args as unknown[]).length === 0) result = fn();
    else result = fn(...(args as unknown[]));
  } catch (error) {
    t._finish(false, error);
    return;
  }
  if (result !== null && typeof (result as PromiseLike<unknown>)?.then === "function") {
    // fn may have entered a Timeout's scope: settle in the thread's own root context.
    if (context.get() !== t) context.enter(t);
    (result as PromiseLike<unknown>).then(onFulfilled, onRejected);
  } else {
    t._finish(true, result);
  }
}

// The main thread: what getCurrent() returns outside any spawned thread. It is never killed
// and never listed, but Timeouts and green operations work in it as in any other thread.
const mainThread = new GreenThread<unknown>(null, null);
mainThread._flags = RUNNING | STARTED;
mainThread.name = "main";

// Live threads, in an intrusive doubly linked list so that registering costs no allocation.
let liveHead: GreenThread<unknown> | null = null;
let liveCount = 0;

function register(t: GreenThread<unknown>): void {
  t._next = liveHead;
  if (liveHead !== null) liveHead._prev = t;
  liveHead = t;
  liveCount++;
  if (traceSpawns) t._extras().spawnedAt = new Error().stack?.split("\n").slice(3).join("\n");
}

function unregister(t: GreenThread<unknown>): void {
  if (t === mainThread) return;
  const { _prev: prev, _next: next } = t;
  if (prev !== null) prev._next = next;
  else if (liveHead === t) liveHead = next;
  else return; // not registered
  if (next !== null) next._prev = prev;
  t._prev = t._next = null;
  liveCount--;
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
  if (here instanceof Scope) return new Scope(here.thread, here);
  return new Scope(here, null);
}

/** @internal Makes `scope` current for the rest of the running async function (a Timeout). */
export function enterScope(scope: Scope): void {
  if (context.get() !== scope) context.enter(scope);
}

/** @internal Leaves `scope` for its parent, if it is the current one. */
export function leaveScope(scope: Scope): void {
  if (context.get() !== scope) return;
  const parent = scope.parent;
  context.enter(parent !== null ? parent : scope.thread === mainThread ? undefined : scope.thread);
}

/** @internal Runs `fn(arg)` synchronously with `scope` current (a `withTimeout`). */
export function runInScope<A, R>(scope: Scope, fn: (arg: A) => R, arg: A): R {
  return context.run(scope, fn, arg);
}

/** @internal The name core's own modules use for `getCurrent`. */
export { getCurrent as currentThread };

type Fn<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

/**
 * Starts `fn(...args)` in a new green thread on a later turn, in FIFO order of spawning
 * (never synchronously inside `spawn`). Returns the thread; `await thread.wait()` for the
 * result. An error is kept for `wait()` and links; if nobody observes it by the next turn it
 * also goes to the error reporter, so no failure passes silently.
 *
 * @throws {TypeError} when `fn` is not a function.
 * @example
 * ```ts
 * const t = spawn(async (url: string) => (await fetch(url)).status, "http://127.0.0.1:8080/");
 * console.log(await t.wait());
 * ```
 */
export function spawn<A extends unknown[], R>(fn: Fn<A, R>, ...args: A): GreenThread<R> {
  checkFunction("spawn: fn", fn);
  return launch<R>(fn as never, args, 0, null);
}

/**
 * Like `spawn` without a handle: cheaper, and nobody can wait for it, so an error goes
 * straight to the error reporter (see `setErrorReporter`) and the process keeps running.
 *
 * @throws {TypeError} when `fn` is not a function.
 * @example
 * ```ts
 * for (let i = 0; i < 10; i++) spawnN(console.log, "hello", i);
 * ```
 */
export function spawnN<A extends unknown[]>(fn: Fn<A, unknown>, ...args: A): void {
  checkFunction("spawnN: fn", fn);
  launch<unknown>(fn as never, args, DETACHED, null);
}

// Every spawn ends here: create, mark, register as live, and queue the start on the hub.
function launch<R>(
  fn: (...args: never[]) => R | PromiseLike<R>,
  args: unknown[],
  flags: number,
  owner: ThreadOwner | null,
): GreenThread<R> {
  const t = new GreenThread<R>(fn, args);
  if (flags !== 0) t._flags |= flags;
  if (owner !== null) t._owner = owner;
  register(t as GreenThread<unknown>);
  getHub().callSoon(t);
  return t;
}

/**
 * @internal `spawn` for pools: takes the argument array as is, sets the owner told when the
 * thread ends, and whether it is detached (`spawnN`: errors go to the reporter) or observed
 * (its owner collects its outcome, so it is never reported as unobserved).
 */
export function spawnOwned<R>(
  fn: (...args: never[]) => R | PromiseLike<R>,
  args: unknown[],
  owner: ThreadOwner,
  detached: boolean,
  observed: boolean,
): GreenThread<R> {
  return launch<R>(fn, args, (detached ? DETACHED : 0) | (observed ? OBSERVED : 0), owner);
}

/** @internal A thread that already ended with `ok`/`value` (a pool's inline run). */
export function finishedThread<R>(
  fn: (...args: never[]) => R | PromiseLike<R>,
  ok: boolean,
  value: unknown,
  observed = false,
): GreenThread<R> {
  const t = new GreenThread<R>(fn, null);
  t._flags |= observed ? STARTED | OBSERVED : STARTED;
  t._finish(ok, value);
  return t;
}

/**
 * Starts `fn(...args)` in a new green thread after `ms` milliseconds. Threads with equal
 * delays start in the order they were scheduled. `cancel()` (or `kill()`) before then means
 * it never runs and its timer is released.
 *
 * @throws {TypeError|RangeError} when `ms` is not a number >= 0 or `fn` not a function.
 * @example
 * ```ts
 * const reminder = spawnAfter(5000, () => console.log("still working…"));
 * await work();
 * reminder.cancel();
 * ```
 */
export function spawnAfter<A extends unknown[], R>(
  ms: number,
  fn: Fn<A, R>,
  ...args: A
): GreenThread<R> {
  checkMs("spawnAfter: ms", ms);
  checkFunction("spawnAfter: fn", fn);
  const t = new GreenThread<R>(fn as never, args);
  register(t as GreenThread<unknown>);
  t._extras().timer = getHub().schedule(ms, () => t.run());
  return t;
}

/**
 * Kills `thread`; the same as `thread.kill(error)`.
 *
 * @example
 * ```ts
 * const t = spawn(() => sleep(60_000));
 * await kill(t);
 * ```
 */
export function kill(thread: GreenThread<unknown>, error?: unknown): Promise<void> {
  if (!(thread instanceof GreenThread)) {
    throw new TypeError(`kill: thread must be a GreenThread, received ${describeValue(thread)}`);
  }
  return thread.kill(error);
}

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

type OpExecutor = (waiter: Waiter<unknown>) => Canceler | undefined | void;

// The operation `suspendHere` is starting, handed to `startOp` through these rather than a new
// closure per operation. Invariant: the Promise constructor calls `startOp` synchronously, and
// `startOp` reads them before it runs the executor, so a nested `suspend` cannot disturb them.
let opThread: GreenThread<unknown> = mainThread;
let opScope: Scope | null = null;
let opExecutor: OpExecutor | null = null;

function startOp(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  const thread = opThread;
  const executor = opExecutor as OpExecutor;
  const scope = opScope;
  // Hold no thread, scope or executor past its operation's start (a dead thread stays collectable).
  opThread = mainThread;
  opScope = null;
  opExecutor = null;
  const waiter = new Waiter<unknown>(thread, resolve, reject);
  if (scope !== null) waiter._scope = scope;
  thread._addOp(waiter);
  let cancel: Canceler | undefined | void;
  try {
    cancel = executor(waiter);
  } catch (error) {
    waiter.reject(error);
    return;
  }
  if (!waiter.settled && typeof cancel === "function") waiter._cancel = cancel;
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

/**
 * The live threads — spawned and not yet ended — with their state and, when spawn tracing is
 * on, where they were spawned. Newest first.
 *
 * @example
 * ```ts
 * for (const t of listThreads()) console.log(t.id, t.name, t.state);
 * ```
 */
export function listThreads(): ThreadInfo[] {
  const out: ThreadInfo[] = [];
  for (let t = liveHead; t !== null; t = t._next) out.push(t._info());
  return out;
}

/** How many threads are live, without listing them. */
export function countThreads(): number {
  return liveCount;
}

/**
 * `listThreads()` as a human-readable table, with spawn sites when tracing is on: what to
 * print when a program hangs and you want to know who is waiting on what.
 *
 * @example
 * ```ts
 * process.on("SIGUSR2", () => console.error(formatThreads()));
 * ```
 */
export function formatThreads(): string {
  const threads = listThreads();
  if (threads.length === 0) return "no live green threads";
  const lines = [`${threads.length} live green thread${threads.length === 1 ? "" : "s"}:`];
  for (const t of threads) {
    lines.push(`  #${t.id} ${t.name} [${t.state}]`);
    if (t.spawnedAt) lines.push(...t.spawnedAt.split("\n").map((l) => `      ${l.trim()}`));
  }
  return lines.join("\n");
}

/**
 * Records the stack of every spawn from now on, for `listThreads()`/`formatThreads()`. It
 * costs a stack capture per spawn, so it is off by default (`TENDRIL_TRACE_SPAWN=1` turns it
 * on at start-up). Returns the previous setting.
 */
export function setSpawnTracing(on: boolean): boolean {
  const previous = traceSpawns;
  traceSpawns = on;
  return previous;
}
