import { GreenPool, GreenThreadExit, getCurrent, sleep, spawn, Timeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("GreenPool.imap", () => {
  test("yields results in input order, whatever the completion order", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(4);
      const delays = [40, 10, 30, 0, 20, 5];
      const out = await collect(
        pool.imap(async (ms: number) => {
          await sleep(ms);
          return ms;
        }, delays),
      );
      expect(out).toEqual(delays);
    }));

  test("an empty iterable is an empty sequence", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(2);
      expect(await collect(pool.imap((n: number) => n, []))).toEqual([]);
      expect(await collect(pool.imapUnordered((n: number) => n, []))).toEqual([]);
    }));

  test("zips several iterables like Python's map, stopping at the shortest", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(2);
      const out = await collect(
        pool.imap((a: number, b: string) => `${a}${b}`, [1, 2, 3], ["x", "y"]),
      );
      expect(out).toEqual(["1x", "2y"]);
    }));

  test("starmap spreads argument tuples", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(2);
      const out = await collect(
        pool.starmap(
          (a: number, b: number) => a * b,
          [
            [1, 2],
            [3, 4],
          ],
        ),
      );
      expect(out).toEqual([2, 12]);
    }));

  test("works over async iterables, lazily", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(3);
      const pulled: number[] = [];
      async function* numbers() {
        for (let i = 0; i < 10; i++) {
          await sleep(1);
          pulled.push(i);
          yield i;
        }
      }
      const it = pool.imap(async (n: number) => n * 10, numbers());
      await sleep(50);
      expect(pulled).toEqual([]); // nothing before the first next()
      expect(await collect(it)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    }));

  test("an error is thrown at its position and iteration can continue", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(3);
      const it = pool.imap(
        async (n: number) => {
          await sleep(10 - n);
          if (n === 1 || n === 8) throw new Error("r");
          return n;
        },
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      const out: Array<number | string> = [];
      for (;;) {
        try {
          const r = await it.next();
          if (r.done) break;
          out.push(r.value);
        } catch (error) {
          out.push((error as Error).message);
        }
      }
      expect(out).toEqual([0, "r", 2, 3, 4, 5, 6, 7, "r", 9]);
    }));

  test("in-flight work counts against this pool: running() and waitall() see it", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(2);
      const seen: number[] = [];
      const it = pool.imap(
        async (n: number) => {
          seen.push(pool.running());
          await sleep(10);
          return n;
        },
        [1, 2, 3, 4],
      );
      const first = await it.next();
      expect(first.value).toBe(1);
      expect(pool.running()).toBeGreaterThan(0);
      expect(Math.max(...seen)).toBeLessThanOrEqual(2);
      expect(await collect(it)).toEqual([2, 3, 4]);
      await pool.waitall();
      expect(pool.free()).toBe(2);
    }));

  test("shares the pool with other work: never more than size in total", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(3);
      let running = 0;
      let peak = 0;
      const work = async (ms: number) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(ms);
        running--;
        return ms;
      };
      await pool.spawnN(work, 25);
      await pool.spawnN(work, 25);
      const out = await collect(pool.imap(work, [5, 5, 5, 5, 5]));
      expect(out).toEqual([5, 5, 5, 5, 5]);
      expect(peak).toBeLessThanOrEqual(3);
      await pool.waitall();
    }));

  test("each call runs in its own green thread", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(5);
      const main = getCurrent();
      const ids = await collect(pool.imap(async () => getCurrent().id, [1, 2, 3]));
      expect(new Set(ids).size).toBe(3);
      expect(ids).not.toContain(main.id);
    }));

  test("memory is bounded: at most size inputs pulled and not yet handed out", () =>
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 0, maxLength: 30 }),
        fc.integer({ min: 0, max: 10 }),
        (size, delays, readerDelay) =>
          withVirtualHub(async () => {
            const pool = new GreenPool(size);
            let pulled = 0;
            let read = 0;
            let peakAhead = 0;
            function* inputs() {
              for (const d of delays) {
                pulled++;
                peakAhead = Math.max(peakAhead, pulled - read);
                yield d;
              }
            }
            const out: number[] = [];
            for await (const v of pool.imap(async (ms: number) => {
              await sleep(ms);
              return ms;
            }, inputs())) {
              read++;
              out.push(v);
              await sleep(readerDelay);
            }
            expect(out).toEqual(delays);
            // next() pulls the replacement before it hands a result out, so the result on its
            // way to the loop body is the one extra.
            expect(peakAhead).toBeLessThanOrEqual(size + 1);
            expect(pool.running()).toBe(0);
          }),
      ),
      { numRuns: 60 },
    ));

  test("break stops pulling and kills the calls in flight; the pool gets its slots back", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(3);
      let pulled = 0;
      let killed = 0;
      function* inputs() {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      }
      for await (const v of pool.imap(async (n: number) => {
        try {
          await sleep(n === 0 ? 1 : 100);
        } catch (error) {
          if (error instanceof GreenThreadExit) killed++;
          throw error;
        }
        return n;
      }, inputs())) {
        expect(v).toBe(0);
        break;
      }
      expect(pool.running()).toBe(0);
      expect(killed).toBeGreaterThan(0);
      const before = pulled;
      await sleep(200);
      expect(pulled).toBe(before);
    }));

  test("killing the thread that iterates stops the calls in flight before the kill resolves", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(3);
      let started = 0;
      let killed = 0;
      let finished = 0;
      let pulled = 0;
      function* inputs() {
        for (let i = 0; i < 10; i++) {
          pulled++;
          yield i;
        }
      }
      const reader = spawn(async () => {
        for await (const _ of pool.imap(async (n: number) => {
          started++;
          try {
            await sleep(1000 + n);
          } catch (error) {
            if (error instanceof GreenThreadExit) killed++;
            throw error;
          }
          finished++;
          return n;
        }, inputs())) {
          throw new Error("unreachable: no call finishes before the kill");
        }
      });
      await sleep(10);
      expect(started).toBe(3);
      expect(pool.running()).toBe(3);
      await reader.kill();
      expect(killed).toBe(3);
      expect(pool.running()).toBe(0);
      await sleep(5000);
      expect(finished).toBe(0);
      expect(pulled).toBe(3);
      await expect(reader.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    }));

  test("a Timeout in the reader leaves the map readable", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(2);
      const it = pool.imap(
        async (n: number) => {
          await sleep(100);
          return n * 2;
        },
        [1, 2, 3],
      );
      const impatient = spawn(async () => {
        using _t = new Timeout(10);
        return await it.next();
      });
      await expect(impatient.wait()).rejects.toBeInstanceOf(Timeout);
      expect(pool.running()).toBe(2);
      const out: number[] = [];
      for await (const v of it) out.push(v);
      expect(out).toEqual([2, 4, 6]);
    }));

  test("a source that throws ends the map with its error, at its position", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(2);
      function* inputs() {
        yield 1;
        yield 2;
        throw new Error("source broke");
      }
      const it = pool.imap(async (n: number) => n, inputs());
      expect((await it.next()).value).toBe(1);
      expect((await it.next()).value).toBe(2);
      await expect(it.next()).rejects.toThrow("source broke");
      expect((await it.next()).done).toBe(true);
    }));

  test("re-entrant: an imap inside a full pool's thread does not deadlock", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(1);
      const t = await pool.spawn(async () =>
        collect(pool.imap(async (n: number) => n + 1, [1, 2, 3])),
      );
      expect(await t.wait()).toEqual([2, 3, 4]);
    }));

  test("a reader killed while waiting strands no slot", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(2);
      const reader = spawn(async () => collect(pool.imap((ms: number) => sleep(ms), [50, 50, 50])));
      await sleep(10);
      await reader.kill();
      await pool.waitall();
      expect(pool.free()).toBe(2);
    }));

  test("rejects what is not iterable, naming it", () => {
    const pool = new GreenPool(2);
    expect(() => pool.imap((x: number) => x, 5 as unknown as number[])).toThrow(
      /argument 2 must be an iterable.*received 5/,
    );
    expect(() => pool.imap(5 as never, [1])).toThrow(TypeError);
  });
});

describe("GreenPool.imapUnordered", () => {
  test("yields results as they complete, with the same bounds", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(3);
      const out = await collect(
        pool.imapUnordered(
          async (ms: number) => {
            await sleep(ms);
            return ms;
          },
          [30, 10, 20],
        ),
      );
      expect(out).toEqual([10, 20, 30]);
      expect(pool.running()).toBe(0);
    }));

  test("break kills the calls still running", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(3);
      for await (const v of pool.imapUnordered(
        (ms: number) => sleep(ms).then(() => ms),
        [100, 1, 100],
      )) {
        expect(v).toBe(1);
        break;
      }
      expect(pool.running()).toBe(0);
    }));
});
