import { type ChildProcessByStdio, spawn as spawnProcess } from "node:child_process";
import { once } from "node:events";
import { createConnection } from "node:net";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Event, sleep, spawn } from "@tendril/core";
import { connect, type GreenSocket, listen } from "@tendril/green-net";
import { type ConnectionServer, serveConnections } from "@tendril/patterns";
import { waitFor } from "@tendril/test-servers";
import { describe, expect, test } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));

// Runs a server fixture under tsx; `port` resolves once it printed "port N", and `output()` is
// all it printed so far.
function startFixture(
  name: string,
): ChildProcessByStdio<null, Readable, null> & { port: Promise<number>; output: () => string } {
  const child = spawnProcess(
    process.execPath,
    ["--conditions=source", "--import", "tsx", join(here, "fixtures", name)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.setEncoding("utf8");
  const port = new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const match = /port (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", () => reject(new Error(`child exited early:\n${out}`)));
  });
  return Object.assign(child, { port, output: () => out });
}

async function echo(socket: GreenSocket): Promise<void> {
  for (;;) {
    const chunk = await socket.recv(1024);
    if (chunk.length === 0) break;
    await socket.sendall(chunk);
  }
}

const portOf = (server: ConnectionServer) => (server.address as { port: number }).port;

async function talk(port: number, message: string): Promise<string> {
  const socket = await connect(["127.0.0.1", port]);
  try {
    await socket.sendall(message);
    await socket.shutdown("write");
    let out = "";
    for await (const chunk of socket) out += new TextDecoder().decode(chunk);
    return out;
  } finally {
    await socket.close();
  }
}

describe("serveConnections", () => {
  test("hands each connection to its own green thread (the seed's echo server)", async () => {
    const server = await serveConnections(["127.0.0.1", 0], echo, { signals: false });
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => spawn(talk, portOf(server), `hello ${i}`).wait()),
      );
      expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => `hello ${i}`));
    } finally {
      await server.close();
    }
  });

  test("never handles more connections at once than concurrency; the rest wait their turn", async () => {
    let active = 0;
    let peak = 0;
    const server = await serveConnections(
      ["127.0.0.1", 0],
      async (socket) => {
        active++;
        peak = Math.max(peak, active);
        await sleep(30);
        active--;
        await echo(socket);
      },
      { concurrency: 2, signals: false },
    );
    try {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => spawn(talk, portOf(server), `c${i}`).wait()),
      );
      expect(answers).toEqual(["c0", "c1", "c2", "c3", "c4", "c5"]);
      expect(peak).toBe(2);
    } finally {
      await server.close();
    }
  });

  test("shutdown stops accepting, lets in-flight connections finish, then resolves closed", async () => {
    const release = new Event<void>();
    let entered = 0;
    let finished = 0;
    const server = await serveConnections(
      ["127.0.0.1", 0],
      async (socket, { signal }) => {
        const line = await socket.readLine();
        entered++;
        await release.wait();
        await socket.sendall(`done ${line.trim()} ${signal.aborted ? "after" : "before"} shutdown`);
        finished++;
      },
      { signals: false, graceMs: 5_000 },
    );
    const port = portOf(server);
    const clients = [1, 2, 3].map((i) =>
      spawn(async () => {
        const socket = await connect(["127.0.0.1", port]);
        try {
          await socket.sendall(`c${i}\n`);
          return new TextDecoder().decode(await socket.recv(100));
        } finally {
          await socket.close();
        }
      }),
    );
    await waitFor(() => entered === 3, "the three clients' lines to be read");
    expect(server.connections()).toBe(3);
    let shutDown = false;
    const shutdown = server.close().then(() => {
      shutDown = true;
    });
    expect(server.signal.aborted).toBe(true);
    // The port is released at once: a new client is refused.
    const refused = createConnection({ host: "127.0.0.1", port });
    const [error] = await once(refused, "error");
    expect((error as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    // The three handlers are still in flight, so the shutdown has not finished.
    expect(shutDown).toBe(false);
    expect(finished).toBe(0);
    release.send();
    await shutdown;
    await server.closed;
    expect(finished).toBe(3);
    for (const c of clients) expect(await c.wait()).toMatch(/^done c\d after shutdown$/);
  });

  test("a connection spawned but not yet started when shutdown begins is closed, never handled", async () => {
    let handled = 0;
    let handledAfterShutdown = 0;
    let server: ConnectionServer | null = null;
    server = await serveConnections(
      ["127.0.0.1", 0],
      (_socket, { signal }) => {
        handled++;
        if (signal.aborted) handledAfterShutdown++;
        // The first handler to run stops the server while the rest of the burst is queued.
        void server?.close();
      },
      { signals: false, graceMs: 5_000 },
    );
    const port = portOf(server);
    // A burst in one tick: the listener accepts all of it before any handler thread runs.
    const clients = Array.from({ length: 20 }, () => createConnection({ host: "127.0.0.1", port }));
    const ends = clients.map(
      (client) =>
        new Promise<string>((resolve) => {
          client.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
          client.on("close", () => resolve("closed"));
          client.resume();
        }),
    );
    await server.closed;
    expect(handled).toBeGreaterThanOrEqual(1);
    expect(handledAfterShutdown).toBe(0);
    expect(server.connections()).toBe(0);
    // Every client was accepted and closed by the server, or refused once it stopped listening.
    for (const end of await Promise.all(ends))
      expect(["closed", "ECONNRESET", "ECONNREFUSED"]).toContain(end);
  });

  test("kills connections still open after graceMs", async () => {
    const server = await serveConnections(["127.0.0.1", 0], () => sleep(60_000), {
      signals: false,
      graceMs: 50,
    });
    const socket = await connect(["127.0.0.1", portOf(server)]);
    try {
      await waitFor(() => server.connections() === 1, "the connection to be handled");
      await server.close();
      expect(server.connections()).toBe(0);
      expect((await socket.recv(10)).length).toBe(0); // the server closed it
    } finally {
      await socket.close();
    }
  });

  test("a forced shutdown during a drain stops waiting (the second Ctrl-C)", async () => {
    const server = await serveConnections(["127.0.0.1", 0], () => sleep(60_000), {
      signals: false,
      graceMs: 60_000,
    });
    const socket = await connect(["127.0.0.1", portOf(server)]);
    try {
      await waitFor(() => server.connections() === 1, "the connection to be handled");
      let drained = false;
      const draining = server.close().then(() => {
        drained = true;
      });
      // The handler sleeps a minute and graceMs is a minute: only the force can end this.
      await waitFor(() => server.signal.aborted, "the drain to begin");
      expect(drained).toBe(false);
      expect(server.connections()).toBe(1);
      await server.close({ graceMs: 0 });
      await draining;
      expect(server.connections()).toBe(0);
    } finally {
      await socket.close();
    }
  });

  test("a failing handler is reported and closes only its own connection", async () => {
    const errors: unknown[] = [];
    const server = await serveConnections(
      ["127.0.0.1", 0],
      async (socket) => {
        const line = await socket.readLine();
        if (line.trim() === "boom") throw new Error("handler failed");
        await socket.sendall(`ok ${line.trim()}`);
      },
      { signals: false, onError: (error) => errors.push(error) },
    );
    try {
      expect(await talk(portOf(server), "boom\n")).toBe("");
      expect(await talk(portOf(server), "fine\n")).toBe("ok fine");
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).message).toBe("handler failed");
    } finally {
      await server.close();
    }
  });

  // Node.js 22.12, 23.1 and 24 support SO_REUSEPORT; there, this refusal has nothing to show.
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const reusePortSupported =
    major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  test.skipIf(reusePortSupported)(
    "reusePort is refused with a clear error on a Node without SO_REUSEPORT support",
    async () => {
      await expect(
        serveConnections(["127.0.0.1", 0], echo, { workers: 2, reusePort: true, signals: false }),
      ).rejects.toThrow(/reusePort needs Node.js >= 22.12/);
    },
  );

  test("SIGTERM drains in-flight connections and exits the process with 0", async () => {
    const child = startFixture("signal-server.ts");
    try {
      const port = await child.port;
      const socket = createConnection({ host: "127.0.0.1", port });
      const socketClosed = once(socket, "close");
      await once(socket, "connect");
      socket.write("in flight\n");
      let reply = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        reply += chunk;
      });
      // The handler has the line and waits for the shutdown to begin before it answers.
      await waitFor(() => child.output().includes("got in flight"), "the server to read the line");
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      await socketClosed;
      expect(reply).toBe("echo in flight");
      expect(code).toBe(0);
      expect(child.output()).toMatch(/log SIGTERM: stopping accepting, draining 1 connection/);
      expect(child.output()).toMatch(/log drained; exiting/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 20_000);

  test("workers: one accept loop per process behind node:cluster, all stopped by one SIGTERM", async () => {
    const child = startFixture("cluster-server.ts");
    try {
      const port = await child.port;
      const pids = new Set<string>();
      for (let i = 0; i < 8; i++) {
        const socket = createConnection({ host: "127.0.0.1", port });
        let reply = "";
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => {
          reply += chunk;
        });
        await once(socket, "close");
        pids.add(reply);
      }
      expect(pids.size).toBe(2); // round-robin over both workers
      expect([...pids].every((p) => /^pid \d+$/.test(p))).toBe(true);
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      expect(code).toBe(0);
      expect(child.output()).toMatch(/log 2 workers listening/);
      for (const p of pids) {
        const pid = Number(p.slice(4));
        expect(() => process.kill(pid, 0)).toThrow(); // the worker is gone too
      }
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 30_000);
});

describe("serveConnections accept failures", () => {
  test("a transient accept failure (EMFILE) is reported and retried; a server goes on serving", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const errors: Array<[string | undefined, string]> = [];
    const server = await serveConnections(listener, echo, {
      signals: false,
      onError: (error, where) => errors.push([(error as NodeJS.ErrnoException).code, where]),
    });
    try {
      for (const code of ["EMFILE", "ECONNABORTED"]) {
        listener.server.emit(
          "error",
          Object.assign(new Error(`accept ${code}`), { code, syscall: "accept" }),
        );
        expect(await talk(portOf(server), `after ${code}`)).toBe(`after ${code}`);
      }
      expect(errors).toEqual([
        ["EMFILE", "accept"],
        ["ECONNABORTED", "accept"],
      ]);
      expect(server.signal.aborted).toBe(false);
    } finally {
      await server.close({ graceMs: 0 });
    }
  });

  test("an accept failure that is not transient ends the server, reported", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const errors: string[] = [];
    const server = await serveConnections(listener, echo, {
      signals: false,
      onError: (error) => errors.push((error as NodeJS.ErrnoException).code ?? "?"),
    });
    listener.server.emit(
      "error",
      Object.assign(new Error("accept EINVAL"), { code: "EINVAL", syscall: "accept" }),
    );
    await server.closed;
    expect(errors).toEqual(["EINVAL"]);
  });
});
