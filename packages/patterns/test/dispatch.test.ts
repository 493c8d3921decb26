import { GreenPool, sleep, spawn } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import {
  CallTimeout,
  DeadlineExceeded,
  dispatch,
  FanoutLimitExceeded,
  type Settled,
} from "@tendril/patterns";
import { describe, expect, test } from "vitest";

const errorOf = (entry: Settled<unknown> | undefined): unknown =>
  entry !== undefined && !entry.ok ? entry.error : undefined;

const after = async <T>(ms: number, value: T): Promise<T> => {
  await sleep(ms);
  return value;
};

describe("dispatch", () => {
  test("returns one entry per item in input order, whatever the finishing order", () =>
    withVirtualHub(async (hub) => {
      const pool = new GreenPool(10);
      const results = await dispatch([30, 10, 20], (ms) => after(ms, `waited ${ms}`), { pool });
      expect(results.map((r) => r.ok && r.value)).toEqual(["waited 30", "waited 10", "waited 20"]);
      expect(results.map((r) => r.ms)).toEqual([30, 10, 20]);
      expect(hub.now()).toBe(30); // concurrent: as long as the slowest
    }));

  test("a failing call is an error entry, not a failed dispatch", () =>
    withVirtualHub(async () => {
      const boom = new Error("upstream down");
      const results = await dispatch([1, 2, 3], async (n) => {
        await sleep(n);
        if (n === 2) throw boom;
        return n * 10;
      });
      expect(results[0]).toMatchObject({ ok: true, value: 10 });
      expect(results[1]).toMatchObject({ ok: false, error: boom });
      expect(results[2]).toMatchObject({ ok: true, value: 30 });
    }));

  test("a call past its own timeout becomes an CallTimeout entry", () =>
    withVirtualHub(async (hub) => {
      const results = await dispatch([5, 500], (ms) => after(ms, ms), { timeout: 100 });
      expect(results[0]).toMatchObject({ ok: true, value: 5 });
      expect(errorOf(results[1])).toBeInstanceOf(CallTimeout);
      expect(hub.now()).toBe(100);
    }));

  test("the deadline answers on time with partial results and kills the stragglers", () =>
    withVirtualHub(async (hub) => {
      const pool = new GreenPool(10);
      let finishedSlow = false;
      const results = await dispatch(
        [10, 1000, 20],
        async (ms) => {
          await sleep(ms);
          if (ms === 1000) finishedSlow = true;
          return ms;
        },
        { pool, deadlineMs: 50 },
      );
      expect(hub.now()).toBe(50);
      expect(results[0]).toMatchObject({ ok: true, value: 10 });
      expect(results[2]).toMatchObject({ ok: true, value: 20 });
      const slow = errorOf(results[1]);
      expect(slow).toBeInstanceOf(DeadlineExceeded);
      expect((slow as DeadlineExceeded).started).toBe(true);
      await sleep(0);
      expect(pool.running()).toBe(0); // the straggler gave its slot back
      expect(finishedSlow).toBe(false);
    }));

  test("calls share the global pool: a full pool delays them, and the deadline covers the wait", () =>
    withVirtualHub(async (hub) => {
      const pool = new GreenPool(2);
      const hog = spawn(() => dispatch([1000, 1000], (ms) => sleep(ms), { pool }));
      for (let i = 0; i < 10 && pool.free() > 0; i++) await sleep(0);
      expect(pool.free()).toBe(0);
      const results = await dispatch([1, 2], (n) => n, { pool, deadlineMs: 100 });
      expect(hub.now()).toBe(100);
      for (const r of results) {
        expect(errorOf(r)).toBeInstanceOf(DeadlineExceeded);
        expect((errorOf(r) as DeadlineExceeded).started).toBe(false);
      }
      await hog.wait();
    }));

  test("never runs more calls at once than the pool's size, across requests", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(3);
      let active = 0;
      let peak = 0;
      const call = async () => {
        active++;
        peak = Math.max(peak, active);
        await sleep(10);
        active--;
        return 1;
      };
      const requests = [0, 1, 2].map(() => spawn(() => dispatch([1, 2, 3, 4], call, { pool })));
      for (const r of requests) expect((await r.wait()).every((e) => e.ok)).toBe(true);
      expect(peak).toBe(3);
    }));

  test("refuses more items than maxFanout before starting any call", () =>
    withVirtualHub(async () => {
      let calls = 0;
      const fn = () => {
        calls++;
        return 1;
      };
      await expect(dispatch([1, 2, 3], fn, { maxFanout: 2 })).rejects.toBeInstanceOf(
        FanoutLimitExceeded,
      );
      expect(calls).toBe(0);
      expect((await dispatch([1, 2], fn, { maxFanout: 2 })).length).toBe(2);
    }));

  test("killing the dispatching thread kills its calls", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(5);
      let finished = 0;
      const request = spawn(() =>
        dispatch(
          [100, 100, 100],
          async (ms) => {
            await sleep(ms);
            finished++;
          },
          { pool },
        ),
      );
      await sleep(10);
      expect(pool.running()).toBe(3);
      await request.kill();
      await sleep(0);
      expect(pool.running()).toBe(0);
      await sleep(200);
      expect(finished).toBe(0);
    }));

  test("an empty list is an empty result at once", () =>
    withVirtualHub(async (hub) => {
      expect(await dispatch([], () => 1, { deadlineMs: 10 })).toEqual([]);
      expect(hub.now()).toBe(0);
    }));

  test("rejects bad options with errors naming the value", async () => {
    await expect(dispatch([1], () => 1, { deadlineMs: -1 })).rejects.toThrow(/deadline.*-1/);
    await expect(dispatch([1], () => 1, { maxFanout: 1.5 })).rejects.toThrow(/maxFanout.*1.5/);
    await expect(dispatch([1], "nope" as never)).rejects.toThrow(/fn must be a function/);
  });
});
