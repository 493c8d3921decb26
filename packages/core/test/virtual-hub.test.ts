import { getHub, RealHub, sleep, spawn, spawnAfter } from "@tendril/core";
import { VirtualHub, withVirtualHub } from "@tendril/core/testing";
import { describe, expect, test } from "vitest";

describe("VirtualHub", () => {
  test("autojump moves the clock straight to the next timer when every thread waits", () =>
    withVirtualHub(async (hub) => {
      const start = hub.now();
      await sleep(86_400_000);
      expect(hub.now() - start).toBe(86_400_000);
    }));

  test("without autojump, time moves only with advance()", () =>
    withVirtualHub(
      async (hub) => {
        const log: number[] = [];
        const t = spawn(async () => {
          await sleep(100);
          log.push(hub.now());
          await sleep(100);
          log.push(hub.now());
        });
        await hub.advance(99);
        expect(log).toEqual([]);
        await hub.advance(1);
        expect(log).toEqual([100]);
        await hub.advance(500);
        expect(log).toEqual([100, 200]);
        expect(hub.now()).toBe(600);
        await t.wait();
      },
      { autojump: false },
    ));

  test("runUntilIdle fires every timer in deadline order", () =>
    withVirtualHub(
      async (hub) => {
        const log: string[] = [];
        spawnAfter(30, () => log.push("c"));
        spawnAfter(10, () => log.push("a"));
        spawnAfter(20, () => log.push("b"));
        await hub.runUntilIdle();
        expect(log).toEqual(["a", "b", "c"]);
        expect(hub.now()).toBe(30);
      },
      { autojump: false },
    ));

  test("runUntilIdle gives up on a program that never stops arming timers", async () => {
    const hub = new VirtualHub({ autojump: false });
    const tick = () => hub.schedule(1, tick);
    tick();
    await expect(hub.runUntilIdle(50)).rejects.toThrow(/still busy after 50 timers/);
  });

  test("the real hub is restored afterwards", async () => {
    await withVirtualHub(() => undefined);
    expect(getHub()).toBeInstanceOf(RealHub);
  });
});

describe("RealHub", () => {
  test("runs callSoon tasks FIFO, a pass at a time, and reports a task that throws", async () => {
    const hub = new RealHub();
    const log: string[] = [];
    await new Promise<void>((resolve) => {
      hub.callSoon(() => {
        log.push("a");
        hub.callSoon(() => {
          log.push("c");
          resolve();
        });
      });
      hub.callSoon({ run: () => log.push("b") });
    });
    expect(log).toEqual(["a", "b", "c"]);
  });

  test("schedule fires after the delay and cancel stops it", async () => {
    const hub = new RealHub();
    const t0 = hub.now();
    let fired = false;
    const cancelled = hub.schedule(5, () => {
      fired = true;
    });
    cancelled.cancel();
    await new Promise<void>((resolve) => hub.schedule(10, resolve));
    expect(fired).toBe(false);
    expect(hub.now() - t0).toBeGreaterThanOrEqual(9);
  });
});
