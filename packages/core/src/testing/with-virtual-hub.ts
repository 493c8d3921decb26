/**
 * Runs a test body on a fresh `VirtualHub` and fails it if it leaves threads or timers
 * behind (Eventlet's `verify_hub_empty`, Deno's sanitizers).
 *
 * @module
 */

import { TendrilError } from "../errors.js";
import { setHub } from "../hub/hub.js";
import { countThreads, formatThreads } from "../thread/green-thread.js";
import { VirtualHub, type VirtualHubOptions } from "./virtual-hub.js";

/**
 * Options of `withVirtualHub`.
 *
 * @example
 * ```ts
 * test("a timer left armed on purpose", () =>
 *   withVirtualHub(
 *     async (hub) => {
 *       hub.schedule(1000, () => {});
 *     },
 *     { autojump: false, checkTimers: false },
 *   ));
 * ```
 */
export interface WithVirtualHubOptions extends VirtualHubOptions {
  /** Fail when threads are still live after the body. Default `true`. */
  checkThreads?: boolean;
  /** Fail when timers are still armed after the body. Default `true`. */
  checkTimers?: boolean;
}

/**
 * Installs a new `VirtualHub` (autojump on by default), runs `body(hub)`, restores the
 * previous hub, and throws `ERR_TENDRIL_LEAK` naming what was left behind: live green threads
 * (with `formatThreads()`), or armed timers. Threads that are already dead are fine.
 *
 * @example
 * ```ts
 * test("sleep moves virtual time only", () =>
 *   withVirtualHub(async (hub) => {
 *     await sleep(1000);
 *     expect(hub.now()).toBe(1000);
 *   }));
 * ```
 */
export async function withVirtualHub<T>(
  body: (hub: VirtualHub) => T | PromiseLike<T>,
  options: WithVirtualHubOptions = {},
): Promise<T> {
  const hub = new VirtualHub(options);
  const threadsBefore = countThreads();
  const previous = setHub(hub);
  let result: T;
  try {
    result = await body(hub);
    // Let threads that are finishing finish, without moving the clock.
    const autojump = hub.autojump;
    hub.autojump = false;
    await hub.advance(0);
    hub.autojump = autojump;
  } finally {
    setHub(previous);
  }
  if ((options.checkThreads ?? true) && countThreads() > threadsBefore) {
    throw new TendrilError(
      "ERR_TENDRIL_LEAK",
      `the test left ${countThreads() - threadsBefore} green thread(s) running:\n${formatThreads()}`,
    );
  }
  if ((options.checkTimers ?? true) && hub.pendingTimers() > 0) {
    throw new TendrilError(
      "ERR_TENDRIL_LEAK",
      `the test left ${hub.pendingTimers()} timer(s) armed`,
    );
  }
  return result;
}
