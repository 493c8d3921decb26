/**
 * Green threads: an async function run under a thread context. The thread is the root of its
 * cancel scopes (`scope.ts`); the context travels with the function's continuations, so
 * `getCurrent()` works anywhere in the thread and every green operation (`operation.ts`) knows
 * whom to interrupt. Links and failure reports are in `links.ts`, the live list in
 * `listing.ts`.
 *
 * This module is also the internal entry the rest of core imports thread machinery from.
 *
 * Trade-off: the carrier may cost something on every promise of a thread, so the thread
 * itself is kept lean: ten fields, flags in one integer, one hub queue entry per spawn, and a
 * lazily created signal, name, links and waiters.
 *
 * @module
 */

import { checkFunction, checkMs, describeValue, GreenThreadExit, TendrilError } from "../errors.js";
import { getHub, type TimerHandle } from "../hub/hub.js";
import { report } from "../hub/report.js";
import { callLink, type LinkFunction, UnobservedCheck } from "./links.js";
import { register, type ThreadInfo, unregister } from "./listing.js";
import { deliveredThisPass, getCurrent, Redelivery, suspend, type Waiter } from "./operation.js";
import { endSegment, probe, startSegment } from "./probe.js";
import { context, type Scope } from "./scope.js";

export type { LinkFunction } from "./links.js";
export {
  countThreads,
  formatThreads,
  listThreads,
  setSpawnTracing,
  type ThreadInfo,
} from "./listing.js";
export { type Canceler, getCurrent, green, sleep, suspend, Waiter } from "./operation.js";

/** @internal */
export const READY = 0;
/** @internal */
export const RUNNING = 1;
/** @internal */
export const DONE = 2;

let nextId = 1;

/** @internal */
export type Settle = (thread: GreenThread<unknown>) => void;

/**
 * @internal What a pool hangs on the threads it spawns (`_owner`): told when each one ends,
 * before its waiters and links — one field instead of a link per thread.
 */
export interface ThreadOwner {
  _threadEnded(thread: GreenThread<unknown>, ok: boolean, value: unknown): void;
}

// Thread state lives in one integer: the low two bits are the life-cycle state, the rest flags.
/** @internal */
export const STATE = 3;
/** @internal */
export const OK = 4; // the outcome in _value is a result, not an error
/** @internal */
export const OBSERVED = 8; // someone waited for or linked to the thread
/** @internal */
export const DETACHED = 16; // spawnN: nobody can wait, errors go straight to the reporter
/** @internal */
export const HAS_PENDING = 32; // an interruption is kept for the next green operation
/** @internal */
export const PENDING_IS_KILL = 64;
/** @internal */
export const KILL_REQUESTED = 128;
/** @internal */
export const STARTED = 256;
/** @internal */
export const ONE_ARG = 512; // _args holds the only argument itself, not an array

/** Everything a thread rarely needs, allocated on first use so that a plain thread stays small. */
/** @internal */
export interface ThreadExtras {
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
   * thread throws the error at once, so the thread unwinds from where it stands. When a value
   * is on its way to the thread (a queue item or permit just handed over), the kill waits one
   * hub pass so the thread receives it, and lands at its next green operation.
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
    if (probe !== null) startSegment();
    context.start(this as GreenThread<unknown>, startBody, this as GreenThread<unknown>);
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

// The settle handlers are shared, not bound per thread: they run in the context captured when
// `then` was called — the thread's own root — so `getCurrent()` tells them whose result it is.
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
/** @internal */
export const mainThread = new GreenThread<unknown>(null, null);
mainThread._flags = RUNNING | STARTED;
mainThread.name = "main";

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
