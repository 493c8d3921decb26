import {
  GreenPool,
  GreenThread,
  GreenThreadExit,
  getCurrent,
  listThreads,
  setErrorReporter,
  setSpawnTracing,
  sleep,
  spawn,
  TendrilError,
  Timeout,
} from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

describe("GreenPool", () => {
  test("size is validated: an integer >= 0, errors naming the received value", () => {
    expect(new GreenPool().size).toBe(1000);
    expect(() => new GreenPool(-1)).toThrow(RangeError);
    expect(() => new GreenPool(-1)).toThrow("GreenPool size must be an integer >= 0, received -1");
    expect(() => new GreenPool("foo" as never)).toThrow(TypeError);
    expect(() => new GreenPool(2.5)).toThrow(/received 2.5/);
    expect(new GreenPool(0).free()).toBe(0);
    expect(() => new GreenPool(2).resize(-3)).toThrow(/received -3/);
  });

  test("spawn resolves to the thread, which wait()s for the result", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(2);
      const t = await pool.spawn(
        async (a: number, b: number) => {
          await sleep(5);
          return a + b;
        },
        2,
        3,
      );
      expect(t).toBeInstanceOf(GreenThread);
      expect(pool.running()).toBe(1);
      expect(await t.wait()).toBe(5);
      expect(pool.running()).toBe(0);
      expect(pool.free()).toBe(2);
    }));

  test("spawn waits for a free slot, and spawners are served FIFO", () =>
    withVirtualHub(async (hub) => {
      const pool = new GreenPool(2);
      const started: Array<[string, number]> = [];
      const job = async (name: string, ms: number) => {
        started.push([name, hub.now()]);
        await sleep(ms);
      };
      await pool.spawn(job, "a", 10);
      await pool.spawn(job, "b", 20);
      const spawners = ["c", "d"].map((name) => spawn(() => pool.spawn(job, name, 5)));
      await sleep(0);
      expect(pool.waiting()).toBe(2);
      expect(pool.free()).toBe(0);
      await pool.waitall();
      await Promise.all(spawners.map((s) => s.wait()));
      expect(started).toEqual([
        ["a", 0],
        ["b", 0],
        ["c", 10],
        ["d", 15],
      ]);
    }));

  test("never more than size threads run (property, with random durations and resizes)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 30 }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        (size, durations, resizeTo) =>
          withVirtualHub(async () => {
            const pool = new GreenPool(size);
            let running = 0;
            // A shrink never kills, so the bound is the larger of the two sizes.
            const bound = Math.max(size, resizeTo ?? size);
            let violations = 0;
            const task = async (ms: number) => {
              running++;
              if (running > bound || (resizeTo === undefined && running > size)) violations++;
              try {
                await sleep(ms);
              } finally {
                running--;
              }
            };
            for (let i = 0; i < durations.length; i++) {
              if (resizeTo !== undefined && i === durations.length >> 1) pool.resize(resizeTo);
              await pool.spawnN(task, durations[i] as number);
              expect(pool.running()).toBeLessThanOrEqual(bound);
            }
            await pool.waitall();
            expect(violations).toBe(0);
            expect(pool.running()).toBe(0);
            expect(pool.free()).toBe(pool.size);
          }),
      ),
      { numRuns: 60 },
    ));

  test("spawnN errors go to the error reporter and free the slot", () =>
    withVirtualHub(async () => {
      const errors: unknown[] = [];
      const previous = setErrorReporter((e) => errors.push(e));
      try {
        const pool = new GreenPool(1);
        await pool.spawnN(() => {
          throw new Error("boom");
        });
        await pool.spawnN(async () => sleep(1));
        await pool.waitall();
        expect(errors).toHaveLength(1);
        expect((errors[0] as Error).message).toBe("boom");
        expect(pool.free()).toBe(1);
      } finally {
        setErrorReporter(previous);
      }
    }));

  test("spawn errors are kept for wait(), and free() returns to full", () =>
    withVirtualHub(async () => {
      const previous = setErrorReporter(() => undefined); // "one" is waited for late on purpose
      const pool = new GreenPool(3);
      const threads = await Promise.all(
        [0, 1, 2].map((i) =>
          pool.spawn(async () => {
            await sleep(i);
            if (i === 1) throw new Error("one");
            return i;
          }),
        ),
      );
      await pool.waitall();
      expect(pool.free()).toBe(3);
      expect(await threads[0]?.wait()).toBe(0);
      await expect(threads[1]?.wait()).rejects.toThrow("one");
      setErrorReporter(previous);
    }));

  test("re-entrant: a spawn from a pool thread while the pool is full runs inline", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(1);
      const log: string[] = [];
      const outer = await pool.spawn(async () => {
        log.push("outer start");
        const inner = await pool.spawn(async () => {
          log.push("inner");
          expect(getCurrent()).toBe(outer);
          return 42;
        });
        log.push("after inner spawn");
        expect(inner.dead).toBe(true);
        expect(await inner.wait()).toBe(42);
        await pool.spawnN(() => {
          log.push("inner spawnN");
        });
      });
      await outer.wait();
      expect(log).toEqual(["outer start", "inner", "after inner spawn", "inner spawnN"]);
    }));

  test("waitall from inside the pool rejects with a clear error", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(2);
      const t = await pool.spawn(() => pool.waitall());
      const error = await t.wait().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TendrilError);
      expect((error as TendrilError).code).toBe("ERR_TENDRIL_WAITALL_INSIDE_POOL");
    }));

  test("resize never kills: free() goes negative, spawns wait, waitall still works", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(3);
      for (let i = 0; i < 3; i++) await pool.spawnN(() => sleep(10));
      pool.resize(1);
      expect(pool.free()).toBe(-2);
      expect(pool.running()).toBe(3);
      let started = false;
      const spawner = spawn(() =>
        pool.spawnN(() => {
          started = true;
        }),
      );
      await sleep(0);
      expect(pool.waiting()).toBe(1);
      await pool.waitall();
      await spawner.wait();
      await pool.waitall();
      expect(started).toBe(true);
      expect(pool.free()).toBe(1);
    }));

  test("growing takes effect at once and wakes waiting spawners", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(1);
      await pool.spawnN(() => sleep(100));
      const spawner = spawn(() => pool.spawnN(() => sleep(1)));
      await sleep(0);
      expect(pool.waiting()).toBe(1);
      pool.resize(2);
      await spawner.wait();
      expect(pool.running()).toBe(2);
      await pool.waitall();
    }));

  test("a spawn that waited for a slot resolves once its thread is spawned, and traces its caller", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(1);
      await pool.spawnN(() => sleep(10));
      const previous = setSpawnTracing(true);
      let parked: Promise<GreenThread<string>>;
      try {
        parked = pool.spawn(async function late() {
          await sleep(5);
          return "late";
        });
      } finally {
        setSpawnTracing(previous);
      }
      expect(pool.waiting()).toBe(1);
      const t = await parked;
      expect(t.dead).toBe(false);
      expect(pool.running()).toBe(1);
      const info = listThreads().find((i) => i.id === t.id);
      expect(info?.spawnedAt).toMatch(/green-pool\.test\.ts/);
      expect(await t.wait()).toBe("late");
    }));

  test("a spawner killed or timed out while waiting takes no slot", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(1);
      await pool.spawnN(() => sleep(50));
      const killed = spawn(() => pool.spawn(() => "never"));
      const timed = spawn(async () => {
        using _t = new Timeout(10);
        return await pool.spawn(() => "never");
      });
      await sleep(0);
      expect(pool.waiting()).toBe(2);
      await killed.kill();
      await expect(timed.wait()).rejects.toBeInstanceOf(Timeout);
      expect(pool.waiting()).toBe(0);
      await pool.waitall();
      expect(pool.free()).toBe(1);
      await expect(killed.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    }));

  test("killing a pool thread frees its slot for the next spawner", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(1);
      const t = await pool.spawn(() => sleep(1_000_000));
      const next = spawn(() => pool.spawn(() => "next"));
      await sleep(0);
      await t.kill();
      const second = await next.wait();
      expect(await second.wait()).toBe("next");
      expect(pool.free()).toBe(1);
    }));

  test("waitall is a green operation: a Timeout interrupts it and the pool is unaffected", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(1);
      await pool.spawnN(() => sleep(100));
      const t = new Timeout(10);
      await expect(pool.waitall()).rejects.toBe(t);
      expect(pool.running()).toBe(1);
      await pool.waitall();
      expect(pool.running()).toBe(0);
    }));

  test("await using waits for every thread", () =>
    withVirtualHub(async (hub) => {
      {
        await using pool = new GreenPool(2);
        await pool.spawnN(() => sleep(30));
      }
      expect(hub.now()).toBe(30);
    }));

  test("GreenPool(0) makes spawn wait forever (until interrupted)", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(0);
      const t = spawn(() => pool.spawnN(() => undefined));
      await sleep(1000);
      expect(pool.waiting()).toBe(1);
      await t.kill();
      expect(pool.waiting()).toBe(0);
    }));
});
