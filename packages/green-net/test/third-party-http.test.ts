// A popular HTTP client from npm, unchanged, inside green threads: with watchIo() on, got's
// requests obey withTimeout and kill like any green operation.
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { GreenThreadExit, spawn, Timeout, withTimeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { unwatchIo, watchIo } from "@tendril/green-net";
import { waitFor } from "@tendril/test-servers";
import got from "got";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  captureClientSockets,
  countLoopTurns,
  expectNoLeaks,
  leakBaseline,
} from "./helpers/net.js";

// A server that accepts and never answers.
let silent: Server;
let url: string;
const peers = new Set<Socket>();
let closedByClient = 0;

beforeAll(async () => {
  silent = createServer((socket) => {
    peers.add(socket);
    socket.resume();
    socket.on("error", () => {});
    socket.on("close", () => {
      peers.delete(socket);
      closedByClient++;
    });
  });
  silent.listen(0, "127.0.0.1");
  await once(silent, "listening");
  url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/slow`;
});

afterAll(() => new Promise((resolve) => silent.close(resolve)));

let baseline: ReturnType<typeof leakBaseline>;
beforeEach(() => {
  baseline = leakBaseline();
  closedByClient = 0;
  watchIo();
});
afterEach(async () => {
  unwatchIo();
  for (const peer of peers) peer.destroy();
  await expectNoLeaks(baseline);
});

// got retries GETs on network errors by default; the interruption is not one of them, but say
// so anyway: a retry would open a new socket outside the deadline's reach.
const noRetry = { retry: { limit: 0 } } as const;

describe("got, unchanged, in a green thread", () => {
  test("withTimeout(100) around got(url) rejects with the Timeout and closes the connection", () =>
    withVirtualHub(
      async (hub) => {
        const gotError: unknown[] = [];
        const t = spawn(() =>
          withTimeout(100, () =>
            got(url, noRetry)
              .text()
              .catch((e: unknown) => {
                gotError.push(e);
                throw e;
              }),
          ),
        );
        const outcome = t.wait().catch((e: unknown) => e);
        await waitFor(() => peers.size === 1, "got's request to reach the server");
        await hub.advance(100);
        const timeout = await outcome;
        expect(timeout).toBeInstanceOf(Timeout);
        // got's own promise failed too, with the Timeout behind its RequestError.
        await waitFor(() => gotError.length === 1, "got's promise to reject");
        expect((gotError[0] as Error).cause ?? gotError[0]).toBe(timeout);
        await waitFor(() => closedByClient === 1, "the connection to close");
      },
      { autojump: false },
    ));

  // "A kill interrupts the same within 50 ms", stated without a wall-clock window: the kill's
  // synchronous path destroys got's socket, and the thread has ended within a few loop turns.
  test("kill() of a thread awaiting got destroys its socket inside kill(); the thread ends within 3 loop turns", async () => {
    const capture = captureClientSockets();
    const t = spawn(() => got(url, noRetry).text());
    try {
      await waitFor(() => peers.size === 1, "got's request to reach the server");
    } finally {
      capture.stop();
    }
    const [socket] = capture.sockets;
    expect(capture.sockets).toHaveLength(1);
    expect(socket?.destroyed).toBe(false);
    const turns = countLoopTurns();
    const started = performance.now();
    const killed = t.kill();
    expect(socket?.destroyed).toBe(true);
    await killed;
    const elapsed = performance.now() - started;
    const loopTurns = turns.stop();
    await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    console.log(`got: kill() to thread end in ${elapsed.toFixed(2)} ms, ${loopTurns} loop turn(s)`);
    expect(loopTurns).toBeLessThanOrEqual(3);
    await waitFor(() => closedByClient === 1, "the connection to close");
  });
});
