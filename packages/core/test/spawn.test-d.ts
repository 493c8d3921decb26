import { type GreenThread, spawn, spawnAfter, spawnN, withTimeout } from "@tendril/core";
import { describe, expectTypeOf, test } from "vitest";

describe("spawn's inferred types", () => {
  test("spawn infers the result from sync and async functions", () => {
    expectTypeOf(spawn(() => 1)).toEqualTypeOf<GreenThread<number>>();
    expectTypeOf(spawn(async () => "s")).toEqualTypeOf<GreenThread<string>>();
    expectTypeOf(spawn(async () => "s").wait()).toEqualTypeOf<Promise<string>>();
    expectTypeOf(spawnAfter(10, (a: number) => a, 1)).toEqualTypeOf<GreenThread<number>>();
  });

  test("spawn checks the arguments against the function's parameters", () => {
    spawn((a: number, b: string) => a + b.length, 1, "x");
    // @ts-expect-error: wrong argument type
    spawn((a: number) => a, "not a number");
    // @ts-expect-error: missing argument
    spawn((a: number, b: string) => a + b, 1);
    expectTypeOf(spawnN((a: string) => a.length, "x")).toEqualTypeOf<void>();
  });

  test("withTimeout's options form widens the result with timeoutValue's type", () => {
    expectTypeOf(withTimeout(5, async () => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(withTimeout({ ms: 5, timeoutValue: null }, async () => 1)).toEqualTypeOf<
      Promise<number | null>
    >();
  });
});
