import { sleep, spawn, withTimeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

describe("scheduling properties", () => {
  test("threads start in spawn order and each resumes exactly when its sleeps add up to", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5 }), {
          minLength: 1,
          maxLength: 8,
        }),
        (programs) =>
          withVirtualHub(async (hub) => {
            const starts: number[] = [];
            const events: Array<{ thread: number; at: number; expected: number }> = [];
            const threads = programs.map((delays, index) =>
              spawn(async () => {
                starts.push(index);
                let expected = 0;
                for (const d of delays) {
                  await sleep(d);
                  expected += d;
                  events.push({ thread: index, at: hub.now(), expected });
                }
              }),
            );
            for (const t of threads) await t.wait();
            expect(starts).toEqual(programs.map((_, i) => i));
            for (const e of events) expect(e.at).toBe(e.expected);
            for (let i = 1; i < events.length; i++) {
              expect((events[i] as { at: number }).at).toBeGreaterThanOrEqual(
                (events[i - 1] as { at: number }).at,
              );
            }
          }),
      ),
      { numRuns: 60 },
    );
  });

  test("nested timeouts: the earliest deadline wins, ties go to the outermost, and no timer is left", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 25 }),
        (layers, bodyMs) =>
          withVirtualHub(async (hub) => {
            const run = (depth: number): Promise<string> =>
              depth === layers.length
                ? sleep(bodyMs).then(() => "body")
                : withTimeout({ ms: layers[depth], timeoutValue: `t${depth}` }, run, depth + 1);
            const start = hub.now();
            const result = await spawn(run, 0).wait();
            const earliest = Math.min(...layers);
            const expected = bodyMs < earliest ? "body" : `t${layers.indexOf(earliest)}`;
            expect(result).toBe(expected);
            expect(hub.now() - start).toBe(Math.min(bodyMs, earliest));
            expect(hub.pendingTimers()).toBe(0);
          }),
      ),
      { numRuns: 100 },
    );
  });
});
