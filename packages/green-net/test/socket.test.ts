import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type GreenThread, GreenThreadExit, sleep, spawn, Timeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import {
  ConcurrentRead,
  connect,
  GreenSocket,
  IncompleteRead,
  LineTooLong,
  listen,
  Resolver,
  SocketClosed,
  SocketTimeout,
} from "@tendril/green-net";
import { startDnsServer } from "@tendril/green-net/testing";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline, tcpPair, text } from "./helpers/net.js";

// Spawns a thread that sends `chunk` `times` times on `sock`, and returns once its progress has
// stood still for 5 checks 10 ms apart (the peer is not reading): the thread, and the bytes
// its sendalls have reported sent so far.
async function sendUntilStalled(
  sock: GreenSocket,
  chunk: Uint8Array,
  times: number,
): Promise<{ writer: GreenThread<void>; sent: () => number }> {
  let sent = 0;
  const writer = spawn(async () => {
    for (let i = 0; i < times; i++) {
      await sock.sendall(chunk);
      sent += chunk.length;
    }
  });
  let last = -1;
  for (let still = 0; still < 5; ) {
    await sleep(10);
    if (sent === last) still++;
    else [still, last] = [0, sent];
  }
  return { writer, sent: () => sent };
}

let baseline: ReturnType<typeof leakBaseline>;
beforeEach(() => {
  baseline = leakBaseline();
});
afterEach(() => expectNoLeaks(baseline));

describe("GreenSocket reading", () => {
  test("recv returns at most maxBytes of what is buffered, the rest on later calls", async () => {
    const [a, b] = await tcpPair();
    try {
      await a.sendall("hello world");
      expect(text(await b.recvExactly(2))).toBe("he");
      expect(text(await b.recv(3))).toBe("llo");
      expect(text(await b.recv(100))).toBe(" world");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("recv returns an empty array at the end of the stream, every time", async () => {
    const [a, b] = await tcpPair();
    try {
      await a.sendall("bye");
      await a.close();
      expect(text(await b.recv(10))).toBe("bye");
      expect((await b.recv(10)).length).toBe(0);
      expect((await b.recv(10)).length).toBe(0);
    } finally {
      await b.close();
    }
  });

  test("recvExactly gathers several chunks, and fails with IncompleteRead (keeping the partial bytes) at the end", async () => {
    const [a, b] = await tcpPair();
    try {
      const reader = spawn(() => b.recvExactly(6));
      await a.sendall("abc");
      await sleep(5);
      expect(reader.dead).toBe(false);
      await a.sendall("defgh");
      expect(text(await reader.wait())).toBe("abcdef");
      await a.close();
      const error = await b.recvExactly(5).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IncompleteRead);
      expect((error as IncompleteRead).code).toBe("ERR_TENDRIL_INCOMPLETE_READ");
      expect(text((error as IncompleteRead).partial)).toBe("gh");
      expect((await b.recvExactly(0)).length).toBe(0);
    } finally {
      await b.close();
    }
  });

  test("readLine returns lines with their newline, then the unterminated last line, then an empty string", async () => {
    const [a, b] = await tcpPair();
    try {
      await a.sendall("one\ntw");
      const second = spawn(async () => [await b.readLine(), await b.readLine()]);
      await sleep(5);
      await a.sendall("o\nthré");
      expect(await second.wait()).toEqual(["one\n", "two\n"]);
      await a.close();
      expect(await b.readLine()).toBe("thré");
      expect(await b.readLine()).toBe("");
    } finally {
      await b.close();
    }
  });

  test("readLine fails with LineTooLong past maxLineBytes and leaves the bytes buffered", async () => {
    const [a, b] = await tcpPair();
    try {
      await a.sendall("x".repeat(20));
      const error = await b.readLine({ maxLineBytes: 10 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LineTooLong);
      expect((error as LineTooLong).code).toBe("ERR_TENDRIL_LINE_TOO_LONG");
      expect(text(await b.recvExactly(20))).toBe("x".repeat(20));
      await a.sendall("short\nlong-line-here\n");
      expect(await b.readLine({ maxLineBytes: 6 })).toBe("short\n");
      await expect(b.readLine({ maxLineBytes: 6 })).rejects.toBeInstanceOf(LineTooLong);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("a second simultaneous read fails with ConcurrentRead and does not disturb the first", async () => {
    const [a, b] = await tcpPair();
    try {
      const first = spawn(() => b.recv(100));
      await sleep(0);
      await sleep(0);
      const error = await b.recv(100).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrentRead);
      expect((error as ConcurrentRead).code).toBe("ERR_TENDRIL_CONCURRENT_READ");
      await expect(b.readLine()).rejects.toBeInstanceOf(ConcurrentRead);
      await expect(b.recvExactly(1)).rejects.toBeInstanceOf(ConcurrentRead);
      await a.sendall("mine");
      expect(text(await first.wait())).toBe("mine");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("kill interrupts a waiting recv and nothing that arrives later is lost", async () => {
    const [a, b] = await tcpPair();
    try {
      const reader = spawn(() => b.recv(100));
      await sleep(0);
      await sleep(0);
      await reader.kill();
      await expect(reader.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      await a.sendall("kept");
      expect(text(await b.recv(100))).toBe("kept");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("a Timeout interrupts recvExactly, which consumes nothing", async () => {
    const [a, b] = await tcpPair();
    try {
      await a.sendall("ab");
      const reader = spawn(async () => {
        using _deadline = new Timeout(20);
        return await b.recvExactly(4);
      });
      await expect(reader.wait()).rejects.toBeInstanceOf(Timeout);
      await a.sendall("cd");
      expect(text(await b.recvExactly(4))).toBe("abcd");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("setTimeout makes a read that waits too long fail with SocketTimeout, on the hub's clock", async () => {
    const [a, b] = await tcpPair();
    try {
      await withVirtualHub(async (hub) => {
        b.setTimeout(30_000);
        expect(b.timeout).toBe(30_000);
        const start = hub.now();
        const error = await b.recv(10).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SocketTimeout);
        expect((error as SocketTimeout).code).toBe("ERR_TENDRIL_SOCKET_TIMEOUT");
        expect(hub.now() - start).toBe(30_000);
        await expect(b.readLine()).rejects.toBeInstanceOf(SocketTimeout);
      });
      // The socket is still usable.
      b.setTimeout(null);
      await a.sendall("late\n");
      expect(await b.readLine()).toBe("late\n");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("async iteration yields chunks until the end of the stream", async () => {
    const [a, b] = await tcpPair();
    try {
      const sender = spawn(async () => {
        for (let i = 0; i < 5; i++) await a.sendall(`chunk${i};`);
        await a.close();
      });
      let all = "";
      for await (const chunk of b) all += text(chunk);
      await sender.wait();
      expect(all).toBe("chunk0;chunk1;chunk2;chunk3;chunk4;");
    } finally {
      await b.close();
    }
  });

  test("a peer that resets the connection makes recv fail with ECONNRESET", async () => {
    const [a, b] = await tcpPair();
    try {
      a.raw.resetAndDestroy();
      const error = await b.recv(10).catch((e: unknown) => e);
      expect((error as NodeJS.ErrnoException).code).toBe("ECONNRESET");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("the receive buffer stops at its high-water mark: a flooding peer waits, memory does not grow", async () => {
    const [a, b] = await tcpPair({ highWaterMark: 16 * 1024 });
    try {
      const { writer: flood } = await sendUntilStalled(a, new Uint8Array(64 * 1024), 1024);
      expect(flood.dead).toBe(false);
      // What b holds is bounded by its high-water mark plus one chunk Node read.
      expect(b.bufferedAmount).toBeLessThanOrEqual(16 * 1024 + 64 * 1024);
      await flood.kill();
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("GreenSocket writing and closing", () => {
  test("sendall to a reader that does not read waits instead of buffering", async () => {
    const [a, b] = await tcpPair();
    try {
      const chunk = new Uint8Array(256 * 1024);
      const { writer, sent } = await sendUntilStalled(a, chunk, 400);
      expect(writer.dead).toBe(false);
      // Node holds at most the one chunk sendall is waiting on.
      expect(a.raw.writableLength).toBeLessThanOrEqual(chunk.length);
      let received = 0;
      while (received < 400 * chunk.length) received += (await b.recv(1 << 20)).length;
      await writer.wait();
      expect(sent()).toBe(400 * chunk.length);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("kill interrupts a waiting sendall; its bytes are still sent and the socket stays usable", async () => {
    const [a, b] = await tcpPair();
    try {
      const chunk = new Uint8Array(1 << 20).fill(1);
      const writer = spawn(async () => {
        for (;;) await a.sendall(chunk);
      });
      let last = -1;
      while (a.raw.bytesWritten !== last) {
        last = a.raw.bytesWritten;
        await sleep(10);
      }
      await writer.kill();
      await expect(writer.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      const queued = a.raw.bytesWritten; // counts what Node still holds, too
      const reader = spawn(async () => {
        let received = 0;
        let tail = "";
        for await (const piece of b) {
          received += piece.length;
          tail = (tail + text(piece.subarray(Math.max(0, piece.length - 3)))).slice(-3);
        }
        return [received, tail] as const;
      });
      await a.sendall("end");
      await a.shutdown("write");
      const [received, tail] = await reader.wait();
      expect(received).toBe(queued + 3);
      expect(tail).toBe("end");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("setTimeout bounds a sendall that waits for the peer to read", () =>
    withVirtualHub(async () => {
      const [a, b] = await tcpPair();
      try {
        a.setTimeout(1000);
        const chunk = new Uint8Array(1 << 20);
        let error: unknown;
        for (let i = 0; i < 200 && error === undefined; i++)
          error = await a.sendall(chunk).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SocketTimeout);
      } finally {
        a.raw.destroy();
        await a.close();
        await b.close();
      }
    }));

  test("close wakes a thread waiting in recv with SocketClosed, and later calls fail the same way", async () => {
    const [a, b] = await tcpPair();
    try {
      const reader = spawn(() => b.recv(10));
      await sleep(0);
      await sleep(0);
      await b.close();
      await expect(reader.wait()).rejects.toBeInstanceOf(SocketClosed);
      const error = await b.recv(1).catch((e: unknown) => e);
      expect((error as SocketClosed).code).toBe("ERR_TENDRIL_SOCKET_CLOSED");
      await expect(b.sendall("x")).rejects.toBeInstanceOf(SocketClosed);
      await expect(b.shutdown()).rejects.toBeInstanceOf(SocketClosed);
      await b.close(); // harmless
      expect(b.closed).toBe(true);
      expect((await a.recv(10)).length).toBe(0);
    } finally {
      await a.close();
    }
  });

  test("sendall resolves once its bytes are in the kernel, so close right after loses nothing", async () => {
    const [a, b] = await tcpPair();
    try {
      const big = new Uint8Array(8 * 1024 * 1024).fill(7);
      const writer = spawn(async () => {
        await a.sendall(big);
        await a.close();
      });
      let received = 0;
      for (;;) {
        const chunk = await b.recv(1 << 20);
        if (chunk.length === 0) break;
        received += chunk.length;
      }
      await writer.wait();
      expect(received).toBe(big.length);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("shutdown('write') sends the end of the stream and the other direction keeps working", async () => {
    const [a, b] = await tcpPair();
    try {
      await a.sendall("request");
      await a.shutdown("write");
      await expect(a.sendall("more")).rejects.toBeInstanceOf(SocketClosed);
      let request = "";
      for await (const chunk of b) request += text(chunk);
      expect(request).toBe("request");
      await b.sendall("response");
      await b.close();
      let response = "";
      for await (const chunk of a) response += text(chunk);
      expect(response).toBe("response");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("shutdown('read') makes recv return empty", async () => {
    const [a, b] = await tcpPair();
    try {
      await a.sendall("ignored");
      await b.shutdown("read");
      expect((await b.recv(10)).length).toBe(0);
      await b.sendall("still sending");
      expect(text(await a.recvExactly(13))).toBe("still sending");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("await using closes the socket at the end of the scope", async () => {
    let outer: GreenSocket | undefined;
    let peer: GreenSocket | undefined;
    try {
      {
        const [a, b] = await tcpPair();
        peer = b;
        await using sock = a;
        outer = sock;
        await sock.sendall("x");
      }
      expect(outer.closed).toBe(true);
      expect(text(await peer.recv(10))).toBe("x");
      expect((await peer.recv(10)).length).toBe(0);
    } finally {
      await peer?.close();
    }
  });

  test("arguments are checked with messages that name the received value", async () => {
    const [a, b] = await tcpPair();
    try {
      await expect(a.recv(0)).rejects.toThrow(/maxBytes must be an integer >= 1, received 0/);
      await expect(a.recv("4" as unknown as number)).rejects.toThrow(TypeError);
      await expect(a.recvExactly(-1)).rejects.toThrow(RangeError);
      await expect(a.sendall(42 as unknown as string)).rejects.toThrow(/received 42/);
      await expect(a.shutdown("sideways" as "read")).rejects.toThrow(/received "sideways"/);
      expect(() => a.setTimeout(-1)).toThrow(RangeError);
      expect(() => new GreenSocket({} as never)).toThrow(TypeError);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("connect", () => {
  test("connects over IPv6 loopback", async () => {
    const listener = await listen(["::1", 0]);
    try {
      const { port, family } = listener.address() as AddressInfo;
      expect(family).toBe("IPv6");
      const client = await connect(["::1", port]);
      const [server, address] = await listener.accept();
      expect(address.family).toBe("IPv6");
      await client.sendall("v6");
      expect(text(await server.recv(10))).toBe("v6");
      await client.close();
      await server.close();
    } finally {
      await listener.close();
    }
  });

  test("connects over a Unix socket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tendril-unix-"));
    const path = join(dir, "echo.sock");
    const listener = await listen(path);
    try {
      expect(listener.address()).toBe(path);
      const client = await connect({ path });
      const [server] = await listener.accept();
      await client.sendall("unix");
      expect(text(await server.recv(10))).toBe("unix");
      await client.close();
      await server.close();
    } finally {
      await listener.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("resolves names with the green resolver, and binds to a local address when asked", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      const { port } = listener.address() as AddressInfo;
      const client = await connect(["localhost", port], { bind: ["127.0.0.1", 0], family: 4 });
      const [server, address] = await listener.accept();
      expect(address.port).toBe(client.localPort);
      expect(client.remoteAddress).toBe("127.0.0.1");
      await client.close();
      await server.close();
    } finally {
      await listener.close();
    }
  });

  test("a refused connection rejects with ECONNREFUSED", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const { port } = listener.address() as AddressInfo;
    await listener.close();
    const error = await connect(["127.0.0.1", port]).catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });

  test("the timeout option bounds the whole connection, name lookup included", async () => {
    const dns = await startDnsServer({ "slow.test": { A: ["127.0.0.1"], drop: true } });
    try {
      const resolver = new Resolver({
        servers: [dns.address],
        hostsFile: null,
        timeout: 200,
        tries: 1,
      });
      const error = await connect(["slow.test", 9], { timeout: 50, lookup: resolver.lookup }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SocketTimeout);
      // Let the abandoned query end before the DNS server goes away.
      await expect(resolver.resolve("slow.test", { family: 4 })).rejects.toMatchObject({
        dnsCode: "ETIMEOUT",
      });
    } finally {
      await dns.close();
    }
  });

  test("a malformed address is refused with a message naming it", async () => {
    await expect(connect(["127.0.0.1", 70000])).rejects.toThrow(/received 70000/);
    await expect(connect(42 as never)).rejects.toThrow(/received 42/);
    await expect(connect(["127.0.0.1"] as never)).rejects.toThrow(TypeError);
  });
});
