import { type GreenThread, getCurrent, sleep, spawn } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { describe, expect, test } from "vitest";

// Node 20/22 carry thread identity with V8 promise hooks, Node 24 with AsyncLocalStorage; CI
// runs this file on both, so both carriers meet the same spec.
describe("thread identity across continuations", () => {
  test("survives awaits of native promises, thenables, Promise.all, async generators and then()", () =>
    withVirtualHub(async () => {
      const seen: Array<GreenThread<unknown>> = [];
      const note = () => seen.push(getCurrent());
      async function* numbers() {
        await sleep(1);
        yield 1;
        note();
        yield 2;
      }
      const t = spawn(async () => {
        note();
        await Promise.resolve();
        note();
        // biome-ignore lint/suspicious/noThenProperty: the point is to await a thenable
        await { then: (resolve: (v: number) => void) => resolve(1) };
        note();
        await Promise.all([sleep(2), sleep(3)]);
        note();
        for await (const _ of numbers()) note();
        await Promise.resolve().then(note);
        await new Promise<void>((resolve) => queueMicrotask(resolve));
        note();
      });
      await t.wait();
      expect(seen.length).toBe(9);
      for (const s of seen) expect(s).toBe(t);
    }));

  test("two threads interleaving on the same promises keep their own identity", () =>
    withVirtualHub(async () => {
      const gate = sleep(5);
      const mismatches: string[] = [];
      const worker = async (name: string) => {
        const me = getCurrent();
        for (let i = 0; i < 5; i++) {
          await gate;
          await sleep(i);
          if (getCurrent() !== me) mismatches.push(`${name}@${i}`);
        }
      };
      const a = spawn(worker, "a");
      const b = spawn(worker, "b");
      await a.wait();
      await b.wait();
      expect(mismatches).toEqual([]);
    }));

  test("does not leak out of a thread into later callbacks of the main program", async () => {
    const t = spawn(async () => {
      await sleep(0);
      return getCurrent();
    });
    const inside = await t.wait();
    expect(inside).toBe(t);
    const outside = await new Promise<GreenThread<unknown>>((resolve) =>
      setImmediate(() => resolve(getCurrent())),
    );
    expect(outside.name).toBe("main");
    expect(getCurrent().name).toBe("main");
  });
});
