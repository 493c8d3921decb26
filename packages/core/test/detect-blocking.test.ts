import { type BlockingReport, detectBlocking, setHub, sleep, spawn } from "@tendril/core";
import { VirtualHub } from "@tendril/core/testing";
import { afterEach, describe, expect, test } from "vitest";

/**
 * A virtual hub whose clock a thread can also move while it runs, without yielding: `compute(ms)`
 * stands for `ms` of work that holds the loop. The detector reads the hub's clock, so it sees
 * exactly the time each thread spent, and the figures can be asserted exactly.
 */
class ComputeClockHub extends VirtualHub {
  #spent = 0;
  override now(): number {
    return super.now() + this.#spent;
  }
  compute(ms: number): void {
    this.#spent += ms;
  }
}

let previousHub: ReturnType<typeof setHub> | null = null;
function useComputeClock(): ComputeClockHub {
  const hub = new ComputeClockHub();
  previousHub = setHub(hub);
  return hub;
}
afterEach(() => {
  if (previousHub !== null) setHub(previousHub);
  previousHub = null;
});

describe("detectBlocking", () => {
  test("names the thread that ran too long without a green operation, with how long", async () => {
    const hub = useComputeClock();
    const reports: BlockingReport[] = [];
    const stop = detectBlocking({ thresholdMs: 20, onBlocked: (r) => reports.push(r) });
    try {
      const polite = spawn(async function polite() {
        for (let i = 0; i < 5; i++) {
          hub.compute(15); // under the threshold each time
          await sleep(0);
        }
      });
      const hog = spawn(async function hog() {
        await sleep(0);
        hub.compute(60);
        await sleep(0);
      });
      await polite.wait();
      await hog.wait();
    } finally {
      stop();
    }
    expect(reports).toEqual([
      { blockedMs: 60, thread: expect.stringMatching(/^hog\d*#/), threadId: expect.any(Number) },
    ]);
  });

  test("reports nothing once stopped, and validates its threshold", async () => {
    const hub = useComputeClock();
    const reports: BlockingReport[] = [];
    const stop = detectBlocking({ thresholdMs: 5, onBlocked: (r) => reports.push(r) });
    stop();
    stop();
    await spawn(async () => {
      hub.compute(20);
      await sleep(0);
    }).wait();
    expect(reports).toEqual([]);
    expect(() => detectBlocking({ thresholdMs: -1 })).toThrow(RangeError);
  });

  test("on the real hub, a thread that spins past the threshold is reported", async () => {
    const reports: BlockingReport[] = [];
    const stop = detectBlocking({ thresholdMs: 20, onBlocked: (r) => reports.push(r) });
    try {
      await spawn(async function spinner() {
        await sleep(0);
        const until = performance.now() + 60;
        while (performance.now() < until) {
          // spin: the loop is held for at least 60 ms of wall-clock time
        }
        await sleep(0);
      }).wait();
    } finally {
      stop();
    }
    // Lower bounds only: a loaded machine can make the stretch longer, never shorter.
    const spinner = reports.filter((r) => /^spinner\d*#/.test(r.thread));
    expect(spinner.some((r) => r.blockedMs >= 60)).toBe(true);
  });
});
