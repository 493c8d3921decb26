import {
  BoundedSemaphore,
  CappedSemaphore,
  GreenThreadExit,
  Semaphore,
  sleep,
  spawn,
  TendrilError,
  Timeout,
} from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

describe("Semaphore", () => {
  test("validates its value, naming what it received", () => {
    expect(() => new Semaphore(-1)).toThrow(RangeError);
    expect(() => new Semaphore(-1)).toThrow(/received -1/);
    expect(() => new Semaphore("2" as never)).toThrow(TypeError);
    expect(() => new Semaphore(1.5)).toThrow(/received 1.5/);
    expect(new Semaphore().counter).toBe(1);
  });

  test("acquire takes a permit at once while one is free, and locked() tells when none is", async () => {
    const sem = new Semaphore(2);
    expect(await sem.acquire()).toBe(true);
    expect(sem.locked()).toBe(false);
    expect(await sem.acquire()).toBe(true);
    expect(sem.locked()).toBe(true);
    expect(await sem.acquire({ blocking: false })).toBe(false);
    expect(sem.tryAcquire()).toBe(false);
    sem.release();
    expect(sem.counter).toBe(1);
  });

  test("blocking acquirers are served FIFO, one per release", () =>
    withVirtualHub(async () => {
      const sem = new Semaphore(0);
      const order: number[] = [];
      const threads = [0, 1, 2, 3].map((i) =>
        spawn(async () => {
          await sem.acquire();
          order.push(i);
        }),
      );
      await sleep(0);
      expect(sem.balance).toBe(-4);
      for (let i = 0; i < 4; i++) {
        sem.release();
        await sleep(0);
      }
      await Promise.all(threads.map((t) => t.wait()));
      expect(order).toEqual([0, 1, 2, 3]);
      expect(sem.counter).toBe(0);
    }));

  test("no acquire barges past waiters: a released permit goes to the oldest waiter", () =>
    withVirtualHub(async () => {
      const sem = new Semaphore(0);
      const log: string[] = [];
      const waiter = spawn(async () => {
        await sem.acquire();
        log.push("waiter");
      });
      await sleep(0);
      sem.release();
      // The permit is the waiter's already: a non-blocking or timed acquire gets nothing.
      expect(await sem.acquire({ blocking: false })).toBe(false);
      expect(sem.tryAcquire()).toBe(false);
      await waiter.wait();
      expect(log).toEqual(["waiter"]);
    }));

  test("acquire with a timeout resolves false after the time, and leaves no waiter behind", () =>
    withVirtualHub(async (hub) => {
      const sem = new Semaphore(0);
      expect(await sem.acquire({ timeout: 50 })).toBe(false);
      expect(hub.now()).toBe(50);
      expect(sem.balance).toBe(0);
      sem.release();
      expect(sem.counter).toBe(1);
    }));

  test("rejects a timeout combined with blocking: false, and a negative timeout", () => {
    const sem = new Semaphore(1);
    expect(() => sem.acquire({ blocking: false, timeout: 10 })).toThrow(TypeError);
    expect(() => sem.acquire({ timeout: -1 })).toThrow(RangeError);
  });

  test("a waiter that is killed or timed out leaves the queue without a permit", () =>
    withVirtualHub(async () => {
      const sem = new Semaphore(0);
      const killed = spawn(() => sem.acquire());
      const timed = spawn(async () => {
        using _t = new Timeout(10);
        return await sem.acquire();
      });
      const patient = spawn(() => sem.acquire());
      await sleep(0);
      expect(sem.balance).toBe(-3);
      await killed.kill();
      await expect(timed.wait()).rejects.toBeInstanceOf(Timeout);
      expect(sem.balance).toBe(-1);
      sem.release();
      expect(await patient.wait()).toBe(true);
      expect(sem.counter).toBe(0);
      await expect(killed.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    }));

  test("hold() releases on dispose, once", () =>
    withVirtualHub(async () => {
      const sem = new Semaphore(1);
      {
        using permit = await sem.hold();
        expect(sem.counter).toBe(0);
        expect(permit.held).toBe(true);
        permit.release();
        permit.release();
        expect(sem.counter).toBe(1);
        await sem.acquire();
      }
      expect(sem.counter).toBe(0);
      sem.release();
      {
        await using _p = await sem.hold();
        expect(sem.locked()).toBe(true);
      }
      expect(sem.counter).toBe(1);
    }));

  test("permits are conserved under random acquires, timeouts, kills and releases", () =>
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.record({
            kind: fc.constantFrom("hold", "timed", "nowait", "killed"),
            delay: fc.integer({ min: 0, max: 20 }),
            work: fc.integer({ min: 0, max: 20 }),
          }),
          { maxLength: 25 },
        ),
        (initial, ops) =>
          withVirtualHub(async () => {
            const sem = new Semaphore(initial);
            let holding = 0;
            let maxHolding = 0;
            const threads = ops.map((op) =>
              spawn(async () => {
                await sleep(op.delay);
                let got: boolean;
                if (op.kind === "nowait") got = await sem.acquire({ blocking: false });
                else if (op.kind === "timed") got = await sem.acquire({ timeout: op.work });
                else got = await sem.acquire();
                if (!got) return;
                holding++;
                maxHolding = Math.max(maxHolding, holding);
                try {
                  await sleep(op.work);
                } finally {
                  holding--;
                  sem.release();
                }
              }),
            );
            const victims = threads.filter((_, i) => ops[i]?.kind === "killed");
            await sleep(10);
            await Promise.all(victims.map((t) => t.kill()));
            await Promise.all(threads.map((t) => t.wait().catch(() => undefined)));
            expect(maxHolding).toBeLessThanOrEqual(initial);
            expect(sem.counter).toBe(initial);
            expect(sem.balance).toBe(initial);
          }),
      ),
      { numRuns: 60 },
    ));
});

describe("BoundedSemaphore", () => {
  test("releasing past the initial value throws", async () => {
    const sem = new BoundedSemaphore(2);
    await sem.acquire();
    sem.release();
    expect(() => sem.release()).toThrow(TendrilError);
    try {
      sem.release();
    } catch (error) {
      expect((error as TendrilError).code).toBe("ERR_TENDRIL_SEMAPHORE_OVER_RELEASED");
    }
    expect(sem.counter).toBe(2);
  });
});

describe("CappedSemaphore", () => {
  test("validates count and limit", () => {
    expect(() => new CappedSemaphore(3, 2)).toThrow(/<= limit \(2\), received 3/);
    expect(() => new CappedSemaphore(-1, 2)).toThrow(RangeError);
    expect(() => new CappedSemaphore(0, "x" as never)).toThrow(TypeError);
  });

  test("release waits at the limit until someone acquires", () =>
    withVirtualHub(async () => {
      const sem = new CappedSemaphore(0, 2);
      await sem.release();
      await sem.release();
      expect(sem.counter).toBe(2);
      expect(sem.bounded()).toBe(true);
      expect(await sem.release({ blocking: false })).toBe(false);
      let released = false;
      const releaser = spawn(async () => {
        await sem.release();
        released = true;
      });
      await sleep(0);
      expect(released).toBe(false);
      // Eventlet's formula: (2 + 1 waiting releaser) - (2 - 2 - 1) = 4.
      expect(sem.balance).toBe(4);
      expect(await sem.acquire()).toBe(true);
      await releaser.wait();
      expect(released).toBe(true);
      expect(sem.counter).toBe(2);
    }));

  test("a release waiting at the limit is a green operation: kill takes it out of the line", () =>
    withVirtualHub(async () => {
      const sem = new CappedSemaphore(1, 1);
      const releaser = spawn(() => sem.release());
      await sleep(0);
      expect(sem.balance).toBe(3);
      await releaser.kill();
      expect(sem.balance).toBe(1);
      expect(await sem.acquire()).toBe(true);
      expect(sem.counter).toBe(0);
    }));

  test("acquire waits at 0, times out with false, and is FIFO", () =>
    withVirtualHub(async () => {
      const sem = new CappedSemaphore(0, 1);
      expect(sem.locked()).toBe(true);
      expect(await sem.acquire({ timeout: 5 })).toBe(false);
      const order: number[] = [];
      const ts = [0, 1].map((i) =>
        spawn(async () => {
          await sem.acquire();
          order.push(i);
        }),
      );
      await sleep(0);
      // (0 - 2 acquirers) - (1 - 0 + 2) = -5, as Eventlet counts it.
      expect(sem.balance).toBe(-5);
      await sem.release();
      await sem.release();
      await Promise.all(ts.map((t) => t.wait()));
      expect(order).toEqual([0, 1]);
      expect(sem.counter).toBe(0);
    }));

  test("CappedSemaphore(0, 0) is a rendezvous: a release meets a waiting acquirer, no deadlock", () =>
    withVirtualHub(async () => {
      const sem = new CappedSemaphore(0, 0);
      const acquirer = spawn(() => sem.acquire());
      await sleep(0);
      expect(sem.waiting()).toBe(1);
      expect(sem.bounded()).toBe(false);
      expect(await sem.release()).toBe(true);
      expect(await acquirer.wait()).toBe(true);
      expect(sem.counter).toBe(0);
      // And the other way round: a waiting releaser hands its value to the next acquire.
      const releaser = spawn(() => sem.release());
      await sleep(0);
      expect(sem.releasing()).toBe(1);
      expect(sem.locked()).toBe(false);
      expect(await sem.acquire({ blocking: false })).toBe(true);
      expect(await releaser.wait()).toBe(true);
      expect(sem.counter).toBe(0);
      expect(await sem.release({ timeout: 5 })).toBe(false);
      expect(await sem.acquire({ blocking: false })).toBe(false);
    }));

  test("tryAcquire and tryRelease never wait: they answer as the blocking: false forms do", () =>
    withVirtualHub(async () => {
      const sem = new CappedSemaphore(1, 2);
      expect(sem.tryAcquire()).toBe(true);
      expect(sem.tryAcquire()).toBe(false);
      expect(sem.counter).toBe(0);
      expect(sem.tryRelease()).toBe(true);
      expect(sem.tryRelease()).toBe(true);
      expect(sem.tryRelease()).toBe(false);
      expect(sem.counter).toBe(2);
      // A waiting releaser hands its value over: tryAcquire takes it and lets the releaser go.
      const releaser = spawn(() => sem.release());
      await sleep(0);
      expect(sem.releasing()).toBe(1);
      expect(sem.tryAcquire()).toBe(true);
      expect(await releaser.wait()).toBe(true);
      expect(sem.counter).toBe(2);
      // A waiting acquirer is handed tryRelease's value directly.
      const zero = new CappedSemaphore(0, 0);
      const acquirer = spawn(() => zero.acquire());
      await sleep(0);
      expect(zero.tryRelease()).toBe(true);
      expect(await acquirer.wait()).toBe(true);
      expect(zero.tryAcquire()).toBe(false);
      expect(zero.tryRelease()).toBe(false);
    }));

  test("balance is the lower bound's balance minus the upper bound's, as in Eventlet", () =>
    withVirtualHub(async () => {
      expect(new CappedSemaphore(2, 3).balance).toBe(1);
      expect(new CappedSemaphore(0, 0).balance).toBe(0);
      const sem = new CappedSemaphore(0, 0);
      const acquirer = spawn(() => sem.acquire());
      await sleep(0);
      // lower: 0 - 1 waiting; upper: 0 + 1 room made by the waiting acquirer.
      expect(sem.balance).toBe(-2);
      await acquirer.kill();
      expect(sem.balance).toBe(0);
    }));

  test("a killed or timed-out waiter never moves the counter (random schedules)", () =>
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.constantFrom("acquire", "release", "kill"), { maxLength: 30 }),
        (limit, steps) =>
          withVirtualHub(async () => {
            const sem = new CappedSemaphore(0, limit);
            let value = 0;
            const live: Array<ReturnType<typeof spawn<[], boolean>>> = [];
            for (const step of steps) {
              if (step === "kill") {
                const t = live.shift();
                if (t !== undefined) await t.kill();
              } else if (step === "acquire") {
                live.push(
                  spawn(async () => {
                    const ok = await sem.acquire();
                    value--;
                    return ok;
                  }),
                );
              } else {
                live.push(
                  spawn(async () => {
                    const ok = await sem.release();
                    value++;
                    return ok;
                  }),
                );
              }
              await sleep(0);
              expect(sem.counter).toBe(value);
              expect(sem.counter).toBeGreaterThanOrEqual(0);
              expect(sem.counter).toBeLessThanOrEqual(limit);
            }
            for (const t of live) await t.kill();
            expect(sem.counter).toBe(value);
          }),
      ),
      { numRuns: 60 },
    ));
});
