/**
 * `process.nextTick` callbacks, attributed to the green thread that queued them — only where
 * core's context carrier does not do it itself, and only while `watchIo()` is on.
 *
 * Why: on Node 20 and 22 core carries the current thread with V8's promise hooks, which
 * follow promises but not `process.nextTick`. A library that opens its socket from a tick
 * (ioredis does: `connect()` queues the `net.connect` call) would then open it "outside" the
 * thread, and `watchIo()` would leave it untied. On Node 24+ (AsyncLocalStorage on
 * AsyncContextFrame) and under `TENDRIL_CONTEXT=als`, ticks carry the thread already and
 * nothing here is switched on.
 *
 * How: while on, an `async_hooks` hook sees each `TickObject` queued inside a green thread and
 * gives it a *gate*: a pending promise whose reaction was registered right there, so the
 * carrier stamps that reaction with the thread's scope (the `withTimeout` nesting included).
 * When the tick's callback creates a socket or request, `watch-io.ts` hands the tie to the
 * gate and opens it: the tie then runs as a microtask in the right scope, before any I/O
 * callback of the socket can run (microtasks run as soon as the tick queue is drained).
 *
 * Cost, measured (see the decision record): nothing until `watchIo()`; while on, Node's
 * async_hooks machinery is active (as with AsyncLocalStorage on Node 20/22: every promise gets
 * an async id) and each tick queued inside a green thread allocates a gate. `unwatchIo()`
 * disables the hook again.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

import {
  type AsyncHook,
  AsyncLocalStorage,
  createHook,
  executionAsyncResource,
} from "node:async_hooks";
import { getCurrent, getHub } from "@tendril/core";
import { isMain } from "./scope-binding.js";

const kGate: unique symbol = Symbol("tendril.tickGate");

// A tick's gate: the ties its callback deferred, run together once the gate opens.
interface Gate {
  tasks: Array<() => void> | null;
  open: (() => void) | null;
}

type Stamped = { [kGate]?: Gate };

let hook: AsyncHook | null = null;

/**
 * True when core's carrier loses the thread across `process.nextTick`: the promise-hooks
 * carrier. Mirrors core's choice (`thread-context.ts`): forced by `TENDRIL_CONTEXT`, else
 * promise hooks wherever AsyncLocalStorage still rides on async_hooks (it has `_propagate`).
 */
function carrierLosesTicks(): boolean {
  const forced = process.env.TENDRIL_CONTEXT;
  if (forced === "als") return false;
  if (forced === "hooks") return true;
  return "_propagate" in AsyncLocalStorage.prototype;
}

function runGate(gate: Gate): void {
  const tasks = gate.tasks;
  gate.tasks = null;
  if (tasks === null) return;
  for (const task of tasks) {
    try {
      task();
    } catch (error) {
      // Never an unhandled rejection of the gate: a tie that fails is a bug to report.
      getHub().reportError(error, "watchIo: tying a socket opened in a tick");
    }
  }
}

function onInit(_id: number, type: string, _trigger: number, resource: object): void {
  if (type !== "TickObject") return;
  if (isMain(getCurrent())) return;
  const gate: Gate = { tasks: null, open: null };
  // Invariant: `then` is called here, inside the thread, so the reaction carries its scope.
  // runGate reports its own failures, so the chain never rejects.
  void new Promise<void>((resolve) => {
    gate.open = resolve;
  }).then(() => runGate(gate));
  (resource as Stamped)[kGate] = gate;
}

/** @internal Starts attributing ticks, if this process's carrier needs it. Idempotent. */
export function attributeTicks(): void {
  if (hook !== null || !carrierLosesTicks()) return;
  hook = createHook({ init: onInit }).enable();
}

/** @internal Stops attributing ticks. */
export function stopAttributingTicks(): void {
  hook?.disable();
  hook = null;
}

/**
 * @internal When the code running now is a tick callback queued inside a green thread, queues
 * `task` to run (as a microtask) in the scope the tick was queued in and returns `true`; else
 * returns `false` and `task` is not run.
 */
export function deferToTickOwner(task: () => void): boolean {
  if (hook === null) return false;
  const gate = (executionAsyncResource() as Stamped | undefined)?.[kGate];
  if (gate === undefined || (gate.open === null && gate.tasks === null)) return false;
  if (gate.tasks === null) gate.tasks = [task];
  else gate.tasks.push(task);
  const open = gate.open;
  if (open !== null) {
    gate.open = null;
    open();
  }
  return true;
}
