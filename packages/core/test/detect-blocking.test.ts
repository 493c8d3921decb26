import { type BlockingReport, detectBlocking, sleep, spawn } from "@tendril/core";
import { describe, expect, test } from "vitest";

// These run on the real hub: blocking is about wall-clock time. They assert only lower bounds.
describe("detectBlocking", () => {
  test("names the thread that ran too long without a green operation", async () => {
    const reports: BlockingReport[] = [];
    const stop = detectBlocking({ thresholdMs: 20, onBlocked: (r) => reports.push(r) });
    try {
      const polite = spawn(async function polite() {
        for (let i = 0; i < 5; i++) await sleep(0);
      });
      const hog = spawn(async function hog() {
        await sleep(0);
        const until = performance.now() + 60;
        while (performance.now() < until) {
          // spin
        }
        await sleep(0);
      });
      await polite.wait();
      await hog.wait();
    } finally {
      stop();
    }
    const hogReports = reports.filter((r) => /^hog\d*#/.test(r.thread));
    expect(hogReports.length).toBeGreaterThanOrEqual(1);
    expect(hogReports[0]?.blockedMs).toBeGreaterThanOrEqual(55);
    expect(reports.some((r) => /^polite\d*#/.test(r.thread))).toBe(false);
  });

  test("reports nothing once stopped, and validates its threshold", async () => {
    const reports: BlockingReport[] = [];
    const stop = detectBlocking({ thresholdMs: 5, onBlocked: (r) => reports.push(r) });
    stop();
    stop();
    await spawn(async () => {
      const until = performance.now() + 20;
      while (performance.now() < until) {
        // spin
      }
      await sleep(0);
    }).wait();
    expect(reports).toEqual([]);
    expect(() => detectBlocking({ thresholdMs: -1 })).toThrow(RangeError);
  });
});
