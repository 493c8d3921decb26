/**
 * What happens when a thread ends, beyond its waiters: its links run, in link order, and a
 * failure that nobody waited for is reported on the next turn.
 *
 * @module
 */

import { report } from "../hub/report.js";
import { type GreenThread, OBSERVED } from "./green-thread.js";

/**
 * A function run by a link when its thread ends.
 *
 * @example
 * ```ts
 * const thread = spawn(work);
 * const onExit: LinkFunction<unknown, [string]> = (t, label) => console.log(label, "ended", t.dead);
 * thread.link(onExit, "worker");
 * ```
 */
export type LinkFunction<R, A extends unknown[]> = (thread: GreenThread<R>, ...args: A) => unknown;

/** @internal Checks, a turn after a spawned thread failed, that someone observed it. */
export class UnobservedCheck {
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

/** @internal Calls one link; an error it throws or rejects with goes to the reporter. */
export function callLink<R>(
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
