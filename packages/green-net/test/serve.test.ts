import { spawn as spawnProcess } from "node:child_process";
import { type AddressInfo, connect as netConnect, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GreenPool, GreenThreadExit, setErrorReporter, sleep, spawn, Timeout } from "@tendril/core";
import { connect, type GreenSocket, listen, StopServe, serve } from "@tendril/green-net";
import { waitFor } from "@tendril/test-servers";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline, text } from "./helpers/net.js";

let baseline: ReturnType<typeof leakBaseline>;
beforeEach(() => {
  baseline = leakBaseline();
});
afterEach(() => expectNoLeaks(baseline));

// The seed page's handler, written as if recv and sendall blocked.
async function echo(sock: GreenSocket): Promise<void> {
  for (;;) {
    const data = await sock.recv(4096);
    if (data.length === 0) break;
    await sock.sendall(data);
  }
}

async function collectReports<T>(
  body: (reports: Array<{ error: unknown; source?: string }>) => Promise<T>,
) {
  const reports: Array<{ error: unknown; source?: string }> = [];
  const previous = setErrorReporter((error, source) => reports.push({ error, source }));
  try {
    return await body(reports);
  } finally {
    setErrorReporter(previous);
  }
}

describe("serve", () => {
  test("serves many clients at once with the seed page's echo handler", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const server = spawn(serve, listener, echo, {});
    try {
      const { port } = listener.address() as AddressInfo;
      const clients = await Promise.all(
        Array.from({ length: 50 }, () => connect(["127.0.0.1", port])),
      );
      const replies = await Promise.all(
        clients.map(async (c, i) => {
          let got = "";
          for (let round = 0; round < 10; round++) {
            const line = `client ${i} round ${round}\n`;
            await c.sendall(line);
            got += await c.readLine();
          }
          await c.close();
          return got.split("\n").length - 1;
        }),
      );
      expect(replies).toEqual(Array(50).fill(10));
    } finally {
      await listener.close();
      await server.wait();
    }
  });

  test("closes the socket after the handler returns, and passes the peer's address", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const server = spawn(serve, listener, async (sock: GreenSocket, address: AddressInfo) => {
      await sock.sendall(`hello ${address.address}\n`);
    });
    try {
      const c = await connect(listener.address() as AddressInfo);
      expect(await c.readLine()).toBe("hello 127.0.0.1\n");
      expect((await c.recv(10)).length).toBe(0);
      await c.close();
    } finally {
      await listener.close();
      await server.wait();
    }
  });

  test("when the pool is full it stops accepting: the next client waits, unread, and is served later", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const server = spawn(serve, listener, echo, { concurrency: 2 });
    try {
      const { port } = listener.address() as AddressInfo;
      const a = await connect(["127.0.0.1", port]);
      const b = await connect(["127.0.0.1", port]);
      await a.sendall("a\n");
      await b.sendall("b\n");
      expect(await a.readLine()).toBe("a\n");
      expect(await b.readLine()).toBe("b\n");
      const c = await connect(["127.0.0.1", port]);
      await c.sendall("c\n");
      // c is connected (the kernel accepted it) but not served, and not dropped: it stays
      // pending while the two served clients make round trips.
      await waitFor(() => listener.pending === 1, "c to be pending");
      for (const [client, line] of [
        [a, "a2\n"],
        [b, "b2\n"],
      ] as const) {
        await client.sendall(line);
        expect(await client.readLine()).toBe(line);
      }
      expect(listener.pending).toBe(1);
      expect(c.bufferedAmount).toBe(0);
      await a.close();
      expect(await c.readLine()).toBe("c\n");
      expect(listener.pending).toBe(0);
      await b.close();
      await c.close();
    } finally {
      await listener.close();
      await server.wait();
    }
  });

  test("runs handlers in a caller's pool, and stops accepting while other work fills it", async () => {
    const pool = new GreenPool(2);
    const listener = await listen(["127.0.0.1", 0]);
    const server = spawn(serve, listener, echo, { pool });
    let release: () => void = () => {};
    const blocker = await pool.spawn(() => new Promise<void>((r) => (release = r)));
    try {
      const { port } = listener.address() as AddressInfo;
      const a = await connect(["127.0.0.1", port]);
      await a.sendall("a\n");
      expect(await a.readLine()).toBe("a\n");
      expect(pool.running()).toBe(2);
      const b = await connect(["127.0.0.1", port]);
      await b.sendall("b\n");
      await waitFor(() => listener.pending === 1, "b to be pending");
      await a.sendall("a2\n"); // a round trip: the server runs, and still leaves b pending
      expect(await a.readLine()).toBe("a2\n");
      expect(listener.pending).toBe(1);
      release(); // the other work ends: its slot goes to b
      await blocker.wait();
      expect(await b.readLine()).toBe("b\n");
      await a.close();
      await b.close();
    } finally {
      release();
      await listener.close();
      await server.wait();
    }
    await expect(serve(listener, echo, { pool, concurrency: 3 })).rejects.toThrow(
      /either concurrency or pool/,
    );
  });

  test("a failing handler is reported and the server goes on (unlike Eventlet, where it stopped serve)", () =>
    collectReports(async (reports) => {
      const listener = await listen(["127.0.0.1", 0]);
      const server = spawn(serve, listener, async (sock: GreenSocket) => {
        const line = await sock.readLine();
        if (line === "boom\n") throw new Error("handler failed");
        await sock.sendall(line);
      });
      try {
        const bad = await connect(listener.address() as AddressInfo);
        await bad.sendall("boom\n");
        expect((await bad.recv(10)).length).toBe(0); // its socket was closed
        await bad.close();
        const good = await connect(listener.address() as AddressInfo);
        await good.sendall("fine\n");
        expect(await good.readLine()).toBe("fine\n");
        await good.close();
        expect(reports).toHaveLength(1);
        expect((reports[0] as { error: Error }).error.message).toBe("handler failed");
        expect(reports[0]?.source).toMatch(/^serve: the handler of 127\.0\.0\.1:\d+$/);
      } finally {
        await listener.close();
        await server.wait();
      }
    }));

  test("StopServe thrown by a handler ends serve normally, after the other handlers finish", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const events: string[] = [];
    const server = spawn(serve, listener, async (sock: GreenSocket) => {
      const line = await sock.readLine();
      if (line === "stop\n") throw new StopServe();
      await sock.sendall(line);
      events.push(`handler answered ${line.trim()}`);
    });
    const ended = server.wait().then(() => events.push("serve ended"));
    try {
      const { port } = listener.address() as AddressInfo;
      const other = await connect(["127.0.0.1", port]);
      const stopper = await connect(["127.0.0.1", port]);
      await stopper.sendall("stop\n");
      expect((await stopper.recv(10)).length).toBe(0);
      // Still draining: `other` is served after the stop, and serve ends only after that.
      await other.sendall("last\n");
      expect(await other.readLine()).toBe("last\n");
      await ended;
      expect(events).toEqual(["handler answered last", "serve ended"]);
      expect(listener.closed).toBe(false); // the listener is the caller's
      await other.close();
      await stopper.close();
    } finally {
      await listener.close();
    }
  });

  test("closing the listener ends serve normally once the handlers finish", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const server = spawn(serve, listener, echo);
    const c = await connect(listener.address() as AddressInfo);
    await c.sendall("x");
    expect(text(await c.recv(1))).toBe("x");
    await listener.close();
    // The open connection is still served, and serve waits for it.
    await c.sendall("y");
    expect(text(await c.recv(1))).toBe("y");
    expect(server.dead).toBe(false);
    await c.close();
    await server.wait();
  });

  test("killing serve kills its handlers and closes their sockets", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const exits: unknown[] = [];
    const server = spawn(serve, listener, async (sock: GreenSocket) => {
      try {
        await echo(sock);
      } catch (error) {
        exits.push(error);
        throw error;
      }
    });
    try {
      const clients = await Promise.all(
        [0, 1, 2].map(() => connect(listener.address() as AddressInfo)),
      );
      for (const c of clients) await c.sendall("hi");
      for (const c of clients) expect(text(await c.recvExactly(2))).toBe("hi");
      await server.kill();
      await expect(server.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      expect(exits).toHaveLength(3);
      for (const c of clients) {
        expect((await c.recv(10)).length).toBe(0);
        await c.close();
      }
    } finally {
      await listener.close();
    }
  });

  test("a Timeout on serve's thread ends it with that Timeout", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      const server = spawn(async () => {
        using _deadline = new Timeout(20);
        await serve(listener, echo);
      });
      await expect(server.wait()).rejects.toBeInstanceOf(Timeout);
    } finally {
      await listener.close();
    }
  });

  test("accept failures (EMFILE, ENFILE) are reported and retried with backoff", () =>
    collectReports(async (reports) => {
      const listener = await listen(["127.0.0.1", 0]);
      const server = spawn(serve, listener, echo);
      try {
        await sleep(0);
        for (const code of ["EMFILE", "ENFILE"]) {
          listener.server.emit(
            "error",
            Object.assign(new Error(`accept ${code}`), { code, syscall: "accept" }),
          );
          await sleep(1);
        }
        expect(server.dead).toBe(false);
        const c = await connect(listener.address() as AddressInfo);
        await c.sendall("ok");
        expect(text(await c.recvExactly(2))).toBe("ok");
        await c.close();
        expect(reports.map((r) => (r.error as NodeJS.ErrnoException).code)).toEqual([
          "EMFILE",
          "ENFILE",
        ]);
        expect(reports[0]?.source).toBe("serve: accept (retrying)");
      } finally {
        await listener.close();
        await server.wait();
      }
    }));

  test("checks its arguments", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      await expect(serve(listener, "echo" as never)).rejects.toThrow(
        /handler must be a function, received "echo"/,
      );
      await expect(serve(listener, echo, { concurrency: 0 })).rejects.toThrow(/received 0/);
      await expect(serve({} as never, echo)).rejects.toThrow(TypeError);
    } finally {
      await listener.close();
    }
  });
});

describe("serve under real file-descriptor exhaustion", () => {
  test("a server out of file descriptors keeps running and serves again once they free up", async () => {
    const fixture = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "echo-server.ts");
    const child = spawnProcess(
      "bash",
      [
        "-c",
        `ulimit -n 160 && exec "${process.execPath}" --import tsx --conditions source "${fixture}"`,
      ],
      {
        cwd: join(dirname(fileURLToPath(import.meta.url)), ".."),
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const sockets: Socket[] = [];
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += String(d);
          const m = /PORT (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once("exit", (code) => reject(new Error(`echo server exited early with ${code}`)));
      });
      // Open more connections than the server has descriptors for.
      let droppedByServer = 0;
      for (let i = 0; i < 300; i++) {
        const s = netConnect({ host: "127.0.0.1", port });
        s.on("error", () => {});
        s.on("close", () => droppedByServer++);
        sockets.push(s);
      }
      // The limit is really hit: libuv's EMFILE fallback closes the connections it cannot keep.
      await waitFor(() => droppedByServer > 0, "the server to drop a connection it cannot keep");
      for (const s of sockets) s.destroy();
      // Everything is released once the server has seen the closes: a new client is served.
      // Until then a new client may be dropped like the others, so it tries again.
      const attempt = (): Promise<string> =>
        new Promise<string>((resolve) => {
          const s = netConnect({ host: "127.0.0.1", port }, () => s.write("still alive"));
          sockets.push(s);
          s.on("data", (d) => resolve(String(d)));
          s.on("error", () => resolve(""));
          s.on("close", () => resolve(""));
        });
      const replies: string[] = [];
      await waitFor(
        async () => {
          replies.push(await attempt());
          return replies.at(-1) === "still alive";
        },
        "a new client to be served",
        { timeoutMs: 10_000 },
      );
      expect(replies.at(-1)).toBe("still alive");
    } finally {
      for (const s of sockets) s.destroy();
      child.kill();
      await new Promise((resolve) =>
        child.exitCode === null ? child.once("exit", resolve) : resolve(null),
      );
    }
  }, 20_000);
});
