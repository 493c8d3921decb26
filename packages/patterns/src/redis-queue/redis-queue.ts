/**
 * `RedisQueue`: Tendril's `Queue` interface over a Redis stream with a consumer group, so many
 * processes (on many machines) share one queue and nothing is lost when one of them dies.
 *
 * Layout, for a queue named `jobs` (the braces keep every key on one Redis Cluster slot):
 * - `tendril:{jobs}:queue` — the stream; one entry per unfinished item, field `v` the encoded
 *   item. Entries are deleted when finished, so its length is the number of unfinished items.
 * - `tendril:{jobs}:seen` — the dedupe set of keys given to `put(item, { key })`.
 * - `tendril:{jobs}:dead` — the dead-letter stream: malformed entries and poison items.
 * - `tendril:{jobs}:results` — results recorded by `taskDone(item, { result })`, once per item.
 *
 * Delivery is at least once: `get()` reads with XREADGROUP, and the entry stays pending until
 * `taskDone()` acknowledges it; an entry whose consumer died is claimed by another consumer
 * (XAUTOCLAIM) once it has been pending for `visibilityTimeoutMs`. Finishing is atomic and
 * happens once: only the first `taskDone()` for an entry admits its follow-up items and records
 * its result, so a redelivered item that was processed twice is still reported once.
 *
 * Trade-off: one blocking read is in flight per queue object, on its own connection; getters
 * in the process share it. A getter that is killed or times out leaves the read running; what
 * it delivers waits in this object's buffer for the next `get()` (it is pending in Redis, so if
 * the process dies it is reclaimed), and `close()` hands buffered entries back at once.
 *
 * @module
 */

import { hostname } from "node:os";
import { getHub, green, QueueEmpty, sleep, TendrilError, withTimeout } from "@tendril/core";
import { checkInteger, checkMs, describeValue } from "@tendril/core/validate";
import { Redis } from "ioredis";
import { DEAD, DONE, PUT, RECLAIM, runScript } from "./scripts.js";

/**
 * Options of `RedisQueue`. Times are in milliseconds.
 *
 * @example
 * ```ts
 * const options: RedisQueueOptions = { redis: "redis://127.0.0.1:6379", name: "jobs", visibilityTimeoutMs: 60_000 };
 * ```
 */
export interface RedisQueueOptions {
  /**
   * The Redis server: a URL (`redis://127.0.0.1:6379/0`), or an ioredis client (not closed by
   * `close()`; the queue opens one more connection from it with `duplicate()` for blocking
   * reads). A URL opens connections that retry forever while Redis is down.
   */
  redis: string | Redis;
  /** The queue's name: its keys are `tendril:{name}:…`. Letters, digits, `.`, `_`, `-`, `:`. */
  name: string;
  /** The consumer group: the processes that share the work. Default `"workers"`. */
  group?: string;
  /** This consumer's name in the group. Default: host, pid and a random suffix. */
  consumer?: string;
  /**
   * How long a delivered item may stay unfinished before another consumer may take it (its
   * consumer is presumed dead). Longer than the slowest item's processing. Default 30_000.
   */
  visibilityTimeoutMs?: number;
  /** Deliveries after which an unfinished item is dead-lettered as poison. Default 5. */
  maxDeliveries?: number;
  /** How an item is written to and read from the stream. Default: JSON. */
  codec?: RedisQueueCodec<unknown>;
  /**
   * Entries one read may take beyond the getters waiting, kept for the next `get()`s: fewer
   * round trips when items are handled fast. With it, each batch of `taskDone`s also reads
   * ahead, in the same write. The entries are pending on this consumer meanwhile (so handled
   * within `visibilityTimeoutMs`, or taken over), and `close()` hands them back. Default 0.
   */
  prefetch?: number;
}

/**
 * Turns items into stream field values and back. `decode` throws for a malformed value.
 *
 * @example
 * ```ts
 * const codec: RedisQueueCodec<Date> = { encode: (d) => d.toISOString(), decode: (t) => new Date(t) };
 * ```
 */
export interface RedisQueueCodec<T> {
  encode(item: T): string;
  decode(text: string): T;
}

/**
 * Options of `RedisQueue.put`.
 *
 * @example
 * ```ts
 * await queue.put(url, { key: url, maxKeys: 10_000, timeout: 5000 });
 * ```
 */
export interface RedisPutOptions {
  /** Admit the item only if no item was ever put with this key (the dedupe set). */
  key?: string;
  /** With `key`: admit it only while the dedupe set has fewer than this many keys. */
  maxKeys?: number;
  /** Give up (with the Timeout's error) when Redis has not answered in time. Default: no limit. */
  timeout?: number | null;
}

/**
 * One follow-up item for `taskDone(item, { put })`.
 *
 * @example
 * ```ts
 * const follow: RedisFollowUp<string> = { item: "/next", key: "/next" };
 * ```
 */
export interface RedisFollowUp<T> {
  item: T;
  key?: string;
}

/**
 * Options of `RedisQueue.taskDone`.
 *
 * @example
 * ```ts
 * await queue.taskDone(job, { put: [{ item: "/next", key: "/next" }], maxKeys: 1000, result: { ok: true } });
 * ```
 */
export interface RedisTaskDoneOptions<T, R> {
  /** Items to put in the same atomic step (each admitted as `put(item, { key, maxKeys })`). */
  put?: readonly RedisFollowUp<T>[];
  /** The dedupe budget for `put`'s keys. */
  maxKeys?: number;
  /** A result to append to the results stream, once per item. */
  result?: R;
}

/**
 * What `taskDone` did.
 *
 * @example
 * ```ts
 * const { first, added } = await queue.taskDone(job);
 * if (!first) console.log("another consumer finished it first");
 * ```
 */
export interface RedisTaskDone {
  /** True when this call finished the item; false when another consumer already had. */
  readonly first: boolean;
  /** Follow-up items admitted, refused as duplicates, refused over the budget. */
  readonly added: number;
  readonly duplicates: number;
  readonly overBudget: number;
  /** Keys in the dedupe set, and unfinished items, after this step (across all consumers). */
  readonly seen: number;
  readonly unfinished: number;
}

/**
 * One entry of the dead-letter stream.
 *
 * @example
 * ```ts
 * for (const dead of await queue.deadLetters()) console.log(dead.reason, dead.fields);
 * ```
 */
export interface DeadLetter {
  /** The dead-letter entry's own id. */
  readonly deadId: string;
  /** The original entry's id. */
  readonly id: string;
  /** `"malformed"` or `"max-deliveries"`. */
  readonly reason: string;
  readonly detail: string;
  /** The original entry's fields. */
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * One recorded result.
 *
 * @example
 * ```ts
 * const [first] = await queue.results<{ url: string }>({ count: 1 });
 * console.log(first?.id, first?.value.url);
 * ```
 */
export interface RedisResult<R> {
  readonly id: string;
  readonly value: R;
}

/**
 * The error of an operation on a closed `RedisQueue`. `code` is `ERR_TENDRIL_QUEUE_CLOSED`.
 *
 * @example
 * ```ts
 * await queue.close();
 * await queue.get().catch((e) => e instanceof RedisQueueClosed); // true
 * ```
 */
export class RedisQueueClosed extends TendrilError {
  constructor(name: string) {
    super("ERR_TENDRIL_QUEUE_CLOSED", `the RedisQueue ${JSON.stringify(name)} is closed`);
  }
}

/**
 * `taskDone` was given an item this queue object did not hand out (or already finished).
 * `code` is `ERR_TENDRIL_QUEUE_UNKNOWN_ITEM`.
 *
 * @example
 * ```ts
 * await queue.taskDone("never got").catch((e) => e instanceof UnknownItem); // true
 * ```
 */
export class UnknownItem extends TendrilError {
  constructor(item: unknown) {
    super(
      "ERR_TENDRIL_QUEUE_UNKNOWN_ITEM",
      `taskDone: this consumer has no unfinished item ${describe(item)}`,
    );
  }
}

interface Entry {
  readonly id: string;
  readonly fields: readonly string[];
}

/** One `taskDone` waiting for its batch: its DONE arguments and its caller. */
interface Finishing {
  readonly args: readonly (string | number)[];
  resolve(reply: number[]): void;
  reject(error: unknown): void;
}

/**
 * The most `taskDone`s finished by one script run: bounds how long Redis is busy with one
 * batch (a few hundred microseconds), since a script blocks every other client meanwhile.
 */
const MAX_FINISH_BATCH = 64;

const JSON_CODEC: RedisQueueCodec<unknown> = {
  encode: (item) => {
    const text = JSON.stringify(item);
    if (text === undefined)
      throw new TypeError(`RedisQueue: cannot encode ${describe(item)} as JSON`);
    return text;
  },
  decode: (text) => JSON.parse(text) as unknown,
};

const NAME = /^[A-Za-z0-9._:-]{1,200}$/;
/** An idle time far beyond any visibility timeout: entries handed back are claimable at once. */
const HAND_BACK_IDLE = 10 * 365 * 24 * 3600 * 1000;
const SKIPPED = Symbol("skipped");

const describe = describeValue;

function checkName(what: string, value: unknown): string {
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new TypeError(
      `RedisQueue: ${what} must be 1-200 letters, digits, '.', '_', '-' or ':', received ${describe(value)}`,
    );
  }
  return value;
}

function checkCount(what: string, value: unknown, fallback: number, min: number): number {
  return value === undefined ? fallback : checkInteger(`RedisQueue: ${what}`, value, min);
}

function checkTimeout(what: string, value: unknown): number | null {
  return value === undefined || value === null ? null : checkMs(`RedisQueue: ${what}`, value);
}

function ignore(): void {}

function fieldMap(fields: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
  return map;
}

function isBusyGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("BUSYGROUP");
}

/**
 * A work queue shared by many processes through Redis Streams, with Tendril's queue
 * interface: `put`, `get` (a green operation: kill and `Timeout` interrupt it, and the item is
 * not lost), `taskDone`, `join`, `{ timeout }`, and async iteration. Delivery is at least once:
 * an item is acknowledged by `taskDone`, and one whose consumer died is delivered again after
 * `visibilityTimeoutMs`. Keys given to `put` dedupe items across every process; a malformed entry,
 * or an item delivered more than `maxDeliveries` times, goes to the dead-letter stream.
 *
 * @throws {TypeError|RangeError} for a bad option, naming the received value.
 * @example
 * ```ts
 * import { RedisQueue } from "@tendril/patterns/redis-queue";
 * const queue = new RedisQueue<string>({ redis: "redis://127.0.0.1:6379", name: "jobs" });
 * await queue.put("https://example.com/", { key: "https://example.com/" });
 * const url = await queue.get({ timeout: 1000 });
 * await queue.taskDone(url);
 * await queue.close();
 * ```
 */
export class RedisQueue<T> implements AsyncIterable<T> {
  /** The queue's name. */
  readonly name: string;
  /** This consumer's name in the group. */
  readonly consumer: string;
  readonly #group: string;
  readonly #visibility: number;
  readonly #maxDeliveries: number;
  readonly #prefetch: number;
  readonly #codec: RedisQueueCodec<T>;
  readonly #client: Redis;
  readonly #ownsClient: boolean;
  #blocking: Redis | null = null;
  readonly #keys: { stream: string; seen: string; dead: string; results: string };
  #ready: Promise<void> | null = null;
  #reading: Promise<void> | null = null;
  /** Whether the read in flight may wait in Redis (XREADGROUP BLOCK). */
  #readBlocks = false;
  readonly #buffer: Entry[] = [];
  /** Items handed out by `get()` and not finished yet: item → entry ids (oldest first). */
  readonly #handed = new Map<unknown, string[]>();
  #getters = 0;
  /** `taskDone` calls waiting for the next batch, and the batch loop while it runs. */
  readonly #finishing: Finishing[] = [];
  #flushing: Promise<void> | null = null;
  #lastReclaim = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(options: RedisQueueOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`RedisQueue: options must be an object, received ${describe(options)}`);
    }
    this.name = checkName("name", options.name);
    this.#group = checkName("group", options.group ?? "workers");
    this.consumer = checkName(
      "consumer",
      options.consumer ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
    );
    this.#visibility = checkCount("visibilityTimeoutMs", options.visibilityTimeoutMs, 30_000, 1);
    this.#maxDeliveries = checkCount("maxDeliveries", options.maxDeliveries, 5, 1);
    this.#prefetch = checkCount("prefetch", options.prefetch, 0, 0);
    const codec = options.codec ?? JSON_CODEC;
    if (typeof codec?.encode !== "function" || typeof codec.decode !== "function") {
      throw new TypeError(
        `RedisQueue: codec must have encode and decode functions, received ${describe(codec)}`,
      );
    }
    this.#codec = codec as RedisQueueCodec<T>;
    const { redis } = options;
    if (typeof redis === "string") {
      let url: URL;
      try {
        url = new URL(redis);
      } catch {
        throw new TypeError(
          `RedisQueue: redis must be a redis:// URL or a client, received ${describe(redis)}`,
        );
      }
      if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
        throw new TypeError(
          `RedisQueue: redis must be a redis:// URL or a client, received ${describe(redis)}`,
        );
      }
      // Retry forever while Redis is down (a restart): callers bound waits with Timeouts.
      // Auto-pipelining: the commands of many green threads issued in one turn go out in one
      // write (one syscall) instead of one each.
      this.#client = new Redis(redis, {
        maxRetriesPerRequest: null,
        lazyConnect: true,
        enableAutoPipelining: true,
      });
      // ioredis reconnects by itself; a command waiting meanwhile reports what went wrong.
      // Without a listener, every failed reconnect attempt would be printed as "unhandled".
      this.#client.on("error", ignore);
      this.#ownsClient = true;
    } else if (redis instanceof Redis) {
      this.#client = redis;
      this.#ownsClient = false;
    } else {
      throw new TypeError(
        `RedisQueue: redis must be a redis:// URL or a client, received ${describe(redis)}`,
      );
    }
    const base = `tendril:{${this.name}}`;
    this.#keys = {
      stream: `${base}:queue`,
      seen: `${base}:seen`,
      dead: `${base}:dead`,
      results: `${base}:results`,
    };
  }

  /** The Redis keys this queue uses. */
  get keys(): Readonly<{ stream: string; seen: string; dead: string; results: string }> {
    return this.#keys;
  }

  /**
   * Adds `item` to the queue. With `key`, the item is admitted only if no item was ever put
   * with that key (in any process), and, with `maxKeys`, only while fewer keys were seen.
   * Resolves `true` when admitted. A green operation.
   *
   * @example
   * ```ts
   * if (await queue.put(url, { key: url, maxKeys: 10_000 })) console.log("new", url);
   * ```
   */
  async put(item: T, options: RedisPutOptions = {}): Promise<boolean> {
    const key = options.key ?? "";
    if (typeof key !== "string") {
      throw new TypeError(`RedisQueue.put: key must be a string, received ${describe(key)}`);
    }
    const maxKeys = checkCount("put maxKeys", options.maxKeys, -1, 0);
    const timeout = checkTimeout("put timeout", options.timeout);
    const payload = this.#codec.encode(item);
    const added = await this.#call(timeout, async () => {
      await this.#prepare();
      return runScript(
        this.#client,
        PUT,
        [this.#keys.stream, this.#keys.seen],
        [payload, key, maxKeys],
      );
    });
    return added === 1;
  }

  /**
   * Takes the next item, waiting for one (FIFO across the group). `{ timeout }` rejects with
   * `QueueEmpty` when none came in time; `{ block: false }` looks once. A green operation: a
   * kill or `Timeout` interrupts it, and an item delivered meanwhile is kept for the next
   * `get()` of this queue object (or claimed by another consumer if this process dies).
   * Call `taskDone(item)` when the item is handled.
   *
   * @throws {QueueEmpty} when no item came within `timeout` (or at once with `block: false`).
   * @example
   * ```ts
   * const job = await queue.get({ timeout: 5000 });
   * try { await handle(job); } finally { await queue.taskDone(job); }
   * ```
   */
  async get(options: { block?: boolean; timeout?: number | null } = {}): Promise<T> {
    const timeout = checkTimeout("get timeout", options.timeout);
    const block = options.block !== false;
    const hub = getHub();
    const deadline = block
      ? timeout === null
        ? Number.POSITIVE_INFINITY
        : hub.now() + timeout
      : hub.now();
    this.#getters++;
    let looked = false;
    try {
      for (;;) {
        this.#checkOpen();
        const entry = this.#buffer.shift();
        if (entry !== undefined) {
          const item = await this.#accept(entry);
          if (item !== SKIPPED) return item;
          continue;
        }
        if (!block) {
          // Look once: a read that does not wait (one of our own, or one sent along with
          // finishes) is awaited; a blocking read another getter has in flight is theirs.
          if (looked || (this.#reading !== null && this.#readBlocks)) {
            throw new QueueEmpty("the queue has no item ready");
          }
          looked = true;
          await this.#await(this.#reading ?? this.#startRead(0));
          continue;
        }
        const remaining = deadline - hub.now();
        if (remaining <= 0) throw new QueueEmpty(`no item came within ${timeout} ms`);
        const reading = this.#reading ?? this.#startRead(Math.min(remaining, this.#pollMs()));
        if (remaining === Number.POSITIVE_INFINITY) await this.#await(reading);
        else {
          await withTimeout({ ms: remaining, timeoutValue: SKIPPED }, () => this.#await(reading));
        }
      }
    } finally {
      this.#getters--;
    }
  }

  /**
   * Finishes an item `get()` returned: acknowledges it, and in the same atomic step puts the
   * follow-up items and records the result. Only the first consumer to finish an item does
   * this (an item redelivered after its consumer was presumed dead may be handled twice, but
   * finishes once): `first` says whether this call did. Without an argument, finishes the
   * oldest unfinished item this queue object handed out. A green operation.
   *
   * @throws {UnknownItem} when this queue object has no such unfinished item.
   * @example
   * ```ts
   * const page = await queue.get();
   * const { first } = await queue.taskDone(page, { put: links.map((l) => ({ item: l, key: l })), result: summary });
   * ```
   */
  async taskDone<R = unknown>(
    item?: T,
    options: RedisTaskDoneOptions<T, R> = {},
  ): Promise<RedisTaskDone> {
    const maxKeys = checkCount("taskDone maxKeys", options.maxKeys, -1, 0);
    const follows = options.put ?? [];
    const args: (string | number)[] = [
      "",
      maxKeys,
      options.result === undefined ? "0" : "1",
      options.result === undefined ? "" : JSON.stringify(options.result),
      follows.length,
    ];
    for (const follow of follows) {
      const key = follow.key ?? "";
      if (typeof key !== "string") {
        throw new TypeError(
          `RedisQueue.taskDone: put key must be a string, received ${describe(key)}`,
        );
      }
      args.push(key, this.#codec.encode(follow.item));
    }
    this.#checkOpen();
    // Invariant: the item leaves #handed only once its arguments are valid, so a bad argument
    // leaves it unfinished and the call can be made again.
    args[0] = this.#takeHanded(item, item === undefined);
    const reply = await green(
      new Promise<number[]>((resolve, reject) => {
        this.#finishing.push({ args, resolve, reject });
        this.#flushFinishing();
      }),
    );
    return {
      first: reply[0] === 1,
      added: reply[1] ?? 0,
      duplicates: reply[2] ?? 0,
      overBudget: reply[3] ?? 0,
      seen: reply[4] ?? 0,
      unfinished: reply[5] ?? 0,
    };
  }

  /**
   * Hands an item `get()` returned back to the queue unfinished, so another consumer may take it
   * at once (instead of after `visibilityTimeoutMs`). A green operation.
   *
   * @throws {UnknownItem} when this queue object has no such unfinished item.
   * @example
   * ```ts
   * const job = await queue.get();
   * if (!canHandle(job)) await queue.release(job);
   * ```
   */
  async release(item: T): Promise<void> {
    const id = this.#takeHanded(item, false);
    await this.#handBack([id]);
  }

  /**
   * Items put and not yet finished, across every consumer (delivered or not).
   *
   * @example
   * ```ts
   * console.log(await queue.unfinished(), "to go");
   * ```
   */
  async unfinished(): Promise<number> {
    return (await this.#call(null, async () => {
      await this.#prepare();
      return this.#client.xlen(this.#keys.stream);
    })) as number;
  }

  /**
   * Keys in the dedupe set: how many distinct keys were ever admitted.
   *
   * @example
   * ```ts
   * console.log(await queue.seen(), "distinct URLs");
   * ```
   */
  async seen(): Promise<number> {
    return (await this.#call(null, () => this.#client.scard(this.#keys.seen))) as number;
  }

  /**
   * Waits until every item put (by anyone) is finished or dead-lettered. It polls: `pollMs`
   * apart (default 100). `{ timeout }` rejects with the Timeout's error when it is not done in
   * time. A green operation.
   *
   * @example
   * ```ts
   * await queue.join({ timeout: 60_000 });
   * ```
   */
  async join(options: { timeout?: number | null; pollMs?: number } = {}): Promise<void> {
    const timeout = checkTimeout("join timeout", options.timeout);
    const poll = checkCount("join pollMs", options.pollMs, 100, 1);
    const wait = async () => {
      while ((await this.unfinished()) > 0) await sleep(poll);
    };
    if (timeout === null) await wait();
    else await withTimeout(timeout, wait);
  }

  /**
   * The results recorded by `taskDone(item, { result })`, oldest first: up to `count` after
   * the entry id `after` (default: from the start). Pass the last id back to read on.
   *
   * @example
   * ```ts
   * let after = "0";
   * for (const r of await queue.results({ after })) { console.log(r.value); after = r.id; }
   * ```
   */
  async results<R = unknown>(
    options: { after?: string; count?: number } = {},
  ): Promise<RedisResult<R>[]> {
    const count = checkCount("results count", options.count, 1000, 1);
    const after = options.after ?? "0";
    const start = after === "0" ? "-" : `(${after}`;
    const rows = (await this.#call(null, () =>
      this.#client.xrange(this.#keys.results, start, "+", "COUNT", count),
    )) as [string, string[]][];
    return rows.map(([id, fields]) => ({
      id,
      value: JSON.parse(fieldMap(fields).v ?? "null") as R,
    }));
  }

  /**
   * How many results were recorded.
   *
   * @example
   * ```ts
   * console.log(await queue.resultCount(), "done");
   * ```
   */
  async resultCount(): Promise<number> {
    return (await this.#call(null, () => this.#client.xlen(this.#keys.results))) as number;
  }

  /**
   * The dead-letter stream's entries, oldest first (up to `count`, default 1000).
   *
   * @example
   * ```ts
   * for (const d of await queue.deadLetters()) console.log(d.reason, d.id, d.detail);
   * ```
   */
  async deadLetters(options: { count?: number } = {}): Promise<DeadLetter[]> {
    const count = checkCount("deadLetters count", options.count, 1000, 1);
    const rows = (await this.#call(null, () =>
      this.#client.xrange(this.#keys.dead, "-", "+", "COUNT", count),
    )) as [string, string[]][];
    return rows.map(([deadId, raw]) => {
      const map = fieldMap(raw);
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(map)) if (k.startsWith("field:")) fields[k.slice(6)] = v;
      return {
        deadId,
        id: map.id ?? "",
        reason: map.reason ?? "",
        detail: map.detail ?? "",
        fields,
      };
    });
  }

  /**
   * Deletes every key of this queue in Redis: items, dedupe set, dead letters and results.
   * For tests and benchmarks, or to start a crawl over.
   *
   * @example
   * ```ts
   * await queue.clear();
   * ```
   */
  async clear(): Promise<void> {
    const { stream, seen, dead, results } = this.#keys;
    await this.#call(null, () => this.#client.del(stream, seen, dead, results));
    this.#ready = null;
  }

  /**
   * Stops this consumer: entries it read and did not hand out are handed back at once, and the
   * connections it opened are closed. Items handed out and not finished stay pending (they are
   * redelivered after `visibilityTimeoutMs`; `release()` them first to hand them back sooner).
   *
   * @example
   * ```ts
   * await using queue = new RedisQueue({ redis: url, name: "jobs" }); // closed at scope end
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const blocking = this.#blocking;
    this.#blocking = null;
    blocking?.disconnect();
    await this.#reading?.catch(() => undefined);
    // taskDone calls made before close() still finish.
    await this.#flushing;
    const ids = this.#buffer.splice(0).map((e) => e.id);
    try {
      if (ids.length > 0 && this.#client.status === "ready") await this.#handBack(ids);
    } finally {
      if (this.#ownsClient) this.#client.disconnect();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Gets items forever, as `get()` does; `break` (or kill) ends the loop. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) yield await this.get();
  }

  // --- internals -----------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed) throw new RedisQueueClosed(this.name);
  }

  /** Starts the one read in flight (blocking for `blockMs`, if > 0); it clears itself when done. */
  #startRead(blockMs: number): Promise<void> {
    const reading = this.#read(blockMs);
    this.#reading = reading;
    this.#readBlocks = blockMs > 0;
    const clear = () => {
      if (this.#reading === reading) this.#reading = null;
    };
    reading.then(clear, clear);
    return reading;
  }

  /**
   * With `prefetch`, reads ahead along with a batch of finishes: the read goes to Redis in the
   * same write as the batch (auto-pipelining) and runs right after it, so it also sees the
   * follow-up items the batch admitted. In a busy consumer, reads then cost no round trip of
   * their own. A read that fails here is retried by the getter that next finds the buffer empty.
   */
  #readAlong(): void {
    if (this.#prefetch === 0 || this.#reading !== null || this.#closed) return;
    if (this.#buffer.length >= this.#prefetch) return;
    this.#startRead(0).catch(ignore);
  }

  /** Waits for a read as a green operation; on a closed queue, says so instead of ioredis. */
  async #await(reading: Promise<void>): Promise<void> {
    try {
      await green(reading);
    } catch (error) {
      if (this.#closed) throw new RedisQueueClosed(this.name);
      throw error;
    }
  }

  /** How long one blocking read may wait: short enough to reclaim abandoned entries in time. */
  #pollMs(): number {
    return Math.max(1, Math.min(1000, Math.floor(this.#visibility / 2)));
  }

  /** Runs a Redis call as a green operation, optionally bounded. */
  async #call<V>(timeout: number | null, fn: () => Promise<V>): Promise<V> {
    this.#checkOpen();
    if (timeout === null) return green(fn());
    return withTimeout(timeout, () => green(fn()));
  }

  /** Connects and creates the consumer group (and the stream) once. */
  #prepare(): Promise<void> {
    if (this.#ready === null) {
      const ready = (async () => {
        if (this.#client.status === "wait") await this.#client.connect();
        try {
          await this.#client.xgroup("CREATE", this.#keys.stream, this.#group, "0", "MKSTREAM");
        } catch (error) {
          if (!isBusyGroup(error)) throw error;
        }
      })();
      this.#ready = ready;
      ready.catch(() => {
        if (this.#ready === ready) this.#ready = null;
      });
    }
    return this.#ready;
  }

  /**
   * One read into the buffer: first entries abandoned by dead consumers (at most every half
   * visibility timeout), then new entries, waiting up to `blockMs` (0: not at all, on the main
   * connection, in the same write as the commands issued beside it).
   */
  async #read(blockMs: number): Promise<void> {
    await this.#prepare();
    const count = Math.min(
      1000,
      Math.max(1, Math.max(1, this.#getters) + this.#prefetch - this.#buffer.length),
    );
    const now = getHub().now();
    if (now - this.#lastReclaim >= this.#pollMs()) {
      this.#lastReclaim = now;
      const claimed = (await runScript(
        this.#client,
        RECLAIM,
        [this.#keys.stream, this.#keys.dead],
        [this.#group, this.consumer, this.#visibility, count, this.#maxDeliveries],
      )) as [string, string[] | null][];
      for (const [id, fields] of claimed) this.#buffer.push({ id, fields: fields ?? [] });
      if (claimed.length > 0) return;
    }
    if (this.#closed) return;
    const args: (string | number)[] = ["GROUP", this.#group, this.consumer, "COUNT", count];
    if (blockMs <= 0) {
      args.push("STREAMS", this.#keys.stream, ">");
      this.#take(await this.#client.call("XREADGROUP", ...args));
      return;
    }
    if (this.#blocking === null) {
      this.#blocking = this.#client.duplicate({
        maxRetriesPerRequest: null,
        enableAutoPipelining: false,
      });
      this.#blocking.on("error", ignore);
    }
    args.push("BLOCK", Math.ceil(blockMs), "STREAMS", this.#keys.stream, ">");
    this.#take(await this.#blocking.call("XREADGROUP", ...args));
  }

  /** Buffers the entries of an XREADGROUP reply. */
  #take(reply: unknown): void {
    const streams = reply as [string, [string, string[] | null][]][] | null;
    for (const [, entries] of streams ?? []) {
      for (const [id, fields] of entries) this.#buffer.push({ id, fields: fields ?? [] });
    }
  }

  /** Decodes a delivered entry; a malformed one is dead-lettered and skipped (SKIPPED). */
  async #accept(entry: Entry): Promise<T | typeof SKIPPED> {
    const map = fieldMap(entry.fields);
    let reason: string | null = null;
    let item: T | undefined;
    if (map.v === undefined) reason = "the entry has no field 'v'";
    else {
      try {
        item = this.#codec.decode(map.v);
      } catch (error) {
        reason = `the field 'v' does not decode: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    if (reason !== null) {
      await this.#call(null, () =>
        runScript(
          this.#client,
          DEAD,
          [this.#keys.stream, this.#keys.dead],
          [this.#group, entry.id, "malformed", reason],
        ),
      );
      return SKIPPED;
    }
    const value = item as T;
    const ids = this.#handed.get(value);
    if (ids === undefined) this.#handed.set(value, [entry.id]);
    else ids.push(entry.id);
    return value;
  }

  #takeHanded(item: unknown, oldest: boolean): string {
    let key = item;
    if (oldest) {
      const first = this.#handed.keys().next();
      if (first.done === true) throw new UnknownItem(undefined);
      key = first.value;
    }
    const ids = this.#handed.get(key);
    const id = ids?.shift();
    if (ids === undefined || id === undefined) throw new UnknownItem(item);
    if (ids.length === 0) this.#handed.delete(key);
    return id;
  }

  /**
   * Group commit: the `taskDone`s made while a batch is in flight go together in the next one,
   * so under load each round trip finishes many items, and a lone `taskDone` waits for no
   * timer. Batches run one at a time, in call order.
   */
  #flushFinishing(): void {
    if (this.#flushing !== null) return;
    this.#flushing = (async () => {
      // Let the taskDone calls of this turn join the first batch.
      await Promise.resolve();
      while (this.#finishing.length > 0) {
        const batch = this.#finishing.splice(0, MAX_FINISH_BATCH);
        const args: (string | number)[] = [this.#group];
        for (const finishing of batch) for (const arg of finishing.args) args.push(arg);
        try {
          const done = runScript(
            this.#client,
            DONE,
            [this.#keys.stream, this.#keys.seen, this.#keys.results],
            args,
          );
          this.#readAlong();
          const replies = (await done) as number[][];
          batch.forEach((finishing, i) => {
            finishing.resolve(replies[i] ?? []);
          });
        } catch (error) {
          for (const finishing of batch) finishing.reject(error);
        }
      }
      this.#flushing = null;
    })();
  }

  /** Makes pending entries claimable by any consumer at once. */
  async #handBack(ids: readonly string[]): Promise<void> {
    await this.#client.xclaim(
      this.#keys.stream,
      this.#group,
      this.consumer,
      0,
      ...ids,
      "IDLE",
      HAND_BACK_IDLE,
      "JUSTID",
    );
  }
}
