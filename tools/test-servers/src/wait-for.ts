/**
 * `waitFor`: waits for a condition that another party makes true — a loopback server that saw
 * a connection close, a child process that printed a line — for tests that cannot run on the
 * virtual hub because the thing they observe lives outside it.
 *
 * @module
 */

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** How long to wait before failing, in milliseconds. Default 5000. */
  timeoutMs?: number;
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once `predicate()` returns true; rejects with `timed out waiting for <what>` (and the
 * last value the predicate saw, when it returns one) after `timeoutMs`. It polls on macrotasks
 * first, then every 2 ms, so a condition that becomes true on the next I/O turn resolves at
 * once. The deadline only bounds a hang: a test asserts what happened, never how long it took.
 *
 * @example
 * ```ts
 * await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
 * ```
 */
export async function waitFor(
  predicate: () => boolean,
  what: string,
  options: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const deadline = performance.now() + timeoutMs;
  for (let turn = 0; !predicate(); turn++) {
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
    }
    if (turn < 50) await macrotask();
    else await pause(2);
  }
}
