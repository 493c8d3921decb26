import { mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { sleep, spawn } from "@tendril/core";
import { connect, ListenerClosed, listen, Unsupported } from "@tendril/green-net";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline, text } from "./helpers/net.js";

let baseline: ReturnType<typeof leakBaseline>;
beforeEach(() => {
  baseline = leakBaseline();
});
afterEach(() => expectNoLeaks(baseline));

function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

describe("listen and accept", () => {
  test("accept returns the connection and the peer's address", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      const { port, address, family } = listener.address() as AddressInfo;
      expect([address, family, port > 0]).toEqual(["127.0.0.1", "IPv4", true]);
      const client = await connect({ host: "127.0.0.1", port });
      const [server, peer] = await listener.accept();
      expect(peer).toEqual({ address: "127.0.0.1", family: "IPv4", port: client.localPort });
      expect(server.remotePort).toBe(client.localPort);
      await client.close();
      await server.close();
    } finally {
      await listener.close();
    }
  });

  test("connections wait in the listener unread until accepted, in arrival order", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const clients: Socket[] = [];
    try {
      const { port } = listener.address() as AddressInfo;
      for (let i = 0; i < 3; i++) {
        const c = await rawConnect(port);
        c.write(`client ${i}\n`);
        clients.push(c);
        // Let the listener see each connection before the next one arrives.
        while (listener.pending < i + 1) await sleep(1);
      }
      expect(listener.pending).toBe(3);
      for (let i = 0; i < 3; i++) {
        const [sock] = await listener.accept();
        expect(await sock.readLine()).toBe(`client ${i}\n`);
        await sock.close();
      }
      expect(listener.pending).toBe(0);
    } finally {
      for (const c of clients) c.destroy();
      await listener.close();
    }
  });

  test("several threads may wait in accept; each gets its own connection", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      const { port } = listener.address() as AddressInfo;
      const acceptors = [0, 1, 2].map(() => spawn(() => listener.accept()));
      await sleep(0);
      const clients = await Promise.all([0, 1, 2].map(() => connect(["127.0.0.1", port])));
      const accepted = await Promise.all(acceptors.map((t) => t.wait()));
      expect(new Set(accepted.map(([, a]) => a.port))).toEqual(
        new Set(clients.map((c) => c.localPort)),
      );
      await Promise.all([...clients, ...accepted.map(([s]) => s)].map((s) => s.close()));
    } finally {
      await listener.close();
    }
  });

  test("a killed accept takes no connection with it: the next accept gets it", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      const waiting = spawn(() => listener.accept());
      await sleep(0);
      await waiting.kill();
      const client = await connect(listener.address() as AddressInfo);
      const [sock, peer] = await listener.accept();
      expect(peer.port).toBe(client.localPort);
      await sock.close();
      await client.close();
    } finally {
      await listener.close();
    }
  });

  test("async iteration over a listener ends when it is closed", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const { port } = listener.address() as AddressInfo;
    const seen: string[] = [];
    const loop = spawn(async () => {
      for await (const [sock] of listener) {
        seen.push(await sock.readLine());
        await sock.close();
      }
      return "ended";
    });
    for (const word of ["a", "b"]) {
      const c = await connect(["127.0.0.1", port]);
      await c.sendall(`${word}\n`);
      expect((await c.recv(1)).length).toBe(0);
      await c.close();
    }
    await listener.close();
    expect(await loop.wait()).toBe("ended");
    expect(seen).toEqual(["a\n", "b\n"]);
  });

  test("close closes queued connections, leaves accepted ones open, and fails later accepts", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const { port } = listener.address() as AddressInfo;
    const c1 = await connect(["127.0.0.1", port]);
    const [s1] = await listener.accept();
    const c2 = await connect(["127.0.0.1", port]);
    while (listener.pending < 1) await sleep(1);
    await listener.close();
    expect(listener.closed).toBe(true);
    // The queued connection was never served: its client sees the end (or a reset).
    const ended = await c2.recv(10).then(
      (b) => b.length,
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect([0, "ECONNRESET"]).toContain(ended);
    const error = await listener.accept().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ListenerClosed);
    expect((error as ListenerClosed).code).toBe("ERR_TENDRIL_LISTENER_CLOSED");
    await c1.sendall("still open");
    expect(text(await s1.recvExactly(10))).toBe("still open");
    for (const s of [c1, s1, c2]) await s.close();
  });

  test("a thread waiting in accept is woken by close", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const waiting = spawn(() => listener.accept());
    await sleep(0);
    await listener.close();
    await expect(waiting.wait()).rejects.toBeInstanceOf(ListenerClosed);
  });

  test("an accept failure such as EMFILE is thrown by accept, and the listener goes on", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      const { port } = listener.address() as AddressInfo;
      const emfile = Object.assign(new Error("accept EMFILE"), {
        code: "EMFILE",
        syscall: "accept",
      });
      listener.server.emit("error", emfile);
      listener.server.emit("error", emfile); // a storm counts once
      await expect(listener.accept()).rejects.toBe(emfile);
      const client = await connect(["127.0.0.1", port]);
      const [sock] = await listener.accept();
      await sock.close();
      await client.close();
    } finally {
      await listener.close();
    }
  });

  test("listening on a port in use fails with EADDRINUSE", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      const { port } = listener.address() as AddressInfo;
      const error = await listen(["127.0.0.1", port]).catch((e: unknown) => e);
      expect((error as NodeJS.ErrnoException).code).toBe("EADDRINUSE");
    } finally {
      await listener.close();
    }
  });

  test("reusePort shares a port where Node supports it, and is refused clearly where it does not", async () => {
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
    const supported = major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
    if (!supported) {
      const error = await listen(["127.0.0.1", 0], { reusePort: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Unsupported);
      expect((error as Unsupported).message).toMatch(/reusePort needs Node.js >= 22.12/);
      return;
    }
    const a = await listen(["127.0.0.1", 0], { reusePort: true });
    try {
      const b = await listen(["127.0.0.1", (a.address() as AddressInfo).port], { reusePort: true });
      await b.close();
    } finally {
      await a.close();
    }
  });

  test("listen accepts reuseAddress and backlog, and checks its arguments", async () => {
    const listener = await listen(
      { host: "127.0.0.1", port: 0 },
      { reuseAddress: true, backlog: 16 },
    );
    await listener.close();
    await expect(listen(["127.0.0.1", -1])).rejects.toThrow(
      /port must be an integer from 0 to 65535, received -1/,
    );
    await expect(listen(["127.0.0.1", 0], { backlog: 1.5 })).rejects.toThrow(
      /backlog must be an integer >= 0, received 1.5/,
    );
    await expect(listen(null as never)).rejects.toThrow(/received null/);
  });
});

describe("the port, and how listeners and sockets print", () => {
  test("port is the free port the OS picked for listen([host, 0]), as a number", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      const port: number = listener.port;
      expect(port).toBe((listener.address() as AddressInfo).port);
      expect(port).toBeGreaterThan(0);
    } finally {
      await listener.close();
    }
    expect(() => listener.port).toThrow(ListenerClosed);
  });

  test("a Unix socket listener has no port: reading it says where it listens", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tendril-port-"));
    const path = join(dir, "s.sock");
    const listener = await listen(path);
    try {
      expect(() => listener.port).toThrow(Unsupported);
      expect(() => listener.port).toThrow(path);
    } finally {
      await listener.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("util.inspect shows a listener's address and a socket's two ends, not Node internals", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      expect(inspect(listener)).toBe(`GreenListener { 127.0.0.1:${listener.port}, pending: 0 }`);
      const client = await connect(["127.0.0.1", listener.port]);
      const [server] = await listener.accept();
      expect(inspect(client)).toBe(
        `GreenSocket { 127.0.0.1:${client.localPort} -> 127.0.0.1:${listener.port}, buffered: 0 }`,
      );
      await client.sendall("hi");
      expect(await server.recvExactly(2)).toEqual(Buffer.from("hi"));
      await client.close();
      expect(inspect(client)).toMatch(/^GreenSocket \{ .*, closed \}$/);
      expect(inspect({ server })).toContain("GreenSocket { 127.0.0.1:");
      await server.close();
    } finally {
      await listener.close();
    }
    expect(inspect(listener)).toBe("GreenListener { closed }");
  });
});
