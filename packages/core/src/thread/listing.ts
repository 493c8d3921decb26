/**
 * The live threads: an intrusive doubly linked list (registering costs no allocation), and
 * what `listThreads()` and `formatThreads()` make of it.
 *
 * @module
 */

import { type GreenThread, mainThread } from "./green-thread.js";

let traceSpawns = process.env.TENDRIL_TRACE_SPAWN === "1";

/**
 * What `listThreads()` says of one live thread.
 *
 * @example
 * ```ts
 * for (const info of listThreads()) {
 *   console.log(info.id, info.name, info.state, info.spawnedAt ?? "(spawn tracing off)");
 * }
 * ```
 */
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

// Live threads, in an intrusive doubly linked list so that registering costs no allocation.
let liveHead: GreenThread<unknown> | null = null;
let liveCount = 0;

/** @internal Adds a spawned thread to the live list. */
export function register(t: GreenThread<unknown>): void {
  t._next = liveHead;
  if (liveHead !== null) liveHead._prev = t;
  liveHead = t;
  liveCount++;
  if (traceSpawns) t._extras().spawnedAt = new Error().stack?.split("\n").slice(3).join("\n");
}

/**
 * @internal The stack from the caller's caller on, when spawn tracing is on, else `undefined`:
 * a pool spawn that has to wait for a slot keeps it for the thread it starts later, elsewhere.
 */
export function spawnSite(): string | undefined {
  return traceSpawns ? new Error().stack?.split("\n").slice(3).join("\n") : undefined;
}

/** @internal Removes an ended thread from the live list. */
export function unregister(t: GreenThread<unknown>): void {
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

/**
 * How many threads are live, without listing them.
 *
 * @example
 * ```ts
 * console.log(`${countThreads()} green threads alive`);
 * ```
 */
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
 *
 * @example
 * ```ts
 * const previous = setSpawnTracing(true);
 * spawn(work);
 * console.error(formatThreads()); // each thread now says where it was spawned
 * setSpawnTracing(previous);
 * ```
 */
export function setSpawnTracing(on: boolean): boolean {
  const previous = traceSpawns;
  traceSpawns = on;
  return previous;
}
