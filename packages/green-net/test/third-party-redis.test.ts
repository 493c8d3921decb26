// A database client from npm, unchanged, against a real redis-server: ioredis's BLPOP in a
// green thread is interrupted by withTimeout and by kill, its connection destroyed.
//
// ioredis opens its socket from a `process.nextTick` callback: this runs on whichever context
// carrier this Node picks by default (promise hooks on Node 20 and 22, where watchIo() follows
// the tick itself; AsyncLocalStorage on 24+), and `TENDRIL_CONTEXT` can force either.
import * as core from "@tendril/core";
import { unwatchIo, watchIo } from "@tendril/green-net";
import { type RedisServer, startRedisServer, waitFor } from "@tendril/test-servers";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { countLoopTurns, expectNoLeaks, leakBaseline } from "./helpers/net.js";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
}, 20_000);
afterAll(() => server.stop());

let baseline: ReturnType<typeof leakBaseline>;
beforeEach(() => {
  baseline = leakBaseline();
  watchIo();
});
afterEach(async () => {
  unwatchIo();
  await expectNoLeaks(baseline);
});

/**
 * A client as a thread would make one for blocking commands: an interrupted command must fail,
 * not be sent again on the next connection (ioredis's default), where it would take an item
 * nobody waits for any more.
 */
function newClient() {
  const client = new Redis({
    host: "127.0.0.1",
    port: server.port,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
  });
  const errors: unknown[] = [];
  client.on("error", (error: unknown) => errors.push(error));
  return { client, errors };
}

/** The other clients the server has, as CLIENT LIST shows them, asked on a fresh connection. */
async function serverClients(): Promise<string[]> {
  const admin = new Redis({ host: "127.0.0.1", port: server.port });
  try {
    const list = (await admin.call("CLIENT", "LIST")) as string;
    return list
      .trim()
      .split("\n")
      .filter((line) => !line.includes("cmd=client"));
  } finally {
    admin.disconnect();
  }
}

describe("ioredis, unchanged, in a green thread", () => {
  test("BLPOP under withTimeout(200) rejects with the Timeout; the connection opened in it is destroyed", async () => {
    let blpopError: unknown;
    let client: InstanceType<typeof Redis> | undefined;
    let errors: unknown[] = [];
    const t = core.spawn(() =>
      core.withTimeout(200, async () => {
        // Created inside the deadline's scope: its connection belongs to that scope.
        ({ client, errors } = newClient());
        await client.ping();
        return client.blpop("tendril:empty", 0).catch((e: unknown) => {
          blpopError = e;
          throw e;
        });
      }),
    );
    try {
      const timeout = await t.wait().catch((e: unknown) => e);
      expect(core.isTimeout(timeout)).toBe(true);
      // The socket was destroyed with the Timeout as its error, and BLPOP failed.
      await waitFor(() => blpopError !== undefined, "BLPOP to fail");
      expect(errors).toContain(timeout);
      // ioredis fails the command in its own words (MaxRetriesPerRequestError), not resent.
      expect(blpopError).toBeInstanceOf(Error);
      // The blocked command is gone from the server: nothing will pop an item for it.
      await waitFor(
        async () => !(await serverClients()).some((line) => line.includes("cmd=blpop")),
        "the server to drop the blocked connection",
      );
      // ioredis reconnects on its own (outside the scope now) and serves the next command.
      await client?.lpush("tendril:empty", "kept");
      expect(await client?.lpop("tendril:empty")).toBe("kept");
    } finally {
      client?.disconnect();
    }
  });

  test("a client made outside green threads is left alone; green(promise, canceler) stops its call", async () => {
    const { client } = newClient(); // made here, in no green thread: never touched
    try {
      await client.ping();
      const t = core.spawn(() =>
        core.withTimeout({ ms: 100, timeoutValue: "timed out" }, () =>
          core.green(client.blpop("tendril:other", 0), () => client.disconnect()),
        ),
      );
      expect(await t.wait()).toBe("timed out");
      await waitFor(() => client.status === "end", "the canceler to disconnect the client");
    } finally {
      client.disconnect();
    }
  });

  // The claim, "a kill interrupts the same within 50 ms", stated so a busy machine
  // cannot make it flaky or hide a regression: the kill's own synchronous path destroys the
  // connection (no timer, no round trip to the server), and the thread has ended a few event
  // loop turns later — the turns Node needs to close the handle and ioredis to fail the
  // command. The wall-clock figure is printed, not asserted.
  test("kill() of a thread blocked in BLPOP destroys its connection inside kill(); the thread ends within 3 loop turns", async () => {
    let client: InstanceType<typeof Redis> | undefined;
    const t = core.spawn(() => {
      client = newClient().client;
      return client.blpop("tendril:never", 0);
    });
    try {
      await waitFor(
        async () => (await serverClients()).some((line) => line.includes("cmd=blpop")),
        "BLPOP to block on the server",
      );
      const connection = client?.stream;
      expect(connection?.destroyed).toBe(false);
      const turns = countLoopTurns();
      const started = performance.now();
      const killed = t.kill();
      expect(connection?.destroyed).toBe(true);
      await killed;
      const elapsed = performance.now() - started;
      const loopTurns = turns.stop();
      await expect(t.wait()).rejects.toBeInstanceOf(core.GreenThreadExit);
      console.log(
        `ioredis BLPOP: kill() to thread end in ${elapsed.toFixed(2)} ms, ${loopTurns} loop turn(s)`,
      );
      expect(loopTurns).toBeLessThanOrEqual(3);
      await waitFor(
        async () => (await serverClients()).length === 0,
        "the server to drop the connection",
      );
    } finally {
      client?.disconnect();
    }
  });
});
