// watchIo(): sockets and requests that code outside Tendril opens inside a green thread belong
// to the thread and the scope current at their creation — kill and Timeout destroy them.
import { once } from "node:events";
import { Agent, get as httpGet } from "node:http";
import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { GreenThreadExit, getCurrent, sleep, spawn, Timeout, withTimeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { unwatchIo, watchIo, watchingIo } from "@tendril/green-net";
import { waitFor } from "@tendril/test-servers";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

// A peer that accepts connections and never says a word: every request to it hangs.
let blackHole: Server;
let port: number;
const peers = new Set<Socket>();
let closedByClient = 0;

beforeAll(async () => {
  blackHole = createServer((socket) => {
    peers.add(socket);
    socket.resume(); // read (and drop) what arrives, so the end of the connection is seen
    socket.on("error", () => {});
    socket.on("close", () => {
      peers.delete(socket);
      closedByClient++;
    });
  });
  blackHole.listen(0, "127.0.0.1");
  await once(blackHole, "listening");
  port = (blackHole.address() as { port: number }).port;
});

afterAll(async () => {
  for (const peer of peers) peer.destroy();
  await new Promise((resolve) => blackHole.close(resolve));
});

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

/** `http.get` as a library would call it: a plain promise, no Tendril in sight. */
function plainGet(url: string, agent?: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { agent }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => resolve(body));
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}

describe("watchIo()", () => {
  test("is off until asked, and on once asked", () => {
    unwatchIo();
    expect(watchingIo()).toBe(false);
    watchIo();
    watchIo();
    expect(watchingIo()).toBe(true);
  });

  test("an http.get to a silent server under withTimeout(100) rejects with that Timeout at 100 ms", () =>
    withVirtualHub(
      async (hub) => {
        const t = spawn(() => withTimeout(100, () => plainGet(`http://127.0.0.1:${port}/`)));
        const outcome = t.wait().catch((e: unknown) => e);
        await waitFor(() => peers.size === 1, "the request to reach the server");
        await hub.advance(99);
        expect(closedByClient).toBe(0);
        await hub.advance(1);
        const error = await outcome;
        expect(error).toBeInstanceOf(Timeout);
        expect((error as Timeout).ms).toBe(100);
        expect(hub.now()).toBe(100);
        await waitFor(() => closedByClient === 1, "the silent server to see the connection closed");
      },
      { autojump: false },
    ));

  test("the library's own promise rejects with the Timeout, so code between sees it", () =>
    withVirtualHub(async () => {
      const seen: unknown[] = [];
      const t = spawn(async () => {
        using _deadline = new Timeout(100);
        await plainGet(`http://127.0.0.1:${port}/`).catch((e: unknown) => {
          seen.push(e);
        });
      });
      await t.wait();
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBeInstanceOf(Timeout);
    }));

  test("withTimeout in the main thread interrupts a request made there", () =>
    withVirtualHub(
      async (hub) => {
        const outcome = withTimeout(50, () => plainGet(`http://127.0.0.1:${port}/`)).catch(
          (e: unknown) => e,
        );
        await waitFor(() => peers.size === 1, "the request to reach the server");
        await hub.advance(50);
        expect(await outcome).toBeInstanceOf(Timeout);
        await waitFor(() => closedByClient === 1, "the connection to be closed");
      },
      { autojump: false },
    ));

  test("kill() of a thread awaiting a raw net socket resolves once the socket is destroyed", async () => {
    let socket: Socket | undefined;
    const t = spawn(async () => {
      socket = netConnect(port, "127.0.0.1");
      await once(socket, "data"); // the peer never writes
    });
    await waitFor(() => peers.size === 1, "the connection to arrive");
    let killed = false;
    const kill = t.kill().then(() => {
      killed = true;
    });
    // The socket is destroyed synchronously by the kill, before kill() resolves.
    expect(socket?.destroyed).toBe(true);
    expect(killed).toBe(false);
    await kill;
    await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    await waitFor(() => closedByClient === 1, "the peer to see the close");
  });

  // ioredis and others open their socket from a tick; on Node 20 and 22 the promise-hooks
  // carrier does not follow ticks, so watchIo() follows them itself.
  test("a socket opened from process.nextTick in a thread obeys the thread's withTimeout", () =>
    withVirtualHub(
      async (hub) => {
        const opened: Socket[] = [];
        const t = spawn(() =>
          withTimeout(100, async () => {
            await Promise.resolve(); // a later job of the thread: only promises carry it here
            await new Promise<void>((resolve, reject) => {
              process.nextTick(() => {
                const socket = netConnect(port, "127.0.0.1");
                opened.push(socket);
                socket.on("error", reject);
                socket.on("data", () => resolve()); // the peer never writes
              });
            });
          }),
        );
        const outcome = t.wait().catch((e: unknown) => e);
        await waitFor(() => peers.size === 1, "the connection to arrive");
        await hub.advance(100);
        const error = await outcome;
        expect(error).toBeInstanceOf(Timeout);
        expect(opened[0]?.destroyed).toBe(true);
        await waitFor(() => closedByClient === 1, "the peer to see the close");
      },
      { autojump: false },
    ));

  test("a socket opened from process.nextTick in a thread is destroyed by kill(), in kill()", async () => {
    let socket: Socket | undefined;
    const t = spawn(
      () =>
        new Promise<void>((resolve) => {
          process.nextTick(() => {
            socket = netConnect(port, "127.0.0.1");
            socket.on("error", () => resolve());
            socket.on("data", () => resolve());
          });
        }),
    );
    await waitFor(() => peers.size === 1, "the connection to arrive");
    const kill = t.kill();
    expect(socket?.destroyed).toBe(true);
    await kill;
    await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    await waitFor(() => closedByClient === 1, "the peer to see the close");
  });

  test("a tick queued outside green threads stays outside: its socket is never touched", () =>
    withVirtualHub(async () => {
      let outside: Socket | undefined;
      await new Promise<void>((resolve) => {
        process.nextTick(() => {
          outside = netConnect(port, "127.0.0.1");
          outside.once("connect", () => resolve());
        });
      });
      try {
        const t = spawn(() => withTimeout(10, () => once(outside as Socket, "data")));
        await expect(t.wait()).rejects.toBeInstanceOf(Timeout);
        expect(outside?.destroyed).toBe(false);
      } finally {
        outside?.destroy();
      }
    }));

  test("sockets created outside green threads are never touched", () =>
    withVirtualHub(async () => {
      const outside = netConnect(port, "127.0.0.1");
      try {
        await once(outside, "connect");
        const t = spawn(() => withTimeout(10, () => once(outside, "data")));
        await expect(t.wait()).rejects.toBeInstanceOf(Timeout);
        expect(outside.destroyed).toBe(false);
      } finally {
        outside.destroy();
      }
    }));

  test("an inner scope's deadline leaves a socket of the enclosing scope alone", () =>
    withVirtualHub(async () => {
      const seen: { inner?: unknown; destroyedByInner?: boolean; read?: unknown } = {};
      const t = spawn(() =>
        withTimeout(1000, async () => {
          const socket = netConnect(port, "127.0.0.1");
          await once(socket, "connect");
          seen.inner = await withTimeout({ ms: 10, timeoutValue: "inner" }, () => sleep(50));
          seen.destroyedByInner = socket.destroyed;
          seen.read = await once(socket, "data").catch((e: unknown) => e);
        }),
      );
      const error = await t.wait().catch((e: unknown) => e);
      expect(seen.inner).toBe("inner");
      expect(seen.destroyedByInner).toBe(false);
      // The enclosing deadline did destroy it, with itself as the socket's error.
      expect(seen.read).toBe(error);
      expect((error as Timeout).ms).toBe(1000);
    }));

  test("a socket back in an agent's keep-alive pool no longer belongs to the thread", async () => {
    const server = createServer((socket) => {
      socket.on("data", () =>
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"),
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const agent = new Agent({ keepAlive: true });
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      const t = spawn(async () => {
        const body = await plainGet(url, agent);
        await sleep(60_000);
        return body;
      });
      await waitFor(() => Object.keys(agent.freeSockets).length === 1, "the socket to be pooled");
      await t.kill();
      const pooled = Object.values(agent.freeSockets).flat();
      expect(pooled).toHaveLength(1);
      expect(pooled[0]?.destroyed).toBe(false);
      // Another flow reuses the pooled connection.
      expect(await plainGet(url, agent)).toBe("ok");
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a global fetch in a thread under withTimeout is aborted at the deadline", () =>
    withVirtualHub(
      async (hub) => {
        const seen: unknown[] = [];
        const t = spawn(() =>
          withTimeout(100, () =>
            fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => {
              seen.push(e);
              throw e;
            }),
          ),
        );
        const outcome = t.wait().catch((e: unknown) => e);
        await waitFor(() => peers.size === 1, "the request to reach the server");
        await hub.advance(100);
        const timeout = await outcome;
        expect(timeout).toBeInstanceOf(Timeout);
        await waitFor(() => seen.length === 1, "fetch to reject");
        // fetch wraps what aborted it: "fetch failed", caused by the Timeout.
        expect((seen[0] as Error).cause).toBe(timeout);
        // (undici then opens a fresh idle connection to the origin, as it does after any abort.)
        await waitFor(() => closedByClient >= 1, "the request's connection to be closed");
      },
      { autojump: false },
    ));

  test("after unwatchIo() sockets are left alone again", () =>
    withVirtualHub(async () => {
      unwatchIo();
      let socket: Socket | undefined;
      const t = spawn(() =>
        withTimeout(10, () => {
          socket = netConnect(port, "127.0.0.1");
          socket.on("error", () => {});
          return once(socket, "data");
        }),
      );
      await expect(t.wait()).rejects.toBeInstanceOf(Timeout);
      expect(socket?.destroyed).toBe(false);
      socket?.destroy();
      expect(getCurrent().name).toBe("main");
    }));
});
