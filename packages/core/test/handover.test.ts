import {
  BoundedSemaphore,
  type GreenThread,
  GreenThreadExit,
  green,
  Queue,
  sleep,
  spawn,
  withTimeout,
} from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { describe, expect, test } from "vitest";

// A hand-over between threads either completes or is undone, even when the receiving thread
// is killed (or its deadline fires) in the same instant, inside withTimeout or green().
describe("hand-over under kill", () => {
  const wrappers = {
    withTimeout: <T>(fn: () => Promise<T>) => withTimeout(10_000, fn),
    "green()": <T>(fn: () => Promise<T>) => green(fn()),
  };

  for (const [name, wrap] of Object.entries(wrappers)) {
    test(`q.put(x); getter.kill(): the getter inside ${name} receives x, or x stays queued`, () =>
      withVirtualHub(async () => {
        const q = new Queue<string>();
        const received: string[] = [];
        const getter = spawn(async () => {
          received.push(await wrap(() => q.get()));
          await sleep(1); // the kill arrives here, at the next green operation
          received.push("not reached");
        });
        await sleep(0);
        void q.put("x");
        await getter.kill();
        await expect(getter.wait()).rejects.toBeInstanceOf(GreenThreadExit);
        expect(received.length + q.qsize()).toBe(1);
        expect(received).toEqual(["x"]);
        q.taskDone();
        expect(q.unfinishedTasks).toBe(0);
      }));

    test(`sem.release(); worker.kill(): the permit of a worker inside ${name} is not lost`, () =>
      withVirtualHub(async () => {
        const sem = new BoundedSemaphore(1);
        await sem.acquire();
        const worker = spawn(async () => {
          await wrap(() => sem.acquire());
          try {
            await sleep(1);
          } finally {
            sem.release();
          }
        });
        await sleep(0);
        sem.release();
        await worker.kill();
        expect(sem.counter).toBe(1);
      }));
  }

  test("a withTimeout whose function already holds its value completes while a kill is kept", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>();
      const received: number[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const getter = spawn(async () => {
        await gate; // not a green operation: the kill is kept for later
        received.push(await withTimeout(1000, () => q.get()));
        await sleep(1);
        received.push(-1);
      });
      await sleep(0);
      const killed = getter.kill();
      q.putNowait(1);
      release();
      await killed;
      // The get found its item at once, and its withTimeout completed with it; the kill was
      // delivered at the next green operation.
      expect(received).toEqual([1]);
      expect(q.qsize()).toBe(0);
    }));

  test("a green() wait started while a kill is kept is still interrupted, a pass later", () =>
    withVirtualHub(async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const t = spawn(async () => {
        await gate; // not a green operation: the kill is kept for later
        await green(new Promise(() => {}));
      });
      await sleep(0);
      const killed = t.kill();
      release();
      await killed;
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    }));
});

// A small seeded generator, so that a failing storm can be replayed.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("kill storm", () => {
  for (const seed of (process.env.STORM_SEEDS ?? "1,2,3").split(",").map(Number)) {
    test(
      `seed ${seed}: no item lost or duplicated, none delivered whose put() threw, every permit back`,
      () =>
        withVirtualHub(async () => {
          const rand = random(seed);
          const pick = (n: number) => Math.floor(rand() * n);
          const q = new Queue<number>(2);
          const sem = new BoundedSemaphore(3);
          const putOk = new Set<number>();
          const putFailed = new Set<number>();
          const received: number[] = [];
          let nextItem = 0;
          const wrap = <T>(fn: () => Promise<T>): Promise<T> =>
            pick(2) === 0 ? withTimeout(1 + pick(4), fn) : green(fn());

          const producer = async () => {
            for (;;) {
              const item = nextItem++;
              try {
                await wrap(() => q.put(item));
                putOk.add(item);
              } catch (error) {
                putFailed.add(item);
                if (error instanceof GreenThreadExit) throw error;
              }
              if (pick(3) === 0) await sleep(pick(2));
            }
          };
          const consumer = async () => {
            for (;;) {
              try {
                received.push(await wrap(() => q.get()));
              } catch (error) {
                if (error instanceof GreenThreadExit) throw error;
              }
              if (pick(3) === 0) await sleep(pick(2));
            }
          };
          const worker = async () => {
            for (;;) {
              let held = false;
              try {
                await wrap(() => sem.acquire());
                held = true;
              } catch (error) {
                if (error instanceof GreenThreadExit) throw error;
              }
              if (held) {
                try {
                  await sleep(pick(3));
                } finally {
                  sem.release();
                }
              } else await sleep(pick(2));
            }
          };
          const kinds = [producer, consumer, worker];
          const threads: GreenThread<unknown>[] = [];
          for (let i = 0; i < 12; i++) threads.push(spawn(kinds[i % 3] as () => Promise<never>));

          let kills = 0;
          let mainHolds = false;
          for (let round = 0; round < 1500; round++) {
            // Hand an item or a permit over, and kill two threads in the same instant.
            if (pick(2) === 0 && !q.full()) {
              const item = nextItem++;
              q.putNowait(item);
              putOk.add(item);
            }
            if (mainHolds) {
              sem.release();
              mainHolds = false;
            }
            for (let k = 0; k < 2; k++) {
              const i = pick(threads.length);
              const victim = threads[i] as GreenThread<unknown>;
              void victim.kill();
              kills++;
              threads[i] = spawn(kinds[i % 3] as () => Promise<never>);
            }
            await sleep(pick(2));
            if (!mainHolds && pick(2) === 0) mainHolds = await sem.acquire({ blocking: false });
          }
          if (mainHolds) sem.release();
          await Promise.all(threads.map((t) => t.kill()));
          const left: number[] = [];
          while (q.qsize() > 0) left.push(q.getNowait());

          const delivered = [...received, ...left];
          const deliveredSet = new Set(delivered);
          const lostItems = [...putOk].filter((item) => !deliveredSet.has(item));
          expect(kills).toBe(3000);

          expect(deliveredSet.size).toBe(delivered.length); // nothing duplicated
          expect(delivered.filter((item) => putFailed.has(item))).toEqual([]);
          expect(lostItems).toEqual([]);
          expect(received.length).toBeGreaterThan(100); // the storm really moved items
          expect(sem.counter).toBe(3);
        }),
      60_000,
    );
  }
});
