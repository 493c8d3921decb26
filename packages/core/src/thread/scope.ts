/**
 * Cancel scopes, and the carrier that takes the innermost one across `await`. A green
 * thread is its own root scope; `withTimeout` and `new Timeout` nest scopes in it. The async
 * context carries the innermost scope, so every green operation knows the scope it started in
 * and, through it, its thread (see `thread-context.ts` for the carriers).
 *
 * @module
 */

import type { GreenThread } from "./green-thread.js";
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

/** @internal What the carrier holds: a thread (its own root scope) or a nested scope. */
export type Context = GreenThread<unknown> | Scope;

/** @internal The carrier of this process. */
export const context = createThreadContext<Context>();

/** @internal How thread identity travels in this process: "als" or "hooks". */
export const contextKind = context.kind;
