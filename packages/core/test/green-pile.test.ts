import { GreenPile, GreenPool, sleep, spawn, Timeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { describe, expect, test } from "vitest";

describe("GreenPile", () => {
  test("results come in spawn order, whatever the completion order", () =>
    withVirtualHub(async () => {
      const pile = new GreenPile<number>(10);
      for (const ms of [30, 10, 20]) {
        await pile.spawn(async (n: number) => {
          await sleep(n);
          return n;
        }, ms);
      }
      expect(pile.counter).toBe(3);
      const seen: number[] = [];
      for await (const n of pile) seen.push(n);
      expect(seen).toEqual([30, 10, 20]);
      expect(pile.counter).toBe(0);
    }));

  test("an empty pile is an empty sequence, and never hangs", () =>
    withVirtualHub(async () => {
      const pile = new GreenPile<number>();
      expect(await pile.collect()).toEqual([]);
      expect(await pile.next()).toEqual({ done: true, value: undefined });
      for await (const _ of pile) throw new Error("unreachable");
    }));

  test("a failed call throws at its position and the pile stays usable", () =>
    withVirtualHub(async () => {
      const pile = new GreenPile<string>(5);
      for (let i = 0; i < 5; i++) {
        await pile.spawn(async () => {
          await sleep(5 - i);
          if (i === 2) throw new Error("E2");
          return String(i);
        });
      }
      const out: string[] = [];
      for (let i = 0; i < 5; i++) {
        try {
          const r = await pile.next();
          out.push(r.value as string);
        } catch (error) {
          out.push((error as Error).message);
        }
      }
      expect(out).toEqual(["0", "1", "E2", "3", "4"]);
      expect((await pile.next()).done).toBe(true);
    }));

  test("spawn waits while the pool is full", () =>
    withVirtualHub(async (hub) => {
      const pile = new GreenPile<number>(2);
      const spawnedAt: number[] = [];
      for (let i = 0; i < 3; i++) {
        await pile.spawn(() => sleep(10).then(() => i));
        spawnedAt.push(hub.now());
      }
      expect(spawnedAt).toEqual([0, 0, 10]);
      expect(await pile.collect()).toEqual([0, 1, 2]);
    }));

  test("a Timeout while waiting in spawn leaves the counter consistent", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(1);
      const pile = new GreenPile<string>(pool);
      await pile.spawn(() => sleep(50).then(() => "first"));
      const t = new Timeout(10);
      await expect(pile.spawn(async () => "late")).rejects.toBe(t);
      t.cancel();
      expect(pile.counter).toBe(1);
      expect(await pile.collect()).toEqual(["first"]);
    }));

  test("a reader in another thread waits for a spawn that waits for its slot", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(1);
      const pile = new GreenPile<number>(pool);
      await pile.spawn(() => sleep(10).then(() => 1));
      const spawner = spawn(() => pile.spawn(() => sleep(10).then(() => 2)));
      await sleep(0);
      expect(pile.counter).toBe(2);
      expect(await pile.collect()).toEqual([1, 2]);
      await spawner.wait();
    }));

  test("a shared pool bounds several piles together, and the seed page's dispatch pattern works", () =>
    withVirtualHub(async () => {
      const pool = new GreenPool(3);
      let running = 0;
      let peak = 0;
      async function fetchTitle(url: string): Promise<string> {
        running++;
        peak = Math.max(peak, running);
        await sleep(url.length);
        running--;
        return url.toUpperCase();
      }
      async function app(urls: string[]): Promise<string> {
        const pile = new GreenPile<string>(pool);
        for (const url of urls) await pile.spawn(fetchTitle, url);
        return (await pile.collect()).join("\n");
      }
      const requests = [spawn(app, ["a", "bb", "ccc"]), spawn(app, ["dddd", "e"])];
      const [r1, r2] = await Promise.all(requests.map((r) => r.wait()));
      expect(r1).toBe("A\nBB\nCCC");
      expect(r2).toBe("DDDD\nE");
      expect(peak).toBeLessThanOrEqual(3);
    }));

  test("a reader interrupted while waiting leaves the result for the next read", () =>
    withVirtualHub(async () => {
      const pile = new GreenPile<string>(2);
      await pile.spawn(() => sleep(50).then(() => "slow"));
      const t = new Timeout(10);
      await expect(pile.next()).rejects.toBe(t);
      expect(pile.counter).toBe(1);
      expect(await pile.collect()).toEqual(["slow"]);
    }));

  test("rejects what is neither a pool nor a size", () => {
    expect(() => new GreenPile("x" as never)).toThrow(/received "x"/);
    expect(() => new GreenPile(-1)).toThrow(RangeError);
  });
});

describe("GreenPile with several readers", () => {
  test("two readers of one pile each get different results, none dropped or duplicated", () =>
    withVirtualHub(async () => {
      const pile = new GreenPile<number>(10);
      for (let i = 0; i < 8; i++) {
        await pile.spawn(async (n: number) => {
          await sleep(n % 3);
          return n;
        }, i);
      }
      const reader = async (): Promise<number[]> => {
        const got: number[] = [];
        for await (const n of pile) {
          got.push(n);
          await sleep(1);
        }
        return got;
      };
      const [a, b] = await Promise.all([spawn(reader).wait(), spawn(reader).wait()]);
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      // Each reader sees its share in spawn order, and together they see every result once.
      expect(a).toEqual([...a].sort((x, y) => x - y));
      expect(b).toEqual([...b].sort((x, y) => x - y));
      expect([...a, ...b].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(pile.counter).toBe(0);
    }));

  test("a reader interrupted while waiting gives its result to the next reader", () =>
    withVirtualHub(async () => {
      const pile = new GreenPile<string>(4);
      await pile.spawn(async () => {
        await sleep(100);
        return "slow";
      });
      await pile.spawn(() => "fast");
      const impatient = spawn(async () => {
        using _t = new Timeout(10);
        return await pile.next();
      });
      await expect(impatient.wait()).rejects.toBeInstanceOf(Timeout);
      expect(pile.counter).toBe(2);
      expect(await pile.collect()).toEqual(["slow", "fast"]);
    }));
});
