import {
  countThreads,
  formatThreads,
  type GreenThread,
  GreenThreadExit,
  getCurrent,
  green,
  kill,
  listThreads,
  Queue,
  setErrorReporter,
  setSpawnTracing,
  sleep,
  spawn,
  spawnAfter,
  spawnN,
  suspend,
  TendrilError,
} from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { afterEach, beforeEach, describe, expect, test } from "vitest";

let reported: Array<{ error: unknown; source: string | undefined }> = [];
let previousReporter: ReturnType<typeof setErrorReporter>;
beforeEach(() => {
  reported = [];
  previousReporter = setErrorReporter((error, source) => reported.push({ error, source }));
});
afterEach(() => {
  setErrorReporter(previousReporter);
});

describe("spawn", () => {
  test("spawn never runs the function synchronously, and starts threads in FIFO order", () =>
    withVirtualHub(async () => {
      const log: number[] = [];
      const threads = [1, 2, 3, 4, 5].map((i) => spawn(() => log.push(i)));
      expect(log).toEqual([]);
      for (const t of threads) await t.wait();
      expect(log).toEqual([1, 2, 3, 4, 5]);
    }));

  test("wait returns the result of a sync or async function, with its arguments", () =>
    withVirtualHub(async () => {
      expect(await spawn((a: number, b: string) => `${a}${b}`, 1, "x").wait()).toBe("1x");
      expect(await spawn(async (a: number) => a * 2, 21).wait()).toBe(42);
      expect(await spawn(() => undefined).wait()).toBeUndefined();
    }));

  test("wait rethrows the thread's error, and nothing is reported when someone waits", () =>
    withVirtualHub(async () => {
      const boom = new Error("boom");
      const t = spawn(async () => {
        await sleep(5);
        throw boom;
      });
      await expect(t.wait()).rejects.toBe(boom);
      await expect(t.wait()).rejects.toBe(boom); // every wait, not just the first
      await sleep(0);
      expect(reported).toEqual([]);
    }));

  test("a spawned thread that fails and is never waited for is reported, not lost", () =>
    withVirtualHub(async () => {
      const boom = new Error("nobody listens");
      spawn(() => {
        throw boom;
      });
      await sleep(0);
      await sleep(0);
      expect(reported.map((r) => r.error)).toEqual([boom]);
      expect(reported[0]?.source).toMatch(/never waited for/);
    }));

  test("spawnN errors go to the error reporter and the process keeps running", () =>
    withVirtualHub(async () => {
      const boom = new Error("spawnN failed");
      spawnN(async () => {
        await sleep(1);
        throw boom;
      });
      await sleep(10);
      expect(reported.map((r) => r.error)).toEqual([boom]);
    }));

  test("a thread ending by GreenThreadExit ended normally: nothing is reported", () =>
    withVirtualHub(async () => {
      spawnN(() => {
        throw new GreenThreadExit();
      });
      const t = spawn(() => sleep(100));
      await sleep(0);
      await t.kill();
      await sleep(0);
      await sleep(0);
      expect(reported).toEqual([]);
    }));

  test("sleep(0) alternates two looping threads", () =>
    withVirtualHub(async () => {
      const log: string[] = [];
      const loop = async (name: string) => {
        for (let i = 0; i < 3; i++) {
          log.push(`${name}${i}`);
          await sleep(0);
        }
      };
      const a = spawn(loop, "a");
      const b = spawn(loop, "b");
      await a.wait();
      await b.wait();
      expect(log).toEqual(["a0", "b0", "a1", "b1", "a2", "b2"]);
    }));

  test("sleep(0) lets every ready thread run until it waits on something pending", () =>
    withVirtualHub(async () => {
      const q = new Queue<number>(2);
      const steps: string[] = [];
      const producer = spawn(async () => {
        for (let i = 0; i < 3; i++) {
          await q.put(i); // the third put waits: the queue holds two
          steps.push(`put ${i}`);
        }
      });
      const chatty = spawn(async () => {
        for (let i = 0; i < 5; i++) await Promise.resolve(i); // plain awaits: never waits
        steps.push("chatty done");
      });
      await sleep(0);
      expect(q.qsize()).toBe(2);
      expect([...steps].sort()).toEqual(["chatty done", "put 0", "put 1"]);
      q.getNowait();
      await producer.wait();
      await chatty.wait();
    }));

  test("spawn rejects a non-function with a TypeError naming the value", () => {
    expect(() => spawn(42 as never)).toThrow(
      new TypeError("spawn: fn must be a function, received 42"),
    );
    expect(() => spawnN("x" as never)).toThrow(/spawnN: fn must be a function, received "x"/);
    expect(() => spawnAfter(-1, () => 1)).toThrow(RangeError);
    expect(() => spawnAfter(Number.NaN, () => 1)).toThrow(TypeError);
  });

  test("GreenThread is not thenable, so an async function returning it resolves to the thread", () =>
    withVirtualHub(async () => {
      const t = spawn(() => 1);
      const got = await (async () => t)();
      expect(got).toBe(t);
      expect("then" in t).toBe(false);
      await t.wait();
    }));
});

describe("getCurrent", () => {
  test("is the thread itself anywhere inside it, across awaits, and main outside", () =>
    withVirtualHub(async () => {
      expect(getCurrent().name).toBe("main");
      const seen: GreenThread<unknown>[] = [];
      const t = spawn(async function worker() {
        seen.push(getCurrent());
        await sleep(10);
        await Promise.resolve();
        seen.push(getCurrent());
      });
      await t.wait();
      expect(seen).toEqual([t, t]);
      expect(t.name).toBe(`worker#${t.id}`);
    }));
});

describe("kill", () => {
  test("killing a thread that has not started means it never runs", () =>
    withVirtualHub(async () => {
      let ran = false;
      const t = spawn(() => {
        ran = true;
      });
      await t.kill();
      await sleep(10);
      expect(ran).toBe(false);
      expect(t.dead).toBe(true);
      expect(t.started).toBe(false);
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    }));

  test("killing an unstarted thread with a custom error makes wait reject with that error", () =>
    withVirtualHub(async () => {
      const t = spawn(() => 1);
      const custom = new Error("custom");
      await kill(t, custom);
      await expect(t.wait()).rejects.toBe(custom);
    }));

  test("kill resolves only after the thread's finally blocks ran", () =>
    withVirtualHub(async () => {
      const log: string[] = [];
      const t = spawn(async () => {
        try {
          await sleep(1000);
        } finally {
          log.push("finally start");
          await Promise.resolve();
          log.push("finally end");
        }
      });
      await sleep(1);
      await t.kill();
      log.push("kill resolved");
      expect(log).toEqual(["finally start", "finally end", "kill resolved"]);
      expect(t.signal.aborted).toBe(true);
      expect(t.signal.reason).toBeInstanceOf(GreenThreadExit);
    }));

  test("kill is one-shot: a thread that catches GreenThreadExit may carry on", () =>
    withVirtualHub(async () => {
      const t = spawn(async () => {
        try {
          await sleep(1000);
        } catch (error) {
          expect(error).toBeInstanceOf(GreenThreadExit);
        }
        await sleep(5);
        return "carried on";
      });
      await sleep(1);
      await t.kill();
      expect(await t.wait()).toBe("carried on");
    }));

  test("a kill that arrives outside a green operation is delivered at the next one", () =>
    withVirtualHub(async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const log: string[] = [];
      const t = spawn(async () => {
        await gate; // not a green operation
        log.push("after gate");
        await sleep(0);
        log.push("never");
      });
      await sleep(0);
      const killed = t.kill();
      release();
      await killed;
      expect(log).toEqual(["after gate"]);
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    }));

  test("a thread that finishes with an undelivered kill still ended by the kill", () =>
    withVirtualHub(async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const t = spawn(async () => {
        await gate;
        return 1;
      });
      await sleep(0);
      const killed = t.kill();
      release();
      await killed;
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    }));

  test("a thread that fails because the kill aborted its signal ended by the kill, silently", () =>
    withVirtualHub(async () => {
      const t = spawn(async () => {
        const signal = getCurrent().signal;
        // A plain promise that rejects when the signal aborts, as fetch does.
        await new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new TypeError("fetch failed"))),
        );
      });
      await sleep(0);
      await t.kill();
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      await sleep(0);
      expect(reported).toEqual([]);
    }));

  test("killing the current thread throws at once; the main thread cannot be killed", () =>
    withVirtualHub(async () => {
      const t = spawn(async () => {
        void getCurrent().kill();
        return "unreachable";
      });
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      expect(() => getCurrent().kill()).toThrow(TendrilError);
      expect(() => kill({} as never)).toThrow(
        /kill: thread must be a GreenThread, received an object/,
      );
    }));

  test("killing a dead thread resolves at once and changes nothing", () =>
    withVirtualHub(async () => {
      const t = spawn(() => 7);
      await t.wait();
      await t.kill();
      expect(await t.wait()).toBe(7);
    }));

  test("a thread cannot wait for itself", () =>
    withVirtualHub(async () => {
      const t: GreenThread<unknown> = spawn(async () => t.wait());
      await expect(t.wait()).rejects.toMatchObject({ code: "ERR_TENDRIL_WAIT_SELF" });
    }));
});

describe("cancel and spawnAfter", () => {
  test("spawnAfter starts after the delay; equal delays start FIFO", () =>
    withVirtualHub(async (hub) => {
      const log: Array<[string, number]> = [];
      const a = spawnAfter(100, () => log.push(["a", hub.now()]));
      const b = spawnAfter(50, () => log.push(["b", hub.now()]));
      const c = spawnAfter(100, () => log.push(["c", hub.now()]));
      await Promise.all([a.wait(), b.wait(), c.wait()]);
      expect(log).toEqual([
        ["b", 50],
        ["a", 100],
        ["c", 100],
      ]);
    }));

  test("cancel before the time means it never runs and its timer is released", () =>
    withVirtualHub(async (hub) => {
      let ran = false;
      const t = spawnAfter(100, () => {
        ran = true;
      });
      expect(listThreads().find((i) => i.id === t.id)?.state).toBe("scheduled");
      expect(t.cancel()).toBe(true);
      expect(hub.pendingTimers()).toBe(0);
      await sleep(200);
      expect(ran).toBe(false);
      await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    }));

  test("cancel on a started thread does nothing", () =>
    withVirtualHub(async () => {
      const t = spawn(async () => {
        await sleep(10);
        return 22;
      });
      await sleep(1);
      expect(t.cancel()).toBe(false);
      expect(await t.wait()).toBe(22);
    }));
});

describe("links", () => {
  test("links run in link order when the thread ends, at once if it already has", () =>
    withVirtualHub(async () => {
      const log: string[] = [];
      const t = spawn(async () => {
        await sleep(5);
        return "r";
      });
      t.link((th, tag: string) => log.push(`${tag}:${th.dead}`), "first");
      const second = () => log.push("second");
      t.link(second);
      t.link(() => log.push("third"));
      expect(t.unlink(second)).toBe(true);
      expect(t.unlink(second)).toBe(false);
      await t.wait();
      t.link(() => log.push("late"));
      expect(log).toEqual(["first:true", "third", "late"]);
    }));

  test("a failing link is reported and the others still run", () =>
    withVirtualHub(async () => {
      const log: string[] = [];
      const t = spawn(() => 1);
      t.link(() => {
        throw new Error("link failed");
      });
      t.link(() => log.push("ran"));
      await t.wait();
      expect(log).toEqual(["ran"]);
      expect(reported.map((r) => (r.error as Error).message)).toEqual(["link failed"]);
    }));
});

describe("green operations", () => {
  test("green() makes a foreign promise interruptible and calls onInterrupt", () =>
    withVirtualHub(async () => {
      const interrupted: unknown[] = [];
      const never = new Promise<never>(() => {});
      const t = spawn(() => green(never, (reason) => interrupted.push(reason)));
      await sleep(0);
      await t.kill();
      expect(interrupted).toHaveLength(1);
      expect(interrupted[0]).toBeInstanceOf(GreenThreadExit);
      expect(() => green(5 as never)).toThrow(/green: expected a promise, received 5/);
    }));

  test("green() passes a value or an error through", () =>
    withVirtualHub(async () => {
      expect(await green(Promise.resolve(3))).toBe(3);
      await expect(green(Promise.reject(new Error("x")))).rejects.toThrow("x");
    }));

  test("suspend runs the canceler on interruption, and resolve after that returns false", () =>
    withVirtualHub(async () => {
      let handle: { resolve(v: number): boolean } | undefined;
      let cancelled = 0;
      const t = spawn(() =>
        suspend<number>((waiter) => {
          handle = waiter;
          return () => {
            cancelled++;
          };
        }),
      );
      await sleep(0);
      expect(listThreads().find((i) => i.id === t.id)?.state).toBe("waiting");
      await t.kill();
      expect(cancelled).toBe(1);
      expect(handle?.resolve(1)).toBe(false);
    }));

  test("suspend's executor that throws rejects the operation", () =>
    withVirtualHub(async () => {
      await expect(
        suspend(() => {
          throw new Error("executor");
        }),
      ).rejects.toThrow("executor");
    }));

  test("two pending operations in one thread are both interrupted by a kill", () =>
    withVirtualHub(async () => {
      const results: string[] = [];
      const t = spawn(async () => {
        const outcomes = await Promise.allSettled([sleep(100), sleep(200)]);
        for (const o of outcomes) results.push(o.status);
      });
      await sleep(1);
      const exit = t.kill();
      await exit;
      expect(results).toEqual(["rejected", "rejected"]);
    }));

  test("sleep validates its argument", () => {
    expect(() => sleep(-5)).toThrow(
      new RangeError("sleep: ms must be a number of milliseconds >= 0, received -5"),
    );
    expect(() => sleep("1" as never)).toThrow(TypeError);
  });
});

describe("listThreads and formatThreads", () => {
  test("list live threads with their state and, when tracing, where they were spawned", () =>
    withVirtualHub(async () => {
      const before = countThreads();
      const previous = setSpawnTracing(true);
      const t = spawn(async function sleeper() {
        await sleep(50);
      });
      setSpawnTracing(previous);
      expect(countThreads()).toBe(before + 1);
      const info = listThreads().find((i) => i.id === t.id);
      expect(info).toMatchObject({ name: `sleeper#${t.id}`, state: "ready" });
      expect(info?.spawnedAt).toMatch(/green-thread\.test\.ts/);
      await sleep(1);
      expect(listThreads().find((i) => i.id === t.id)?.state).toBe("waiting");
      expect(formatThreads()).toMatch(new RegExp(`#${t.id} sleeper#${t.id} \\[waiting\\]`));
      await t.wait();
      expect(countThreads()).toBe(before);
      expect(listThreads().some((i) => i.id === t.id)).toBe(false);
    }));
});

describe("withVirtualHub leak checks", () => {
  test("fails a test that leaves a thread running", async () => {
    let leaked: GreenThread<unknown> | undefined;
    await expect(
      withVirtualHub(async () => {
        leaked = spawn(() => suspend(() => {}));
        await sleep(0);
      }),
    ).rejects.toMatchObject({ code: "ERR_TENDRIL_LEAK" });
    await leaked?.kill();
  });

  test("fails a test that leaves a timer armed", async () => {
    await expect(
      withVirtualHub(
        async () => {
          const t = spawnAfter(1000, () => 1);
          void t;
        },
        { checkThreads: false },
      ),
    ).rejects.toThrow(/timer/);
  });
});
