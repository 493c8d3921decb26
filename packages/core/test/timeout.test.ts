import {
  GreenThreadExit,
  getHub,
  isTimeout,
  sleep,
  spawn,
  suspend,
  Timeout,
  withTimeout,
} from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { describe, expect, test } from "vitest";

describe("Timeout", () => {
  test("rejects the pending green operation with the Timeout itself", () =>
    withVirtualHub(async (hub) => {
      const t = spawn(async () => {
        const timeout = new Timeout(50);
        try {
          await sleep(1000);
          return "slept";
        } catch (error) {
          return { same: error === timeout, at: hub.now(), isTimeout: isTimeout(error) };
        } finally {
          timeout.cancel();
        }
      });
      expect(await t.wait()).toEqual({ same: true, at: 50, isTimeout: true });
    }));

  test("rejects with the custom error it was given; false means the Timeout itself", () =>
    withVirtualHub(async () => {
      const custom = new Error("too slow");
      const a = spawn(async () => {
        using _t = new Timeout(10, custom);
        await sleep(100);
      });
      await expect(a.wait()).rejects.toBe(custom);
      const b = spawn(async () => {
        using _t = new Timeout(10, false);
        await sleep(100);
      });
      await expect(b.wait()).rejects.toBeInstanceOf(Timeout);
    }));

  test("null or undefined never fires; pending and cancel report the timer's state", () =>
    withVirtualHub(async (hub) => {
      const never = new Timeout(null);
      expect(never.pending).toBe(false);
      const t = new Timeout(10);
      expect(t.pending).toBe(true);
      expect(t.code).toBe("ERR_TENDRIL_TIMEOUT");
      expect(t.message).toBe("timed out after 10 ms");
      t.cancel();
      expect(t.pending).toBe(false);
      expect(hub.pendingTimers()).toBe(0);
      await sleep(20); // a cancelled Timeout never fires
      t.start();
      expect(t.pending).toBe(true);
      t.cancel();
    }));

  test("a Timeout that fires outside a green operation is thrown at the next one", () =>
    withVirtualHub(async () => {
      const t = spawn(async () => {
        const timeout = new Timeout(5);
        // A long stretch with no green operation: advance time by sleeping in another thread.
        await new Promise<void>((resolve) =>
          spawn(async () => {
            await sleep(10);
            resolve();
          }),
        );
        try {
          await sleep(0);
          return "no";
        } catch (error) {
          return error === timeout;
        }
      });
      expect(await t.wait()).toBe(true);
    }));

  test("cancelling a Timeout that fired but was not yet delivered withdraws it", () =>
    withVirtualHub(async () => {
      const t = spawn(async () => {
        const timeout = new Timeout(5);
        await new Promise<void>((resolve) =>
          spawn(async () => {
            await sleep(10);
            resolve();
          }),
        );
        timeout.cancel();
        await sleep(1);
        return "ok";
      });
      expect(await t.wait()).toBe("ok");
    }));

  test("an outer Timeout passes through an inner one", () =>
    withVirtualHub(async () => {
      const t = spawn(async () => {
        const outer = new Timeout(10);
        try {
          await withTimeout({ ms: 100, timeoutValue: "inner" }, () => sleep(1000));
          return "no";
        } catch (error) {
          return error === outer ? "outer" : "other";
        } finally {
          outer.cancel();
        }
      });
      expect(await t.wait()).toBe("outer");
    }));

  test("the timers of a thread's forgotten Timeouts are released when it ends", () =>
    withVirtualHub(async (hub) => {
      await spawn(() => {
        new Timeout(1000);
      }).wait();
      expect(hub.pendingTimers()).toBe(0);
    }));

  test("validates ms, naming the received value", () => {
    expect(() => new Timeout(-1)).toThrow(
      new RangeError("Timeout ms must be a number >= 0, null or undefined, received -1"),
    );
    expect(() => new Timeout("5" as never)).toThrow(TypeError);
  });

  test("a kill is never overwritten by a Timeout", () =>
    withVirtualHub(async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const t = spawn(async () => {
        const timeout = new Timeout(5);
        await gate;
        try {
          await sleep(0);
        } finally {
          timeout.cancel();
        }
      });
      await sleep(0);
      const killed = t.kill();
      await sleep(10); // the Timeout fires after the kill was kept
      release();
      await killed;
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    }));
});

describe("withTimeout", () => {
  test("returns the function's result when it finishes in time", () =>
    withVirtualHub(async () => {
      const slowIdentity = async (x: number) => {
        await sleep(10);
        return x;
      };
      expect(await withTimeout(100, slowIdentity, 5)).toBe(5);
      expect(await withTimeout(100, (x: number) => x + 1, 5)).toBe(6);
    }));

  test("rejects with its own Timeout, or resolves timeoutValue in the options form", () =>
    withVirtualHub(async (hub) => {
      await expect(withTimeout(10, () => sleep(100))).rejects.toBeInstanceOf(Timeout);
      expect(await withTimeout({ ms: 10, timeoutValue: null }, () => sleep(100))).toBeNull();
      expect(hub.pendingTimers()).toBe(0);
    }));

  test("returns on time even when the function waits on a promise that is not green", () =>
    withVirtualHub(async (hub) => {
      const start = hub.now();
      const result = await withTimeout(
        { ms: 30, timeoutValue: "late" },
        () => new Promise(() => {}),
      );
      expect(result).toBe("late");
      expect(hub.now() - start).toBe(30);
    }));

  test("passes errors of the function through", () =>
    withVirtualHub(async () => {
      await expect(
        withTimeout(100, () => {
          throw new Error("own");
        }),
      ).rejects.toThrow("own");
      await expect(
        withTimeout(100, () => suspend((w) => void w.reject(new Error("async own")))),
      ).rejects.toThrow("async own");
      await expect(withTimeout(5, 5 as never)).rejects.toThrow(TypeError);
    }));

  test("uses the hub's clock", () =>
    withVirtualHub(async (hub) => {
      expect(getHub()).toBe(hub);
    }));
});
