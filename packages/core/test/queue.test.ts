import {
  GreenThreadExit,
  LifoQueue,
  LightQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  sleep,
  spawn,
  TendrilError,
  Timeout,
} from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

describe("Queue sizing", () => {
  test("undefined, null, Infinity and negative maxsize mean unbounded", () => {
    for (const m of [undefined, null, Number.POSITIVE_INFINITY, -1]) {
      const q = new Queue<number>(m);
      for (let i = 0; i < 100; i++) q.putNowait(i);
      expect(q.full()).toBe(false);
      expect(q.maxsize).toBe(Number.POSITIVE_INFINITY);
    }
  });

  test("an invalid maxsize is rejected, naming the received value", () => {
    expect(() => new Queue(1.5)).toThrow(/received 1.5/);
    expect(() => new Queue("3" as never)).toThrow(TypeError);
  });

  test("a bounded queue refuses putNowait when full and getNowait when empty", () => {
    const q = new Queue<string>(2);
    q.putNowait("a");
    q.putNowait("b");
    expect(q.full()).toBe(true);
    expect(() => q.putNowait("c")).toThrow(QueueFull);
    expect(q.getNowait()).toBe("a");
    expect(q.getNowait()).toBe("b");
    expect(q.empty()).toBe(true);
    expect(() => q.getNowait()).toThrow(QueueEmpty);
    try {
      q.getNowait();
    } catch (error) {
      expect((error as TendrilError).code).toBe("ERR_TENDRIL_QUEUE_EMPTY");
    }
  });
});

describe("Queue waiting", () => {
  test("put waits while full and get wakes the oldest putter", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>(1);
      await q.put(1);
      const order: number[] = [];
      const putters = [2, 3].map((n) =>
        spawn(async () => {
          await q.put(n);
          order.push(n);
        }),
      );
      await sleep(0);
      expect(q.putting()).toBe(2);
      expect(await q.get()).toBe(1);
      expect(await q.get()).toBe(2);
      expect(await q.get()).toBe(3);
      await Promise.all(putters.map((t) => t.wait()));
      expect(order).toEqual([2, 3]);
    }));

  test("getNowait lets the oldest waiting putter in", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const putter = spawn(() => q.put(2));
      await sleep(0);
      expect(q.getNowait()).toBe(1);
      expect(q.qsize()).toBe(1);
      await putter.wait();
      expect(q.getNowait()).toBe(2);
    }));

  test("getters are served FIFO", () =>
    withVirtualHub(async () => {
      const q = new LightQueue<number>();
      const got: Array<[number, number]> = [];
      const getters = [0, 1, 2, 3, 4].map((i) =>
        spawn(async () => {
          got.push([i, await q.get()]);
        }),
      );
      await sleep(0);
      expect(q.getting()).toBe(5);
      for (let n = 10; n < 15; n++) q.putNowait(n);
      await Promise.all(getters.map((t) => t.wait()));
      expect(got).toEqual([
        [0, 10],
        [1, 11],
        [2, 12],
        [3, 13],
        [4, 14],
      ]);
    }));

  test("get and put timeouts reject with QueueEmpty and QueueFull, not Timeout", () =>
    withVirtualHub(async (hub) => {
      const q = new Queue<number>(1);
      await expect(q.get({ timeout: 30 })).rejects.toBeInstanceOf(QueueEmpty);
      expect(hub.now()).toBe(30);
      q.putNowait(1);
      await expect(q.put(2, { timeout: 20 })).rejects.toBeInstanceOf(QueueFull);
      expect(hub.now()).toBe(50);
      expect(q.putting()).toBe(0);
      expect(q.qsize()).toBe(1);
      await expect(q.put(2, { block: false })).rejects.toBeInstanceOf(QueueFull);
      expect(await q.get({ block: false })).toBe(1);
      await expect(q.get({ block: false, timeout: 100 })).rejects.toBeInstanceOf(QueueEmpty);
      expect(hub.now()).toBe(50); // block: false ignores the timeout
    }));

  test("a getter that times out or is killed never takes an item with it", () =>
    withVirtualHub(async () => {
      const q = new Queue<string>();
      const bogus1 = spawn(() => q.get());
      const bogus2 = spawn(async () => {
        using _t = new Timeout(5);
        return await q.get();
      });
      const real = spawn(() => q.get());
      await sleep(0);
      await bogus1.kill();
      await expect(bogus2.wait()).rejects.toBeInstanceOf(Timeout);
      expect(q.getting()).toBe(1);
      q.putNowait("item");
      expect(await real.wait()).toBe("item");
      expect(q.qsize()).toBe(0);
      await expect(bogus1.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    }));

  test("a putter that is killed while waiting does not add its item", () =>
    withVirtualHub(async () => {
      const q = new Queue<string>(1);
      q.putNowait("first");
      const putter = spawn(() => q.put("ghost"));
      await sleep(0);
      await putter.kill();
      expect(q.getNowait()).toBe("first");
      expect(q.empty()).toBe(true);
      expect(q.unfinishedTasks).toBe(1);
    }));

  test("async iteration gets items until break", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>();
      spawn(async () => {
        for (let i = 0; i < 3; i++) await q.put(i);
      });
      const seen: number[] = [];
      for await (const n of q) {
        seen.push(n);
        if (seen.length === 3) break;
      }
      expect(seen).toEqual([0, 1, 2]);
    }));
});

describe("Queue(0), the rendezvous channel", () => {
  test("empty() and full() are both true", () => {
    const q = new Queue(0);
    expect(q.empty()).toBe(true);
    expect(q.full()).toBe(true);
  });

  test("put resolves only once a getter has taken the item", () =>
    withVirtualHub(async () => {
      const q = new Queue<string>(0);
      const log: string[] = [];
      const putter = spawn(async () => {
        await q.put("hi");
        log.push("put done");
      });
      await sleep(10);
      expect(log).toEqual([]);
      expect(q.putting()).toBe(1);
      const item = await q.get();
      log.push(`got ${item}`);
      await putter.wait();
      expect(log).toContain("put done");
      expect(log).toContain("got hi");
    }));

  test("put to a waiting getter resolves only after the getter has run (Eventlet's rendezvous)", () =>
    withVirtualHub(async () => {
      const q = new Queue<string>(0);
      const log: string[] = [];
      const getter = spawn(async () => {
        const item = await q.get();
        // The getter runs on until it waits on something pending, several steps later.
        for (let i = 0; i < 5; i++) await Promise.resolve();
        log.push(`got ${item}`);
      });
      await sleep(0);
      expect(q.getting()).toBe(1);
      await q.put("a");
      log.push("put a done");
      expect(log).toEqual(["got a", "put a done"]);
      await getter.wait();
    }));

  test("a waiting put resolves only after the getter that took its item has run", () =>
    withVirtualHub(async () => {
      const q = new Queue<string>(0);
      const log: string[] = [];
      const putter = spawn(async () => {
        await q.put("b");
        log.push("put b done");
      });
      await sleep(0);
      expect(q.putting()).toBe(1);
      const getter = spawn(async () => {
        const item = await q.get();
        for (let i = 0; i < 5; i++) await Promise.resolve();
        log.push(`got ${item}`);
      });
      await Promise.all([putter.wait(), getter.wait()]);
      expect(log).toEqual(["got b", "put b done"]);
    }));

  test("a putter killed after its item was taken has still put it: the kill waits for its next operation", () =>
    withVirtualHub(async () => {
      const q = new Queue<string>(0);
      const log: string[] = [];
      const getter = spawn(() => q.get());
      await sleep(0);
      const putter = spawn(async () => {
        await q.put("c");
        log.push("put c done");
        await sleep(1000);
        log.push("unreachable");
      });
      // Started in the same hub pass, right after the putter handed its item over and while
      // its put waits for the getter to run (sleep(0) would let both run to completion).
      let seenAtKill: unknown[] = [];
      let killed!: Promise<void>;
      spawn(() => {
        seenAtKill = [q.getting(), [...log]];
        killed = putter.kill();
      });
      expect(await getter.wait()).toBe("c");
      expect(seenAtKill).toEqual([0, []]);
      await killed;
      await expect(putter.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      expect(log).toEqual(["put c done"]);
      expect(q.qsize()).toBe(0);
      expect(q.unfinishedTasks).toBe(1);
    }));

  test("put with a timeout raises QueueFull when no getter comes", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>(0);
      await expect(q.put(1, { timeout: 10 })).rejects.toBeInstanceOf(QueueFull);
      expect(q.putting()).toBe(0);
    }));

  test("putNowait succeeds only when a getter is already waiting", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>(0);
      expect(() => q.putNowait(1)).toThrow(QueueFull);
      const getter = spawn(() => q.get());
      await sleep(0);
      q.putNowait(2);
      expect(await getter.wait()).toBe(2);
    }));

  test("getNowait takes a waiting putter's item", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>(0);
      const putter = spawn(() => q.put(9));
      await sleep(0);
      expect(q.getNowait()).toBe(9);
      await putter.wait();
    }));

  test("resize releases a blocked putter; shrinking drops nothing", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>(0);
      const putter = spawn(() => q.put(1));
      await sleep(0);
      q.resize(1);
      await putter.wait();
      expect(q.qsize()).toBe(1);
      q.resize(null);
      for (let i = 2; i <= 4; i++) q.putNowait(i);
      q.resize(1);
      expect(q.qsize()).toBe(4);
      expect(q.full()).toBe(true);
      expect([q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()]).toEqual([1, 2, 3, 4]);
    }));
});

describe("taskDone and join", () => {
  test("join waits until every item put was marked done", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>();
      for (let i = 0; i < 3; i++) q.putNowait(i);
      expect(q.unfinishedTasks).toBe(3);
      let joined = false;
      const joiner = spawn(async () => {
        await q.join();
        joined = true;
      });
      for (let i = 0; i < 3; i++) {
        await q.get();
        await sleep(1);
        expect(joined).toBe(false);
        q.taskDone();
      }
      await joiner.wait();
      expect(joined).toBe(true);
      await q.join(); // at once
    }));

  test("join is a green operation: a Timeout interrupts it and leaves no joiner", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      const t = new Timeout(10);
      await expect(q.join()).rejects.toBe(t);
      q.getNowait();
      q.taskDone();
      await q.join();
    }));

  test("taskDone throws when called too often", () => {
    const q = new Queue<number>();
    expect(() => q.taskDone()).toThrow(/too many times/);
    q.putNowait(1);
    q.taskDone();
    expect(() => q.taskDone()).toThrow(TendrilError);
  });

  test("LightQueue has no taskDone or join", () => {
    const q = new LightQueue<number>();
    expect("taskDone" in q).toBe(false);
    expect("join" in q).toBe(false);
  });
});

describe("LifoQueue and PriorityQueue", () => {
  test("LifoQueue returns the newest item first", () => {
    const q = new LifoQueue<number>();
    for (const n of [1, 2, 3]) q.putNowait(n);
    expect([q.getNowait(), q.getNowait(), q.getNowait()]).toEqual([3, 2, 1]);
  });

  test("PriorityQueue returns the lowest first, ties in insertion order, [priority, data] pairs", () => {
    const q = new PriorityQueue<[number, string]>();
    q.putNowait([2, "b"]);
    q.putNowait([1, "z"]);
    q.putNowait([3, "c"]);
    q.putNowait([1, "a"]);
    expect([q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()]).toEqual([
      [1, "a"],
      [1, "z"],
      [2, "b"],
      [3, "c"],
    ]);
  });

  test("PriorityQueue takes a comparator and keeps equal items FIFO", () => {
    const q = new PriorityQueue<{ p: number; id: number }>(undefined, (a, b) => b.p - a.p);
    const items = [
      { p: 1, id: 0 },
      { p: 5, id: 1 },
      { p: 5, id: 2 },
      { p: 3, id: 3 },
    ];
    for (const item of items) q.putNowait(item);
    expect([0, 1, 2, 3].map(() => q.getNowait().id)).toEqual([1, 2, 3, 0]);
  });

  test("a PriorityQueue sorts like Array.prototype.sort", () =>
    fc.assert(
      fc.property(fc.array(fc.integer()), (xs) => {
        const q = new PriorityQueue<number>();
        for (const x of xs) q.putNowait(x);
        const out = xs.map(() => q.getNowait());
        expect(out).toEqual([...xs].sort((a, b) => a - b));
      }),
    ));
});

describe("Queue properties", () => {
  test("no item is lost or duplicated under random puts, gets, timeouts and kills", () =>
    fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1, 3, undefined),
        fc.array(
          fc.record({
            role: fc.constantFrom("put", "get"),
            delay: fc.integer({ min: 0, max: 30 }),
            timeout: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
            kill: fc.boolean(),
            block: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        (maxsize, ops) =>
          withVirtualHub(async () => {
            const q = new Queue<number>(maxsize);
            const accepted: number[] = [];
            const refused: number[] = [];
            const got: number[] = [];
            const threads = ops.map((op, id) =>
              spawn(async () => {
                await sleep(op.delay);
                const options = { block: op.block, timeout: op.timeout };
                try {
                  if (op.role === "put") {
                    await q.put(id, options);
                    accepted.push(id);
                  } else {
                    got.push(await q.get(options));
                  }
                } catch (error) {
                  if (op.role === "put") refused.push(id);
                  if (
                    !(
                      error instanceof QueueFull ||
                      error instanceof QueueEmpty ||
                      error instanceof GreenThreadExit
                    )
                  ) {
                    throw error;
                  }
                }
              }),
            );
            await sleep(15);
            await Promise.all(threads.filter((_, i) => ops[i]?.kill).map((t) => t.kill()));
            // Unblock whoever still waits: drain with non-blocking gets, end blocked getters.
            await sleep(100);
            for (const t of threads) if (!t.dead) await t.kill();
            while (!q.empty()) got.push(q.getNowait());
            // Every item that left the queue was put exactly once; every accepted item was got once.
            expect([...got].sort((a, b) => a - b)).toEqual([...new Set(got)].sort((a, b) => a - b));
            for (const id of got) expect(ops[id]?.role).toBe("put");
            // A killed putter may have had its item accepted without learning it (the kill
            // arrived after the hand-over): such items are still got, never lost.
            for (const id of accepted) expect(got).toContain(id);
            // A put that failed (QueueFull, kill) left nothing behind.
            for (const id of refused) expect(got).not.toContain(id);
            expect(q.getting()).toBe(0);
            expect(q.putting()).toBe(0);
          }),
      ),
      { numRuns: 80 },
    ));
});
