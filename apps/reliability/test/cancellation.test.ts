// Cancellation everywhere: a seeded property test kills a green thread, or lets a Timeout fire,
// at a random moment during queue, semaphore, pool, pile, socket, HTTP and DNS operations, and
// then checks what must hold whatever the moment was: no item lost or duplicated, no permit
// lost, no pool slot held, no socket, timer or green thread left behind.
//
// It runs on the real hub (sockets, HTTP and DNS need the real loop); the moments are real
// milliseconds drawn by fast-check, and the assertions are invariants, never time windows.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  countThreads,
  GreenPile,
  GreenPool,
  type GreenThread,
  Queue,
  Semaphore,
  sleep,
  spawn,
  withTimeout,
} from "@tendril/core";
import {
  connect,
  type GreenListener,
  HttpClient,
  listen,
  Resolver,
  serve,
} from "@tendril/green-net";
import { type DnsServer, startDnsServer } from "@tendril/green-net/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { handles, Section, settle } from "./results.js";

const SEED = 20261204;
const RUNS = 280; // 40 per operation on average; about 6 s on a quiet 2-core machine
const section = new Section("cancellation", "Cancellation everywhere");

type Op = "queue" | "semaphore" | "pool" | "pile" | "socket" | "http" | "dns";
type How = "kill" | "timeout";
interface Case {
  op: Op;
  how: How;
  delayMs: number;
  variant: number;
}

/** What one scenario found; every number but `tried` must be 0. */
interface Outcome {
  itemsLost: number;
  itemsDuplicated: number;
  permitsLost: number;
  poolSlotsHeld: number;
  followUpFailed: number;
}

const CLEAN: Outcome = {
  itemsLost: 0,
  itemsDuplicated: 0,
  permitsLost: 0,
  poolSlotsHeld: 0,
  followUpFailed: 0,
};

/** Runs `body` in a thread and cancels it as `c` says; resolves once the thread is dead. */
async function cancelDuring(c: Case, body: () => Promise<unknown>): Promise<void> {
  const victim: GreenThread<unknown> =
    c.how === "timeout" ? spawn(() => withTimeout(c.delayMs, body)) : spawn(body);
  if (c.how === "kill") {
    await sleep(c.delayMs);
    await victim.kill();
  }
  await victim.wait().catch(() => undefined);
}

function compareItems(
  expected: number[],
  seen: number[],
): Pick<Outcome, "itemsLost" | "itemsDuplicated"> {
  const counts = new Map<number, number>();
  for (const i of seen) counts.set(i, (counts.get(i) ?? 0) + 1);
  let itemsLost = 0;
  let itemsDuplicated = 0;
  for (const i of expected) {
    const n = counts.get(i) ?? 0;
    if (n === 0) itemsLost++;
    counts.delete(i);
    if (n > 1) itemsDuplicated += n - 1;
  }
  // Items seen that were never (successfully) put are phantoms: count them as duplicates.
  for (const n of counts.values()) itemsDuplicated += n;
  return { itemsLost, itemsDuplicated };
}

// Loopback fixtures shared by the runs: an echo server on green sockets, an HTTP upstream with
// slow headers and a slow body, and a DNS server with a slow name.
let echo: GreenListener;
let echoServe: GreenThread<void>;
let upstream: Server;
let upstreamUrl: string;
let dns: DnsServer;

async function scenario(c: Case): Promise<Outcome> {
  switch (c.op) {
    case "queue": {
      const queue = new Queue<number>([0, 1, 3][c.variant % 3]);
      const putOk: number[] = [];
      const got: number[] = [];
      const putter = async (): Promise<void> => {
        for (let i = 0; i < 20; i++) {
          await queue.put(i);
          putOk.push(i);
          await sleep(1);
        }
      };
      const getter = async (): Promise<never> => {
        for (;;) {
          got.push(await queue.get());
          await sleep(1);
        }
      };
      // One side is the victim; the other is killed afterwards (also a cancellation).
      const victimIsGetter = c.variant % 2 === 0;
      const other = spawn(victimIsGetter ? putter : getter);
      await cancelDuring(c, victimIsGetter ? getter : putter);
      await other.kill();
      const left: number[] = [];
      while (!queue.empty()) left.push(queue.getNowait());
      const out = { ...CLEAN, ...compareItems(putOk, [...got, ...left]) };
      if (queue.getting() !== 0 || queue.putting() !== 0) out.itemsLost++;
      return out;
    }
    case "semaphore": {
      const sem = new Semaphore(2);
      const worker = async (): Promise<void> => {
        for (let i = 0; i < 5; i++) {
          if (c.variant % 2 === 0) {
            await sem.acquire();
          } else if (!(await sem.acquire({ timeout: 2 }))) {
            continue;
          }
          try {
            await sleep(1 + (i % 3));
          } finally {
            sem.release();
          }
        }
      };
      const others = [spawn(worker), spawn(worker), spawn(worker)];
      await cancelDuring(c, worker);
      for (const t of others) await t.wait();
      return { ...CLEAN, permitsLost: 2 - sem.counter };
    }
    case "pool": {
      const pool = new GreenPool(2);
      let started = 0;
      let finished = 0;
      const task = async (): Promise<void> => {
        started++;
        await sleep(3);
        finished++;
      };
      await cancelDuring(c, async () => {
        for (let i = 0; i < 8; i++) await pool.spawn(task);
        await pool.waitall();
      });
      await pool.waitall();
      const held = pool.running() + (2 - pool.free()) + pool.waiting();
      return { ...CLEAN, poolSlotsHeld: held, itemsLost: started - finished };
    }
    case "pile": {
      const pool = new GreenPool(2);
      let result: number[] | undefined;
      await cancelDuring(c, async () => {
        const pile = new GreenPile<number>(pool);
        for (let i = 0; i < 6; i++) {
          await pile.spawn(async (n: number) => {
            await sleep(2);
            return n;
          }, i);
        }
        result = await pile.collect();
      });
      await pool.waitall();
      const out = { ...CLEAN, poolSlotsHeld: pool.running() + pool.waiting() };
      // Not cancelled in time: then the pile gave every result, once, in order.
      if (result !== undefined) Object.assign(out, compareItems([0, 1, 2, 3, 4, 5], result));
      return out;
    }
    case "socket": {
      await cancelDuring(c, async () => {
        const sock = await connect(echo.address() as AddressInfo);
        try {
          for (let i = 0; i < 5; i++) {
            await sock.sendall(new TextEncoder().encode("ping"));
            await sock.recvExactly(4);
          }
        } finally {
          await sock.close();
        }
      });
      // A follow-up exchange on a fresh connection still works.
      const sock = await connect(echo.address() as AddressInfo);
      try {
        await sock.sendall(new TextEncoder().encode("pong"));
        const back = new TextDecoder().decode(await sock.recvExactly(4));
        return { ...CLEAN, followUpFailed: back === "pong" ? 0 : 1 };
      } finally {
        await sock.close();
      }
    }
    case "http": {
      const client = new HttpClient();
      const path = c.variant % 2 === 0 ? "/slow-headers" : "/slow-body";
      try {
        await cancelDuring(c, async () => {
          const response = await client.urlopen(`${upstreamUrl}${path}`);
          await response.bytes();
        });
        const response = await client.urlopen(`${upstreamUrl}/ok`);
        const text = await response.text();
        return { ...CLEAN, followUpFailed: text === "ok" ? 0 : 1 };
      } finally {
        // Bounded: a cancelled request that kept its connection would hang close().
        await withTimeout(2000, () => client.close()).catch(() => client.close({ graceMs: 0 }));
      }
    }
    case "dns": {
      const resolver = new Resolver({ servers: [dns.address], hostsFile: null });
      const name = c.variant % 2 === 0 ? "slow.test" : "fast.test";
      await cancelDuring(c, () => resolver.resolve(name, { family: 4 }));
      const again = await resolver.resolve("fast.test", { family: 4 });
      return { ...CLEAN, followUpFailed: again[0] === "127.0.0.2" ? 0 : 1 };
    }
  }
}

beforeAll(async () => {
  echo = await listen(["127.0.0.1", 0]);
  echoServe = spawn(() =>
    serve(echo, async (sock) => {
      try {
        for (;;) {
          const chunk = await sock.recv(64);
          if (chunk.length === 0) return;
          await sleep(2);
          await sock.sendall(chunk);
        }
      } catch (error) {
        // A client cancelled mid-exchange resets the connection: expected here, not a fault.
        if ((error as NodeJS.ErrnoException).code !== "ECONNRESET") throw error;
      }
    }),
  );
  upstream = createServer((req, res) => {
    if (req.url === "/slow-headers") {
      const t = setTimeout(() => res.end("late"), 8);
      res.on("close", () => clearTimeout(t));
    } else if (req.url === "/slow-body") {
      res.writeHead(200, { "content-type": "text/plain" });
      let n = 0;
      const t = setInterval(() => {
        res.write("chunk ");
        if (++n === 6) {
          clearInterval(t);
          res.end();
        }
      }, 2);
      res.on("close", () => clearInterval(t));
    } else {
      res.end("ok");
    }
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  dns = await startDnsServer({
    "slow.test": { A: ["127.0.0.3"], delayMs: 10 },
    "fast.test": { A: ["127.0.0.2"] },
  });
});

afterAll(async () => {
  await echoServe.kill();
  await echo.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
  await dns.close();
  section.write();
});

// A seeded property over hundreds of runs, each against real sockets: up to a minute on a loaded machine.
describe("cancellation at a random moment", { timeout: 60_000 }, () => {
  test("leaves no item, permit, slot, socket, timer or thread behind", async () => {
    const totals = new Map<Op, { runs: number; kills: number; timeouts: number } & Outcome>();
    const failures: string[] = [];
    const threadsBefore = countThreads();
    await settle(() => false, 2); // let the fixtures' first callbacks run
    const before = handles();
    let runs = 0;

    await fc.assert(
      fc.asyncProperty(
        fc.record({
          op: fc.constantFrom<Op>("queue", "semaphore", "pool", "pile", "socket", "http", "dns"),
          how: fc.constantFrom<How>("kill", "timeout"),
          delayMs: fc.integer({ min: 0, max: 15 }),
          variant: fc.integer({ min: 0, max: 5 }),
        }),
        async (c) => {
          runs++;
          const out = await scenario(c);
          const clean = await settle(
            () => countThreads() <= threadsBefore && handles().sockets <= before.sockets,
          );
          const t = totals.get(c.op) ?? { runs: 0, kills: 0, timeouts: 0, ...CLEAN };
          t.runs++;
          if (c.how === "kill") t.kills++;
          else t.timeouts++;
          for (const k of Object.keys(CLEAN) as (keyof Outcome)[]) t[k] += out[k];
          totals.set(c.op, t);
          const bad = Object.entries(out).filter(([, v]) => v !== 0);
          if (bad.length > 0 || !clean) {
            const leak = clean
              ? ""
              : ` leak: threads ${countThreads()}/${threadsBefore}, sockets ${handles().sockets}/${before.sockets}`;
            const line = `${JSON.stringify(c)} -> ${JSON.stringify(Object.fromEntries(bad))}${leak}`;
            failures.push(line);
          }
          return true; // every case runs; the verdict is below, with all failures listed
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );

    const timersSettled = await settle(() => handles().timers <= before.timers);
    for (const [op, t] of totals) {
      const held = (Object.keys(CLEAN) as (keyof Outcome)[]).every((k) => t[k] === 0);
      section.record(`${op}: kill or Timeout at a random moment`, { ...t }, held);
    }
    section.record(
      "whole property",
      {
        inputsTried: runs,
        seed: SEED,
        unexpectedFailures: failures.length,
        threadsLeft: countThreads() - threadsBefore,
        socketsLeft: handles().sockets - before.sockets,
        timersLeft: handles().timers - before.timers,
      },
      timersSettled && failures.length === 0,
    );
    expect(failures).toEqual([]);
    expect(timersSettled, "timers left behind").toBe(true);
  });
});
