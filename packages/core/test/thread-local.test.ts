import { GreenPool, getCurrent, sleep, spawn, ThreadLocal } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { describe, expect, test } from "vitest";

describe("ThreadLocal", () => {
  test("each green thread sees only its own value, across awaits", () =>
    withVirtualHub(async () => {
      const local = new ThreadLocal<string>();
      const handle = async (id: string, ms: number): Promise<string[]> => {
        const seen = [String(local.get())];
        local.set(id);
        await sleep(ms);
        seen.push(String(local.get()));
        await sleep(ms);
        seen.push(String(local.get()));
        return seen;
      };
      const a = spawn(handle, "a", 3);
      const b = spawn(handle, "b", 2);
      expect(await a.wait()).toEqual(["undefined", "a", "a"]);
      expect(await b.wait()).toEqual(["undefined", "b", "b"]);
      // The main thread counts as one thread of its own, untouched by theirs.
      expect(local.has()).toBe(false);
      local.set("main");
      await spawn(() => expect(local.get()).toBeUndefined()).wait();
      expect(local.get()).toBe("main");
    }));

  test("initial makes a value once per thread; delete forgets it", () =>
    withVirtualHub(async () => {
      let made = 0;
      const local = new ThreadLocal<{ n: number }>({ initial: () => ({ n: ++made }) });
      const mine = local.get();
      expect(local.get()).toBe(mine);
      const other = await spawn(() => local.get()).wait();
      expect(other).not.toBe(mine);
      expect(made).toBe(2);
      expect(local.delete()).toBe(true);
      expect(local.has()).toBe(false);
      expect(local.get()).toEqual({ n: 3 });
    }));

  test("override sets a value until disposed, then restores the previous one", () =>
    withVirtualHub(async () => {
      const level = new ThreadLocal<string>();
      const worker = spawn(async () => {
        const log: Array<string | undefined> = [level.get()];
        {
          using _outer = level.override("info");
          log.push(level.get());
          {
            using _inner = level.override("debug");
            await sleep(1);
            log.push(level.get());
          }
          log.push(level.get());
        }
        log.push(level.get());
        return log;
      });
      level.set("main");
      expect(await worker.wait()).toEqual([undefined, "info", "debug", "info", undefined]);
      expect(level.get()).toBe("main");
      const handle = level.override("temp");
      handle[Symbol.dispose]();
      level.set("changed");
      handle[Symbol.dispose](); // a second dispose does nothing
      expect(level.get()).toBe("changed");
    }));

  test("pool threads are threads too: each call of imap has its own value", () =>
    withVirtualHub(async () => {
      const local = new ThreadLocal<number>();
      const pool = new GreenPool(3);
      const out: Array<[number, number | undefined, number]> = [];
      for await (const r of pool.imap(
        async (n: number) => {
          const before = local.get();
          local.set(n);
          await sleep(5 - n);
          return [n, before, local.get() as number] as [number, number | undefined, number];
        },
        [0, 1, 2, 3, 4],
      ))
        out.push(r);
      expect(out).toEqual([0, 1, 2, 3, 4].map((n) => [n, undefined, n]));
      expect(getCurrent().name).toBe("main");
    }));

  test("bad options are refused, naming the received value", () => {
    expect(() => new ThreadLocal(null as never)).toThrow(/received null/);
    expect(() => new ThreadLocal({ initial: 3 as never })).toThrow(TypeError);
    expect(() => new ThreadLocal({ initial: 3 as never })).toThrow(/received 3/);
  });
});
