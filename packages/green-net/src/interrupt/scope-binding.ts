/**
 * The one place where green-net ties a resource (a socket, a request) to the green thread and
 * deadline scope current when it was created, so that the scope's deadline or the thread's
 * kill destroys it. Everything that makes foreign I/O interruptible goes through
 * `bindToCurrentScope`; when core's cancel scopes land, only this file changes.
 *
 * How it works on today's core: the resource becomes a green operation of the thread for as
 * long as it is in use (a `suspend` whose canceler destroys it), recorded at the `withTimeout`
 * depth it was created at, so a deadline reaches it exactly as it reaches any green wait
 * started there: a `Timeout` of that scope or an enclosing one destroys it, an inner scope's
 * does not. A kill arrives through the thread's `signal`: the binding steps aside (resolves
 * its operation) before destroying, so the kill itself stays pending for the thread's next
 * green step and the thread still ends by `GreenThreadExit`, whatever error the library
 * turns the destroyed socket into.
 *
 * Trade-off: the depth and main-thread tests read core internals (`_scopeDepth()`,
 * `Waiter._depth`, the main thread's `_fn === null`); they are confined to this file and named
 * in the decision record. On a core with cancel scopes (no `_scopeDepth`), `suspend` already
 * files the operation under the scope current at creation, and only the main-thread test stays.
 *
 * @module
 */

import { type GreenThread, getCurrent, suspend, type Waiter } from "@tendril/core";

/** A resource's tie to a scope: `release()` it when the resource is done (idempotent). */
export interface ScopeBinding {
  /** Unties the resource: later deadlines and kills leave it alone. */
  release(): void;
}

interface CoreThreadInternals {
  _fn: unknown;
  _scopeDepth(): number;
}

/** True for the main thread: the one core runs code outside every spawned thread in. @internal */
export function isMain(thread: GreenThread<unknown>): boolean {
  // The main thread is the only live one without a function.
  return (thread as unknown as CoreThreadInternals)._fn === null;
}

/**
 * The thread's `withTimeout` depth on a core that counts depths, or `null` on a core with cancel
 * scopes — where every green operation belongs to the scope current when it started, so the
 * binding's operation needs no depth of its own.
 */
function scopeDepth(thread: GreenThread<unknown>): number | null {
  const internals = thread as unknown as Partial<CoreThreadInternals>;
  return typeof internals._scopeDepth === "function" ? internals._scopeDepth() : null;
}

class Binding implements ScopeBinding {
  #waiter: Waiter<void> | null = null;
  #signal: AbortSignal | null = null;
  #abort: ((reason: unknown) => void) | null;

  constructor(abort: (reason: unknown) => void) {
    this.#abort = abort;
  }

  attach(thread: GreenThread<unknown>, depth: number, killable: boolean): void {
    let registered = false;
    const op = suspend<void>((waiter) => {
      registered = true;
      // A deadline reaches the resource as it reaches a wait started at this depth.
      if (depth > 0) (waiter as unknown as { _depth: number })._depth = depth;
      this.#waiter = waiter;
      return (reason) => {
        this.#waiter = null;
        this.#fire(reason);
      };
    });
    op.then(undefined, (reason: unknown) => {
      // The thread already had an interruption waiting: creating the resource is its first
      // green step, so the resource is destroyed with it at once.
      if (!registered) this.#fire(reason);
    });
    if (!registered || !killable) return;
    const signal = thread.signal;
    if (signal.aborted) return;
    this.#signal = signal;
    signal.addEventListener("abort", this.#onKill);
  }

  readonly #onKill = (): void => {
    // Step aside first, so the kill stays pending for the thread's own next green step.
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.resolve();
    this.#fire((this.#signal as AbortSignal).reason);
  };

  #fire(reason: unknown): void {
    const abort = this.#abort;
    this.release();
    abort?.(reason);
  }

  release(): void {
    this.#abort = null;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve();
    }
    if (this.#signal !== null) {
      this.#signal.removeEventListener("abort", this.#onKill);
      this.#signal = null;
    }
  }
}

/**
 * Ties a resource being created now to the current green thread and deadline scope: when the
 * thread is killed, or a `Timeout` of that scope (or one enclosing it) fires while the
 * binding holds, `abort(reason)` runs once with the kill's error or the `Timeout`. Returns
 * `null` — and never calls `abort` — outside green threads: in the main thread outside every
 * `withTimeout`. Release the binding when the resource is done.
 *
 * @internal
 */
export function bindToCurrentScope(abort: (reason: unknown) => void): ScopeBinding | null {
  const thread = getCurrent();
  // A thread that has ended (a library's reconnect timer still carrying its context) has
  // nothing left to interrupt.
  if (thread.dead) return null;
  const depth = scopeDepth(thread);
  const main = isMain(thread);
  // Outside green threads: the main thread, outside every withTimeout. With depths, a main
  // thread operation at depth 0 would be hit by any Timeout of the main thread, so none is made;
  // with cancel scopes, one made at the main thread's root is reached by no deadline at all.
  if (main && depth === 0) return null;
  const binding = new Binding(abort);
  binding.attach(thread, depth ?? 0, !main);
  return binding;
}
