import { describe, expect, test } from "vitest";
import { GreenThreadExit, Timeout, getCurrent, sleep, spawn, withTimeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";

describe("smoke", () => {
  test("spawn runs later and wait returns the result", () =>
    withVirtualHub(async (hub) => {
      const log: string[] = [];
      const t = spawn(async (n: number) => {
        log.push("start");
        await sleep(1000);
        return n * 2;
      }, 21);
      log.push("after spawn");
      expect(await t.wait()).toBe(42);
      expect(log).toEqual(["after spawn", "start"]);
      expect(hub.now()).toBe(1000);
    }));
  test("timeout interrupts sleep", () =>
    withVirtualHub(async () => {
      const t = spawn(async () => {
        const to = new Timeout(50);
        try {
          await sleep(100);
        } finally {
          to.cancel();
        }
      });
      await expect(t.wait()).rejects.toBeInstanceOf(Timeout);
      const r = await withTimeout({ ms: 10, timeoutValue: "late" }, () => sleep(20));
      expect(r).toBe("late");
    }));
  test("kill", () =>
    withVirtualHub(async () => {
      const t = spawn(async () => {
        await sleep(1e9);
      });
      await sleep(0);
      await t.kill();
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      expect(getCurrent().name).toBe("main");
    }));
});
