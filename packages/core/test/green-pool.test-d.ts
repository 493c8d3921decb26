import {
  Event,
  type GreenMap,
  GreenPile,
  GreenPool,
  type GreenThread,
  PriorityQueue,
  Queue,
} from "@tendril/core";
import { describe, expectTypeOf, test } from "vitest";

describe("GreenPool types", () => {
  test("spawn resolves to a thread of the function's awaited result", () => {
    const pool = new GreenPool();
    expectTypeOf(pool.spawn(async (n: number) => String(n), 1)).toEqualTypeOf<
      Promise<GreenThread<string>>
    >();
    expectTypeOf(pool.spawn(() => 42)).toEqualTypeOf<Promise<GreenThread<number>>>();
    expectTypeOf(pool.spawnN((a: string, b: number) => a.repeat(b), "x", 2)).toEqualTypeOf<
      Promise<void>
    >();
    // @ts-expect-error: the arguments must match the function's parameters
    pool.spawn((n: number) => n, "one");
  });

  test("imap infers the element types of the iterables and the result type", () => {
    const pool = new GreenPool();
    expectTypeOf(pool.imap(async (n: number) => n > 1, [1, 2])).toEqualTypeOf<GreenMap<boolean>>();
    const zipped = pool.imap((a, b) => `${a.toFixed()}${b.toUpperCase()}`, [1], ["x"]);
    expectTypeOf(zipped).toEqualTypeOf<GreenMap<string>>();
    async function* names() {
      yield "a";
    }
    expectTypeOf(pool.imap((s) => s.length, names())).toEqualTypeOf<GreenMap<number>>();
    expectTypeOf(
      pool.starmap((a: number, b: string) => [a, b] as const, [[1, "x"] as [number, string]]),
    ).toEqualTypeOf<GreenMap<readonly [number, string]>>();
    // A function that ignores its arguments is fine.
    expectTypeOf(pool.imap(() => 0, [1, 2])).toEqualTypeOf<GreenMap<number>>();
    // @ts-expect-error: the function's parameter must accept the elements
    pool.imap((s: string) => s, [1, 2]);
  });

  test("piles, queues and events carry their element types", () => {
    expectTypeOf(new GreenPile<number>().collect()).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(new Queue<string>().get()).toEqualTypeOf<Promise<string>>();
    expectTypeOf(new PriorityQueue<[number, string]>().getNowait()).toEqualTypeOf<
      [number, string]
    >();
    expectTypeOf(new Event<number>().wait()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(new Event<number>().wait({ timeout: 1 })).toEqualTypeOf<
      Promise<number | undefined>
    >();
  });
});
