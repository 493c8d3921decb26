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
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

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

  test("kill() of a thread awaiting got ends it at once and closes the connection", async () => {
    const t = spawn(() => got(url, noRetry).text());
    await waitFor(() => peers.size === 1, "got's request to reach the server");
    // The server never answers: without watchIo this kill would wait for it forever (and the
    // test's timeout would fail it), so kill() returning is the proof that it ended at once.
    await t.kill();
    await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    await waitFor(() => closedByClient === 1, "the connection to close");
  });
});
