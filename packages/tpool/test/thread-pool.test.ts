import { fileURLToPath } from "node:url";
import { GreenThreadExit, isTimeout, sleep, spawn, withTimeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { waitFor } from "@tendril/test-servers";
import { NoSuchExport, ThreadPool, ThreadPoolClosed, ThreadPoolFull } from "@tendril/tpool";
import { afterEach, describe, expect, test } from "vitest";

const TASKS = new URL("./fixtures/tasks.mjs", import.meta.url);

const pools: ThreadPool[] = [];
function makePool(options: Partial<ConstructorParameters<typeof ThreadPool>[0]> = {}): ThreadPool {
  const pool = new ThreadPool({ filename: TASKS, ...options });
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close({ graceMs: 0 });
});

// A gate for the `block` task: tasks wait on it in their worker until it is opened.
function gate() {
  const shared = new SharedArrayBuffer(8);
  const cell = new Int32Array(shared);
  return {
    shared,
    started: () => Atomics.load(cell, 1),
    open() {
      Atomics.store(cell, 0, 1);
      Atomics.notify(cell, 0);
    },
  };
}

describe("ThreadPool", () => {
  test("run calls the worker module's default export (or a named one) on a worker thread", async () => {
    const pool = makePool({ maxThreads: 2 });
    expect(await pool.run({ a: 2, b: 40 })).toBe(42);
    expect(await pool.run("hi", { name: "later" })).toBe("hi");
    const mainThreadId = (await import("node:worker_threads")).threadId;
    expect(await pool.run(undefined, { name: "whoAmI" })).not.toBe(mainThreadId);
    expect(pool.completed).toBe(3);
  });

  test("execute calls a named export with the arguments spread, Eventlet's tpool.execute", async () => {
    const pool = makePool({ maxThreads: 1 });
    expect(await pool.execute("multiply", 6, 7)).toBe(42);
    expect(await pool.execute("multiply", 2, 3, 4)).toBe(24);
  });

  test("a task's error reaches the caller as the worker threw it", async () => {
    const pool = makePool({ maxThreads: 1 });
    const error = await pool.execute("fail", "too big").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe("too big");
    expect(await pool.execute("multiply", 1, 1)).toBe(1); // the thread survives
  });

  test("transferList moves a buffer to the worker instead of copying it", async () => {
    const pool = makePool({ maxThreads: 1 });
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const result = await pool.run(bytes, { name: "sumBytes", transferList: [bytes.buffer] });
    expect(result).toEqual({ sum: 10, length: 4 });
    expect(bytes.buffer.byteLength).toBe(0); // detached here: it was moved
    const copied = new Uint8Array([5, 5]);
    expect(await pool.run(copied, { name: "sumBytes" })).toEqual({ sum: 10, length: 2 });
    expect(copied.byteLength).toBe(2);
  });

  test("a Timeout cancels a running task by terminating its thread; the pool carries on with a fresh one", async () => {
    const pool = makePool({ maxThreads: 1, minThreads: 1 });
    const before = await pool.execute("whoAmI");
    await withVirtualHub(async () => {
      const error = await withTimeout(1000, () => pool.execute("spinForever")).catch(
        (e: unknown) => e,
      );
      expect(isTimeout(error)).toBe(true);
    });
    const after = await pool.execute("whoAmI");
    expect(after).not.toBe(before); // spinForever's thread was terminated
    expect(await pool.execute("multiply", 3, 3)).toBe(9);
    expect(pool.running()).toBe(0);
  });

  test("killing a thread whose task is queued drops the task: it never runs", async () => {
    const pool = makePool({ maxThreads: 1, maxQueue: 4 });
    const g = gate();
    const first = spawn(() => pool.execute("block", g.shared));
    await waitFor(() => g.started() === 1, "the first task runs");
    const queued = spawn(() => pool.execute("block", g.shared));
    await waitFor(() => pool.running() === 2, "the second task is queued");
    await queued.kill();
    await expect(queued.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    await waitFor(() => pool.running() === 1, "the queued task's room is freed");
    g.open();
    expect(await first.wait()).toBe("released");
    expect(g.started()).toBe(1); // the killed task never started
    expect(pool.completed).toBe(1);
  });

  test("a full pool makes callers wait their turn, FIFO; a caller killed while waiting takes no room", async () => {
    const pool = makePool({ maxThreads: 1, maxQueue: 0 });
    const g = gate();
    const order: string[] = [];
    const holder = spawn(() => pool.execute("block", g.shared));
    await waitFor(() => g.started() === 1, "the holder runs");
    const a = spawn(async () => order.push(await pool.execute<string>("later", "a")));
    const b = spawn(async () => order.push(await pool.execute<string>("later", "b")));
    const c = spawn(async () => order.push(await pool.execute<string>("later", "c")));
    await sleep(0);
    expect(pool.waiting()).toBe(3);
    await b.kill();
    expect(pool.waiting()).toBe(2);
    g.open();
    await holder.wait();
    await a.wait();
    await c.wait();
    expect(order).toEqual(["a", "c"]);
    expect(pool.running()).toBe(0);
  });

  test('whenFull: "reject" fails at once with ThreadPoolFull', async () => {
    const pool = makePool({ maxThreads: 1, maxQueue: 1, whenFull: "reject" });
    const g = gate();
    const running = spawn(() => pool.execute("block", g.shared));
    const queued = spawn(() => pool.execute("multiply", 2, 2));
    await sleep(0);
    const error = await pool.execute("multiply", 1, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThreadPoolFull);
    expect((error as ThreadPoolFull).code).toBe("ERR_TENDRIL_TPOOL_FULL");
    expect((error as ThreadPoolFull).capacity).toBe(2);
    g.open();
    expect(await running.wait()).toBe("released");
    expect(await queued.wait()).toBe(4);
  });

  test("close fails the callers waiting for room with ThreadPoolClosed, finishes submitted tasks, then refuses new ones", async () => {
    const pool = makePool({ maxThreads: 1, maxQueue: 0 });
    const g = gate();
    const holder = spawn(() => pool.execute("block", g.shared));
    await waitFor(() => g.started() === 1, "the holder runs");
    const waiter = spawn(() => pool.execute("multiply", 1, 2));
    await sleep(0);
    const closing = spawn(() => pool.close());
    await expect(waiter.wait()).rejects.toBeInstanceOf(ThreadPoolClosed);
    g.open();
    expect(await holder.wait()).toBe("released");
    await closing.wait();
    expect(pool.closed).toBe(true);
    await expect(pool.run({ a: 1, b: 1 })).rejects.toThrow(/thread pool is closed/);
  });

  test("close({ graceMs }) aborts the tasks still running when the grace is over; a bad graceMs is refused", async () => {
    const pool = makePool({ maxThreads: 1 });
    await expect(pool.close({ graceMs: -1 })).rejects.toThrow(
      /graceMs must be a number >= 0, received -1/,
    );
    expect(pool.closed).toBe(false);
    const g = gate();
    const stuck = spawn(() => pool.execute("block", g.shared));
    await waitFor(() => g.started() === 1, "the task runs");
    const outcome = stuck.wait().catch((e: unknown) => e);
    await pool.close({ graceMs: 20 });
    expect(pool.closed).toBe(true);
    const error = await outcome;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/Terminating worker thread/);
  });

  test("a function cannot cross threads: execute says how to name it; an unknown export is a typed error", async () => {
    const pool = makePool({ maxThreads: 1 });
    function fib(n: number): number {
      return n;
    }
    await expect(pool.execute(fib as unknown as string, 3)).rejects.toThrow(
      /functions cannot cross to a worker thread; export function fib/,
    );
    const error = await pool.execute("nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoSuchExport);
    expect((error as NoSuchExport).code).toBe("ERR_TENDRIL_TPOOL_NO_EXPORT");
    expect((error as NoSuchExport).exportName).toBe("nope");
    expect((error as Error).message).toMatch(/no exported function named "nope"/);
    await expect(pool.execute("notAFunction")).rejects.toThrow(/found number/);
  });

  test("bad options are typed errors that name the received value", () => {
    expect(() => new ThreadPool({ filename: 42 as unknown as string })).toThrow(
      /filename must be the worker module's path or file: URL, received 42/,
    );
    expect(() => new ThreadPool({ filename: TASKS, maxThreads: 0 })).toThrow(RangeError);
    expect(() => new ThreadPool({ filename: TASKS, maxThreads: 1.5 })).toThrow(
      /maxThreads must be an integer >= 1, received 1.5/,
    );
    expect(() => new ThreadPool({ filename: TASKS, maxQueue: -1 })).toThrow(/maxQueue/);
    expect(
      () => new ThreadPool({ filename: TASKS, whenFull: "drop" as "wait", maxThreads: 1 }),
    ).toThrow(/whenFull must be "wait" or "reject", received "drop"/);
    expect(() => new ThreadPool({ filename: TASKS, minThreads: 3, maxThreads: 2 })).toThrow(
      /minThreads must be <= maxThreads/,
    );
    expect(fileURLToPath(TASKS)).toMatch(/tasks\.mjs$/);
  });
});
