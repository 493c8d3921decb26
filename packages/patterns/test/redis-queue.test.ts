import { GreenThreadExit, QueueEmpty, sleep, spawn } from "@tendril/core";
import {
  RedisQueue,
  RedisQueueClosed,
  type RedisQueueOptions,
  UnknownItem,
} from "@tendril/patterns/redis-queue";
import { type RedisServer, startRedisServer } from "@tendril/test-servers";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";

let server: RedisServer;
let admin: Redis;
const open: RedisQueue<unknown>[] = [];
let counter = 0;

beforeAll(async () => {
  server = await startRedisServer({ persistent: true });
  admin = new Redis(server.url, { maxRetriesPerRequest: null });
  admin.on("error", () => {}); // reconnects by itself across the restart test
});

afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

afterEach(async () => {
  for (const q of open.splice(0)) await q.close();
});

/** A queue on a fresh name (or the given one), closed after the test. */
function queue<T>(options: Partial<RedisQueueOptions> = {}): RedisQueue<T> {
  const q = new RedisQueue<T>({
    redis: server.url,
    name: options.name ?? `q${++counter}`,
    ...options,
  } as RedisQueueOptions);
  open.push(q as RedisQueue<unknown>);
  return q;
}

describe("RedisQueue", { timeout: 30_000 }, () => {
  test("hands items out in order, once each, and join() resolves when all are done", async () => {
    const producer = queue<{ n: number }>();
    const consumer = queue<{ n: number }>({ name: producer.name });
    for (let n = 0; n < 5; n++) expect(await producer.put({ n })).toBe(true);
    expect(await producer.unfinished()).toBe(5);
    const joined = spawn(() => producer.join({ pollMs: 5 }));
    const got: number[] = [];
    for (let i = 0; i < 5; i++) {
      const item = await consumer.get({ timeout: 2000 });
      got.push(item.n);
      expect(joined.dead).toBe(false);
      expect((await consumer.taskDone(item)).first).toBe(true);
    }
    await joined.wait();
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(await producer.unfinished()).toBe(0);
    await expect(consumer.get({ block: false })).rejects.toBeInstanceOf(QueueEmpty);
  });

  test("a key admits an item once across processes, within the maxKeys budget", async () => {
    const a = queue<string>();
    const b = queue<string>({ name: a.name });
    expect(await a.put("/x", { key: "/x", maxKeys: 2 })).toBe(true);
    expect(await b.put("/x", { key: "/x", maxKeys: 2 })).toBe(false);
    expect(await b.put("/y", { key: "/y", maxKeys: 2 })).toBe(true);
    expect(await a.put("/z", { key: "/z", maxKeys: 2 })).toBe(false); // over the budget
    expect(await a.seen()).toBe(2);
    expect(await a.unfinished()).toBe(2);
  });

  test("get({ timeout }) rejects with QueueEmpty when nothing comes", async () => {
    const q = queue<string>();
    await expect(q.get({ timeout: 30 })).rejects.toBeInstanceOf(QueueEmpty);
    await expect(q.get({ block: false })).rejects.toThrow(/no item ready/);
  });

  test("a killed getter loses nothing: the item it was delivered goes to the next get()", async () => {
    const q = queue<string>({ visibilityTimeoutMs: 60_000 });
    const getter = spawn(() => q.get());
    await sleep(50); // the getter is parked in a blocking XREADGROUP
    await getter.kill();
    await expect(getter.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    await q.put("after the kill");
    expect(await q.get({ timeout: 2000 })).toBe("after the kill");
    expect((await q.taskDone("after the kill")).first).toBe(true);
  });

  test("close() hands an entry an interrupted get() was delivered back to other consumers at once", async () => {
    const a = queue<string>({ visibilityTimeoutMs: 60_000 });
    const b = queue<string>({ name: a.name, visibilityTimeoutMs: 60_000 });
    await expect(a.get({ timeout: 100 })).rejects.toBeInstanceOf(QueueEmpty);
    const getter = spawn(() => a.get());
    await sleep(30);
    await getter.kill();
    await a.put("orphan");
    // Let the interrupted read deliver the entry into a's buffer, then close a.
    for (let i = 0; i < 100 && (await admin.xpending(a.keys.stream, "workers"))[0] === 0; i++) {
      await sleep(10);
    }
    await a.close();
    // b gets it now, long before the 60 s visibility timeout.
    expect(await b.get({ timeout: 5000 })).toBe("orphan");
  });

  test("an item whose consumer died is redelivered after the visibility timeout, and finishes once", async () => {
    const dying = queue<{ url: string }>({ visibilityTimeoutMs: 150 });
    const survivor = queue<{ url: string }>({ name: dying.name, visibilityTimeoutMs: 150 });
    await dying.put({ url: "/a" });
    const first = await dying.get({ timeout: 2000 });
    // `dying` stops without finishing the item (as a process killed mid-task would).
    const again = await survivor.get({ timeout: 5000 });
    expect(again).toEqual({ url: "/a" });
    const done = await survivor.taskDone(again, { result: { url: "/a", by: "survivor" } });
    expect(done.first).toBe(true);
    // The presumed-dead consumer finishes late: acknowledged, but not recorded twice.
    const late = await dying.taskDone(first, { result: { url: "/a", by: "dying" } });
    expect(late.first).toBe(false);
    expect(await dying.resultCount()).toBe(1);
    expect((await dying.results())[0]?.value).toEqual({ url: "/a", by: "survivor" });
  });

  test("taskDone puts follow-ups and records the result in one step", async () => {
    const q = queue<string>();
    await q.put("/", { key: "/" });
    const home = await q.get({ timeout: 2000 });
    const done = await q.taskDone(home, {
      put: [
        { item: "/a", key: "/a" },
        { item: "/", key: "/" },
        { item: "/b", key: "/b" },
        { item: "/c", key: "/c" },
      ],
      maxKeys: 3,
      result: { url: home },
    });
    expect(done).toEqual({
      first: true,
      added: 2,
      duplicates: 1,
      overBudget: 1,
      seen: 3,
      unfinished: 2,
    });
    expect([await q.get({ timeout: 2000 }), await q.get({ timeout: 2000 })]).toEqual(["/a", "/b"]);
    expect((await q.results()).map((r) => r.value)).toEqual([{ url: "/" }]);
  });

  test("taskDones made together finish in a few batched script runs, each reported on its own, in call order", async () => {
    const q = queue<string>({ prefetch: 200 });
    const other = queue<string>({ name: q.name });
    for (let i = 0; i < 150; i++) await q.put(`/p${i}`, { key: `/p${i}` });
    const items: string[] = [];
    for (let i = 0; i < 150; i++) items.push(await q.get({ timeout: 2000 }));
    const before = (await admin.info("commandstats")).match(/cmdstat_evalsha:calls=(\d+)/);
    // 150 finishes issued in one turn (more than one batch holds); each puts a link seen
    // before by the previous one, so the order inside a batch shows in the counts.
    const finished = await Promise.all(
      items.map((item, i) =>
        q.taskDone(item, {
          put: [
            { item: `/p${i}/a`, key: `/p${i}/a` },
            { item: `/p${i - 1}/a`, key: `/p${i - 1}/a` },
          ],
          result: { item },
        }),
      ),
    );
    const after = (await admin.info("commandstats")).match(/cmdstat_evalsha:calls=(\d+)/);
    expect(finished.map((f) => f.first)).toEqual(items.map(() => true));
    expect(finished[0]).toMatchObject({ added: 2, duplicates: 0 }); // "/p-1/a" was new
    expect(finished.slice(1).every((f) => f.added === 1 && f.duplicates === 1)).toBe(true);
    // Sizes as they were right after each finish: one more key, one entry fewer, each time.
    expect(finished.map((f) => f.seen)).toEqual(items.map((_, i) => 150 + 2 + i));
    expect(finished.at(-1)?.unfinished).toBe(151);
    // Far fewer script runs than finishes (nothing else runs scripts on this server meanwhile).
    const runs = Number(after?.[1] ?? 0) - Number(before?.[1] ?? 0);
    expect(runs).toBeGreaterThan(0);
    expect(runs).toBeLessThanOrEqual(10);
    // Every result recorded once, in call order, visible to any consumer.
    expect(await q.resultCount()).toBe(150);
    expect((await other.results()).map((r) => r.value)).toEqual(items.map((item) => ({ item })));
  });

  test("a taskDone made just before close() still finishes", async () => {
    const q = queue<string>();
    await q.put("/last", { key: "/last" });
    const item = await q.get({ timeout: 2000 });
    const done = q.taskDone(item, { result: "ok" });
    await q.close();
    expect((await done).first).toBe(true);
    const fresh = queue<string>({ name: q.name });
    expect(await fresh.unfinished()).toBe(0);
    expect(await fresh.resultCount()).toBe(1);
  });
  test("a malformed entry is dead-lettered, not retried, and the next good item comes through", async () => {
    const q = queue<{ ok: boolean }>();
    await q.put({ ok: true }); // creates the stream and group
    await q.get({ timeout: 2000 }).then((item) => q.taskDone(item));
    await admin.xadd(q.keys.stream, "*", "junk", "no v field");
    await admin.xadd(q.keys.stream, "*", "v", "{not json");
    await q.put({ ok: true });
    expect(await q.get({ timeout: 2000 })).toEqual({ ok: true });
    const dead = await q.deadLetters();
    expect(dead.map((d) => d.reason)).toEqual(["malformed", "malformed"]);
    expect(dead[0]?.fields).toEqual({ junk: "no v field" });
    expect(dead[1]?.detail).toMatch(/does not decode/);
    expect(await q.unfinished()).toBe(1); // only the good item, handed out
  });

  test("an item delivered more than maxDeliveries times is dead-lettered as poison", async () => {
    const name = `poison${++counter}`;
    const first = queue<string>({ name, visibilityTimeoutMs: 50, maxDeliveries: 2 });
    await first.put("poison");
    expect(await first.get({ timeout: 2000 })).toBe("poison"); // delivery 1, never finished
    const second = queue<string>({ name, visibilityTimeoutMs: 50, maxDeliveries: 2 });
    expect(await second.get({ timeout: 3000 })).toBe("poison"); // delivery 2, never finished
    const third = queue<string>({ name, visibilityTimeoutMs: 50, maxDeliveries: 2 });
    await expect(third.get({ timeout: 600 })).rejects.toBeInstanceOf(QueueEmpty);
    const dead = await third.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ reason: "max-deliveries", fields: { v: '"poison"' } });
    expect(await third.unfinished()).toBe(0);
  });

  test("release() hands an item back to other consumers at once", async () => {
    const a = queue<string>({ visibilityTimeoutMs: 60_000 });
    const b = queue<string>({ name: a.name, visibilityTimeoutMs: 60_000 });
    await a.put("job");
    await a.release(await a.get({ timeout: 2000 }));
    expect(await b.get({ timeout: 5000 })).toBe("job");
  });

  test("prefetch reads ahead for later gets, and close() hands what is left back", async () => {
    const a = queue<number>({ prefetch: 3, visibilityTimeoutMs: 60_000 });
    const b = queue<number>({ name: a.name, visibilityTimeoutMs: 60_000 });
    for (const n of [1, 2, 3, 4]) await a.put(n);
    expect(await a.get({ timeout: 2000 })).toBe(1); // one read took 1 to 4
    expect(await b.get({ block: false }).catch((e: unknown) => e)).toBeInstanceOf(QueueEmpty);
    expect(await a.get({ block: false })).toBe(2); // from the read-ahead, no round trip needed
    await a.close();
    expect([await b.get({ timeout: 2000 }), await b.get({ timeout: 2000 })]).toEqual([3, 4]);
  });

  test("with prefetch, a taskDone reads ahead in the same write: its follow-ups need no read of their own", async () => {
    const q = queue<string>({ prefetch: 4, visibilityTimeoutMs: 60_000 });
    const other = queue<string>({ name: q.name, visibilityTimeoutMs: 60_000 });
    await q.put("/a");
    expect(await q.get({ timeout: 2000 })).toBe("/a");
    const reads = async () =>
      Number((await admin.info("commandstats")).match(/cmdstat_xreadgroup:calls=(\d+)/)?.[1] ?? 0);
    const before = await reads();
    await q.taskDone("/a", { put: [{ item: "/b" }, { item: "/c" }] });
    // The read sent along with the finish ran right after it in Redis, so it took both
    // follow-ups for this consumer: the other one finds nothing.
    expect(await other.get({ block: false }).catch((e: unknown) => e)).toBeInstanceOf(QueueEmpty);
    expect([await q.get({ block: false }), await q.get({ block: false })]).toEqual(["/b", "/c"]);
    // One read in all: the one along with the finish (other's look is the second).
    expect((await reads()) - before).toBe(2);
    await q.taskDone("/b");
    await q.taskDone("/c");
    expect(await q.unfinished()).toBe(0);
  });

  test("is async-iterable", async () => {
    const q = queue<number>();
    for (const n of [1, 2, 3]) await q.put(n);
    const seen: number[] = [];
    for await (const n of q) {
      seen.push(n);
      await q.taskDone(n);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
  });

  test("keeps working across a Redis restart (appendonly with fsync always)", async () => {
    const q = queue<string>({ visibilityTimeoutMs: 60_000 });
    await q.put("before");
    await server.restart({ downMs: 200 });
    expect(await q.get({ timeout: 10_000 })).toBe("before");
    await q.put("after");
    expect(await q.get({ timeout: 10_000 })).toBe("after");
    expect((await q.taskDone("before")).first).toBe(true);
    expect((await q.taskDone("after")).first).toBe(true);
  });

  test("rejects bad options and unknown items with typed errors naming the value", async () => {
    const url = server.url;
    expect(() => new RedisQueue({ redis: url, name: "a b" })).toThrow(
      /name must be .* received "a b"/,
    );
    expect(() => new RedisQueue({ redis: "http://x", name: "a" })).toThrow(/received "http:\/\/x"/);
    expect(() => new RedisQueue({ redis: url, name: "a", visibilityTimeoutMs: -1 })).toThrow(
      RangeError,
    );
    expect(() => new RedisQueue({ redis: url, name: "a", maxDeliveries: 0 })).toThrow(
      /maxDeliveries must be an integer >= 1, received 0/,
    );
    expect(() => new RedisQueue({ redis: url, name: "a", prefetch: 1.5 })).toThrow(
      /prefetch must be an integer >= 0, received 1.5/,
    );
    const q = queue<string>();
    await expect(q.taskDone("never handed out")).rejects.toBeInstanceOf(UnknownItem);
    await expect(q.get({ timeout: -5 })).rejects.toThrow(/received -5/);
    await q.close();
    await expect(q.get()).rejects.toBeInstanceOf(RedisQueueClosed);
  });
});
