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
 * Resolves once `predicate()` returns (or resolves to) true; rejects with `timed out waiting for
 * <what>` after `timeoutMs`. An async predicate (a query to a server) is awaited before the
 * next poll. It polls on macrotasks
 * first, then every 2 ms, so a condition that becomes true on the next I/O turn resolves at
 * once. The deadline only bounds a hang: a test asserts what happened, never how long it took.
 *
 * @example
 * ```ts
 * await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
 * ```
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  options: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const deadline = performance.now() + timeoutMs;
  for (let turn = 0; !(await predicate()); turn++) {
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
    }
    if (turn < 50) await macrotask();
    else await pause(2);
  }
}

/** Options of {@link waitForSteady}. */
export interface WaitForSteadyOptions {
  /** How many steps in a row must leave the value unchanged. Default 3. */
  steadySteps?: number;
  /** How many steps to take at most before failing. Default 500. */
  maxSteps?: number;
}

/**
 * Takes `step()` — a round trip that lets the other party run, e.g. a request on another
 * connection to the same server — until `read()` has stayed the same for `steadySteps` steps
 * in a row, and returns that value. It fails, naming `what` and the last value, if the value
 * still moves after `maxSteps` steps. This is how a test shows that something stopped (a
 * producer held back by backpressure) without sleeping: it counts round trips, not time, and a
 * flow that never stops fails it instead of passing it.
 *
 * @example
 * ```ts
 * const streamed = await waitForSteady(() => seen.streamed, () => ping(), "the stream to stall");
 * expect(streamed).toBeLessThan(64 * 1024 * 1024);
 * ```
 */
export async function waitForSteady<T>(
  read: () => T,
  step: () => Promise<unknown>,
  what: string,
  options: WaitForSteadyOptions = {},
): Promise<T> {
  const steadySteps = options.steadySteps ?? 3;
  const maxSteps = options.maxSteps ?? 500;
  let value = read();
  let unchanged = 0;
  for (let taken = 0; taken < maxSteps; taken++) {
    await step();
    const next = read();
    if (Object.is(next, value)) {
      if (++unchanged >= steadySteps) return value;
    } else {
      value = next;
      unchanged = 0;
    }
  }
  throw new Error(`${what}: still changing after ${maxSteps} steps (last ${String(value)})`);
}
