import {
  GreenThreadExit,
  getHub,
  ResourcePool,
  setErrorReporter,
  sleep,
  spawn,
  TendrilError,
  Timeout,
  withTimeout,
} from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

/** A fake resource with an id, recording its life in `log`. */
class Conn {
  static next = 0;
  readonly id = ++Conn.next;
  open = true;
}

function makePool(
  options: { max?: number; min?: number; idleTimeoutMs?: number; order?: "lifo" | "fifo" } = {},
) {
  const created: Conn[] = [];
  const destroyed: Conn[] = [];
  const pool = new ResourcePool<Conn>({
    create: async () => {
      await sleep(1);
      const c = new Conn();
      created.push(c);
      return c;
    },
    destroy: (c) => {
      c.open = false;
      destroyed.push(c);
    },
    validate: (c) => c.open,
    ...options,
  });
  return { pool, created, destroyed };
}

describe("ResourcePool", () => {
  test("reuses a released resource instead of creating another", () =>
    withVirtualHub(async () => {
      const { pool, created } = makePool({ max: 2 });
      const a = await pool.acquire();
      pool.release(a);
      const b = await pool.acquire();
      expect(b).toBe(a);
      expect(created).toHaveLength(1);
      expect([pool.size(), pool.idle(), pool.inUse()]).toEqual([1, 0, 1]);
      pool.release(b);
      await pool.close();
    }));

  test("never has more than max alive; waiters are served FIFO", () =>
    withVirtualHub(async () => {
      const { pool, created } = makePool({ max: 2 });
      const order: number[] = [];
      let busy = 0;
      let peak = 0;
      const workers = [0, 1, 2, 3, 4, 5].map((i) =>
        spawn(async () => {
          await using conn = await pool.item();
          order.push(i);
          busy++;
          peak = Math.max(peak, busy);
          await sleep(10);
          busy--;
          expect(conn.value.open).toBe(true);
        }),
      );
      await Promise.all(workers.map((w) => w.wait()));
      expect(order).toEqual([0, 1, 2, 3, 4, 5]);
      expect(peak).toBe(2);
      expect(created).toHaveLength(2);
      expect(pool.size()).toBe(2);
      await pool.close();
    }));

  test("a waiter killed or timed out leaves the line and loses no resource", () =>
    withVirtualHub(async () => {
      const { pool } = makePool({ max: 1 });
      const held = await pool.acquire();
      const killed = spawn(() => pool.acquire());
      const timedOut = spawn(() => withTimeout(5, () => pool.acquire()));
      const patient = spawn(() => pool.acquire());
      await sleep(1);
      expect(pool.waiting()).toBe(3);
      await killed.kill();
      await expect(timedOut.wait()).rejects.toBeInstanceOf(Timeout);
      expect(pool.waiting()).toBe(1);
      pool.release(held);
      expect(await patient.wait()).toBe(held);
      await expect(killed.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      pool.release(held);
      expect([pool.size(), pool.idle(), pool.waiting()]).toEqual([1, 1, 0]);
      await pool.close();
    }));

  test("kill interrupts a creation's own green operations and frees its room", () =>
    withVirtualHub(async () => {
      const { pool, created } = makePool({ max: 1 });
      const t = spawn(() => pool.acquire());
      await sleep(0);
      expect(pool.size()).toBe(1);
      await t.kill();
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      expect(created).toHaveLength(0);
      expect(pool.size()).toBe(0);
      await pool.close();
    }));

  test("a checkout interrupted while a plain-promise creation runs still adds its resource", () =>
    withVirtualHub(async () => {
      const created: Conn[] = [];
      const pool = new ResourcePool<Conn>({
        // Not a green operation: it runs on whatever happens to the thread that asked.
        create: () =>
          new Promise<Conn>((resolve) =>
            getHub().schedule(5, () => {
              const c = new Conn();
              created.push(c);
              resolve(c);
            }),
          ),
        max: 1,
      });
      const t = spawn(() => pool.acquire());
      await sleep(1);
      await t.kill();
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      expect(created).toHaveLength(0);
      await sleep(10);
      expect(created).toHaveLength(1);
      expect([pool.size(), pool.idle()]).toEqual([1, 1]);
      expect(await pool.acquire()).toBe(created[0]);
      pool.release(created[0] as Conn);
      await pool.close();
    }));

  test("discard destroys a broken resource and its room goes to the next waiter", () =>
    withVirtualHub(async () => {
      const { pool, created, destroyed } = makePool({ max: 1 });
      const broken = await pool.acquire();
      const waiter = spawn(() => pool.acquire());
      await sleep(0);
      pool.discard(broken);
      const fresh = await waiter.wait();
      expect(fresh).not.toBe(broken);
      expect(destroyed).toEqual([broken]);
      expect(created).toHaveLength(2);
      pool.release(fresh);
      // use() discards the resource its function failed with, and releases it otherwise.
      await expect(
        pool.use(async (c) => {
          expect(c).toBe(fresh);
          throw new Error("bad reply");
        }),
      ).rejects.toThrow("bad reply");
      expect(destroyed).toEqual([broken, fresh]);
      expect(await pool.use((c) => c.id)).toBe((created[2] as Conn).id);
      expect([pool.size(), pool.idle()]).toEqual([1, 1]);
      await pool.close();
    }));

  test("validate drops an idle resource that went bad; create errors reach the caller", () =>
    withVirtualHub(async () => {
      let fail = false;
      const pool = new ResourcePool<Conn>({
        create: () => {
          if (fail) throw new Error("connection refused");
          return new Conn();
        },
        validate: (c) => c.open,
        max: 1,
      });
      const a = await pool.acquire();
      pool.release(a);
      a.open = false; // it died while idle
      fail = true;
      await expect(pool.acquire()).rejects.toThrow("connection refused");
      expect(pool.size()).toBe(0);
      fail = false;
      const b = await pool.acquire();
      expect(b).not.toBe(a);
      pool.release(b);
      await pool.close();
    }));

  test("a checkout interrupted while validating gives the resource back", () =>
    withVirtualHub(async () => {
      const pool = new ResourcePool<Conn>({
        create: () => new Conn(),
        validate: async () => {
          await sleep(100);
          return true;
        },
        max: 1,
      });
      const first = await pool.acquire();
      pool.release(first);
      await expect(withTimeout(10, () => pool.acquire())).rejects.toBeInstanceOf(Timeout);
      expect([pool.size(), pool.idle(), pool.inUse()]).toEqual([1, 1, 0]);
      expect(await pool.acquire()).toBe(first);
      pool.release(first);
      await pool.close();
    }));

  test("idle resources are destroyed after idleTimeoutMs on the hub's clock, keeping min", () =>
    withVirtualHub(async (hub) => {
      const { pool, destroyed } = makePool({ max: 3, min: 1, idleTimeoutMs: 1000 });
      const items = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
      for (const c of items) pool.release(c);
      const t0 = hub.now();
      await sleep(999);
      expect(destroyed).toHaveLength(0);
      await sleep(2);
      expect(hub.now() - t0).toBe(1001);
      expect(destroyed).toHaveLength(2);
      expect(pool.idle()).toBe(1);
      await pool.close();
      expect(destroyed).toHaveLength(3);
    }));

  test("lifo reuses the newest idle resource, fifo the oldest", () =>
    withVirtualHub(async () => {
      for (const [order, pick] of [
        ["lifo", 1],
        ["fifo", 0],
      ] as const) {
        const { pool } = makePool({ max: 2, order });
        const both = [await pool.acquire(), await pool.acquire()];
        pool.release(both[0] as Conn);
        pool.release(both[1] as Conn);
        const next = await pool.acquire();
        expect(next).toBe(both[pick]);
        pool.release(next);
        await pool.close();
      }
    }));

  test("close rejects waiters, destroys idle resources, and waits for checked-out ones", () =>
    withVirtualHub(async () => {
      const { pool, destroyed } = makePool({ max: 2 });
      const a = await pool.acquire();
      const b = await pool.acquire();
      pool.release(b);
      const c = await pool.acquire();
      expect(c).toBe(b);
      const waiter = spawn(() => pool.acquire());
      await sleep(0);
      let closed = false;
      const closing = pool.close().then(() => {
        closed = true;
      });
      await expect(waiter.wait()).rejects.toMatchObject({ code: "ERR_TENDRIL_POOL_CLOSED" });
      await sleep(10);
      expect(closed).toBe(false);
      pool.release(a);
      pool.release(c);
      await closing;
      expect(destroyed).toEqual([a, c]);
      expect(pool.size()).toBe(0);
      await expect(pool.acquire()).rejects.toBeInstanceOf(TendrilError);
    }));

  test("drain destroys idle resources and keeps the pool open", () =>
    withVirtualHub(async () => {
      const { pool, destroyed } = makePool({ max: 2 });
      const a = await pool.acquire();
      const b = await pool.acquire();
      pool.release(a);
      await pool.drain();
      expect(destroyed).toEqual([a]);
      expect([pool.size(), pool.inUse()]).toEqual([1, 1]);
      pool.release(b);
      const again = await pool.acquire();
      expect(again).toBe(b);
      pool.release(again);
      await pool.close();
    }));

  test("releasing what is not checked out is a typed error naming it", () =>
    withVirtualHub(async () => {
      const { pool } = makePool();
      const a = await pool.acquire();
      pool.release(a);
      expect(() => pool.release(a)).toThrow(/ERR_TENDRIL_POOL_NOT_CHECKED_OUT|not checked out/);
      expect(() => pool.discard(new Conn())).toThrow(/received an instance of Conn/);
      await pool.close();
    }));

  test("a destroy that fails is reported, not thrown", () =>
    withVirtualHub(async (hub) => {
      const pool = new ResourcePool({
        create: () => ({}),
        destroy: () => Promise.reject(new Error("close failed")),
      });
      const previous = setErrorReporter(() => undefined);
      try {
        pool.discard(await pool.acquire());
        await pool.close();
      } finally {
        setErrorReporter(previous);
      }
      expect(hub.reportedErrors.map((r) => (r.error as Error).message)).toEqual(["close failed"]);
    }));

  test("bad options are refused with errors naming the received value", () => {
    const create = () => 1;
    expect(() => new ResourcePool(undefined as never)).toThrow(/received undefined/);
    expect(() => new ResourcePool({} as never)).toThrow(
      /create must be a function, received undefined/,
    );
    expect(() => new ResourcePool({ create, max: 0 })).toThrow(RangeError);
    expect(() => new ResourcePool({ create, max: 1.5 })).toThrow(/received 1.5/);
    expect(() => new ResourcePool({ create, max: 2, min: 3 })).toThrow(/received 3/);
    expect(() => new ResourcePool({ create, idleTimeoutMs: -1 })).toThrow(/received -1/);
    expect(() => new ResourcePool({ create, order: "random" as never })).toThrow(
      /received "random"/,
    );
    expect(() => new ResourcePool({ create, destroy: "x" as never })).toThrow(TypeError);
  });

  test("no resource or room is lost under random checkouts, kills, timeouts and discards", () =>
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.record({
            kind: fc.constantFrom("release", "discard", "kill", "timeout"),
            hold: fc.integer({ min: 0, max: 4 }),
            wait: fc.integer({ min: 0, max: 3 }),
          }),
          { maxLength: 25 },
        ),
        (max, steps) =>
          withVirtualHub(async () => {
            const { pool, created, destroyed } = makePool({ max });
            const threads = steps.map((step) =>
              spawn(async () => {
                if (step.kind === "timeout") {
                  await withTimeout({ ms: step.wait, timeoutValue: null }, async () => {
                    await using _c = await pool.item();
                    await sleep(step.hold);
                  });
                  return;
                }
                await using c = await pool.item();
                await sleep(step.hold);
                if (step.kind === "discard") c.discard();
              }),
            );
            await sleep(1);
            for (let i = 0; i < steps.length; i++) {
              if (steps[i]?.kind === "kill") await threads[i]?.kill();
              await sleep(steps[i]?.wait ?? 0);
            }
            for (const t of threads) await t.wait().catch(() => undefined);
            await sleep(2);
            // Every resource created is idle or destroyed, none is out, nobody waits, and the
            // pool still serves a checkout at once.
            expect(pool.waiting()).toBe(0);
            expect(pool.inUse()).toBe(0);
            expect(pool.size()).toBe(created.length - destroyed.length);
            expect(pool.size()).toBeLessThanOrEqual(max);
            expect(pool.idle()).toBe(pool.size());
            await pool.use(() => undefined);
            await pool.close();
            expect(destroyed).toHaveLength(created.length);
          }),
      ),
      { numRuns: 40 },
    ));
});
