/**
 * `patch()` / `unpatch()`: Tendril's answer to Eventlet's `import_patched`. Node has no
 * blocking HTTP to replace, but it has one place every `fetch` and every undici call without
 * an explicit dispatcher goes through: undici's global dispatcher. `patch()` puts a green
 * dispatcher there (an `HttpClient`'s), so a third-party library that calls `fetch` gets the
 * green resolver, keep-alive pooling, the client's concurrency limit and size limit, and is
 * aborted when the green thread that called it is killed or timed out.
 *
 * The trap: the global dispatcher lives in a `globalThis[Symbol.for(...)]` slot keyed by the
 * version of undici's dispatcher API — `undici.globalDispatcher.1`, read by the undici
 * bundled in Node's `fetch` (Node 20 ships undici 6) and `.2`, read by undici 7 installed
 * from npm. Setting one does not reach the other, so `patch()` sets both, and `unpatch()`
 * restores what each held.
 *
 * @module
 */

import { Dispatcher, setGlobalDispatcher } from "undici";
import { unwatchIo, watchIo, watchingIo } from "../interrupt/watch-io.js";
import { HttpClient } from "./http-client.js";
import { getDefaultHttpClient } from "./urlopen.js";

/** The slot the `fetch` bundled in Node (undici 5 and 6) reads; undici 7 writes it too. */
const LEGACY_SLOT = Symbol.for("undici.globalDispatcher.1");
/** The slot undici 7's own `fetch`/`request` read. */
const CURRENT_SLOT = Symbol.for("undici.globalDispatcher.2");

type Slots = Record<symbol, unknown>;

let saved: { legacy: unknown; current: unknown } | null = null;
let installed: Dispatcher | null = null;
// Whether patch() turned watchIo() on (and unpatch() should turn it off again).
let watchedByPatch = false;

function writeSlot(slot: symbol, value: unknown): void {
  // undici defines the slots writable but not configurable: assign when it exists.
  if (Object.hasOwn(globalThis, slot)) (globalThis as unknown as Slots)[slot] = value;
  else
    Object.defineProperty(globalThis, slot, {
      value,
      writable: true,
      enumerable: false,
      configurable: false,
    });
}

/**
 * Installs a green dispatcher as the process-wide one: the global `fetch` and undici's
 * `fetch`/`request` (without their own dispatcher) go through it from now on. With no
 * argument it is the default `HttpClient`'s; pass a client (or any undici `Dispatcher`) to
 * choose. Patching again replaces the dispatcher and keeps the original for `unpatch()`.
 * Returns a disposable, so `using _ = patch()` scopes it.
 *
 * @throws {TypeError} when `target` is neither an `HttpClient` nor a `Dispatcher`.
 * @example
 * ```ts
 * import { extract } from "@extractus/feed-extractor"; // fetches with the global fetch
 * patch(new HttpClient({ pool: 20, headersTimeoutMs: 5000 }));
 * const feed = await withTimeout(10_000, extract, "http://127.0.0.1:8080/feed.xml");
 * ```
 */
export function patch(target?: HttpClient | Dispatcher): Disposable {
  let dispatcher: Dispatcher;
  if (target === undefined) dispatcher = getDefaultHttpClient().dispatcher;
  else if (target instanceof HttpClient) dispatcher = target.dispatcher;
  else if (
    target instanceof Dispatcher ||
    typeof (target as { dispatch?: unknown })?.dispatch === "function"
  ) {
    dispatcher = target as Dispatcher;
  } else {
    throw new TypeError("patch: expected an HttpClient or an undici Dispatcher");
  }
  if (saved === null) {
    const slots = globalThis as unknown as Slots;
    saved = { legacy: slots[LEGACY_SLOT], current: slots[CURRENT_SLOT] };
  }
  setGlobalDispatcher(dispatcher);
  // Invariant: both slots hold the green dispatcher, whatever this undici version writes.
  writeSlot(LEGACY_SLOT, dispatcher);
  writeSlot(CURRENT_SLOT, dispatcher);
  installed = dispatcher;
  if (!watchingIo()) {
    watchIo();
    watchedByPatch = true;
  }
  return { [Symbol.dispose]: unpatch };
}

/**
 * Restores the global dispatchers that were there before the first `patch()`. Returns
 * whether anything was patched.
 *
 * @example
 * ```ts
 * patch();
 * try { await runLegacyCode(); } finally { unpatch(); }
 * ```
 */
export function unpatch(): boolean {
  if (saved === null) return false;
  writeSlot(LEGACY_SLOT, saved.legacy);
  writeSlot(CURRENT_SLOT, saved.current);
  saved = null;
  installed = null;
  if (watchedByPatch) {
    watchedByPatch = false;
    unwatchIo();
  }
  return true;
}

/**
 * The dispatcher `patch()` installed, or `null` when not patched.
 *
 * @example
 * ```ts
 * if (patchedDispatcher() === null) patch();
 * ```
 */
export function patchedDispatcher(): Dispatcher | null {
  return installed;
}
