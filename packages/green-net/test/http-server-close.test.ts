// HttpServer.close(): a graceful shutdown that closes what is idle at once, delivers what is
// in flight, and cuts the rest when the grace period ends (issues 11, 13 and 17 item 8).
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { Event, setErrorReporter } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { type HttpServer, Response, serveHttp } from "@tendril/green-net";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { expectNoLeaks, hasOpenssl, leakBaseline, makeCertificate } from "./helpers/net.js";
import { head, rawExchange, statusLines } from "./helpers/raw-http.js";

// Bounded by count, not by time; on a busy shared machine a step may take a few seconds.
vi.setConfig({ testTimeout: 30_000 });

let baseline: ReturnType<typeof leakBaseline>;
const servers: HttpServer[] = [];
const reported: unknown[] = [];
let restoreReporter: (() => void) | null = null;

beforeEach(() => {
  baseline = leakBaseline();
  reported.length = 0;
  const previous = setErrorReporter((error) => {
    reported.push(error);
  });
  restoreReporter = () => setErrorReporter(previous);
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close({ graceMs: 0 });
  restoreReporter?.();
  await expectNoLeaks(baseline);
});

async function serve(
  handler: Parameters<typeof serveHttp>[1],
): Promise<{ server: HttpServer; port: number }> {
  const server = await serveHttp({ host: "127.0.0.1", port: 0 }, handler);
  servers.push(server);
  return { server, port: (server.address() as AddressInfo).port };
}

/** A raw client connection: what it received (the first 64 KiB), how much, and its close. */
function client(port: number): {
  socket: Socket;
  received: () => string;
  bytes: () => number;
  closed: Promise<void>;
  connected: Promise<void>;
} {
  const socket = netConnect(port, "127.0.0.1");
  let received = "";
  let bytes = 0;
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    bytes += chunk.length;
    if (received.length < 64 * 1024) received += chunk.slice(0, 64 * 1024);
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const connected = new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return { socket, received: () => received, bytes: () => bytes, closed, connected };
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !predicate(); i++) await macrotask();
  expect(predicate()).toBe(true);
}

describe("HttpServer.close()", () => {
  test("closes idle keep-alive, silent and half-sent-head connections at once", async () => {
    const { server, port } = await serve(() => new Response("hello"));
    const keepAlive = client(port);
    keepAlive.socket.write(head("GET / HTTP/1.1", [["Host", "127.0.0.1"]]));
    await until(() => keepAlive.received().endsWith("hello"));
    const silent = client(port);
    await silent.connected;
    const halfSent = client(port);
    halfSent.socket.write("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: ye");
    await until(() => halfSent.socket.bytesWritten > 0);
    await macrotask();
    // With no grace limit at all, close() can only resolve because these are closed now —
    // not after keepAliveTimeoutMs (5 s) or headersTimeoutMs (60 s).
    await server.close({ graceMs: Number.POSITIVE_INFINITY });
    await Promise.all([keepAlive.closed, silent.closed, halfSent.closed]);
    expect(statusLines(keepAlive.received())).toEqual(["HTTP/1.1 200 OK"]);
    expect(silent.received()).toBe("");
    expect(halfSent.received()).toBe("");
  });

  test("a large body flushing to a slow reader is delivered whole before close() resolves", async () => {
    const size = 16 * 1024 * 1024;
    const { server, port } = await serve(() => new Response(new Uint8Array(size).fill(120)));
    const slow = client(port);
    slow.socket.write(head("GET /big HTTP/1.1", [["Host", "127.0.0.1"]]));
    await until(() => slow.received().length > 0);
    slow.socket.pause(); // the client stops reading: the rest waits in the server's buffers
    await until(() => server.running() === 0); // the handler is done; its body is not
    let resolved = false;
    const closing = server.close({ graceMs: Number.POSITIVE_INFINITY }).then(() => {
      resolved = true;
    });
    for (let i = 0; i < 50; i++) await macrotask();
    expect(resolved).toBe(false);
    slow.socket.resume();
    await closing;
    await slow.closed;
    const received = slow.received();
    const headLength = received.indexOf("\r\n\r\n") + 4;
    expect(statusLines(received.slice(0, headLength))).toEqual(["HTTP/1.1 200 OK"]);
    expect(received.slice(0, headLength)).toMatch(/\r\ncontent-length: 16777216\r\n/i);
    expect(slow.bytes() - headLength).toBe(size);
    expect(reported).toEqual([]);
  });

  test("a streamed response in flight finishes, with Connection: close", async () => {
    const go = new Event<void>();
    const { server, port } = await serve(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              await go.wait();
              controller.enqueue(new TextEncoder().encode("streamed to the end"));
              controller.close();
            },
          }),
        ),
    );
    const pending = rawExchange(port, [head("GET / HTTP/1.1", [["Host", "127.0.0.1"]])]);
    await until(() => server.running() === 1);
    const closing = server.close({ graceMs: Number.POSITIVE_INFINITY });
    go.send();
    const { received, closed } = await pending;
    await closing;
    expect(closed).toBe(true);
    expect(received).toContain("streamed to the end");
  });

  test("after the grace period (default 30 s) a thread stuck on a plain promise is cut off", () =>
    withVirtualHub(
      async (hub) => {
        let settle: (() => void) | null = null;
        const { server, port } = await serve(async () => {
          // Not a green operation: kill cannot interrupt it.
          await new Promise<void>((resolve) => {
            settle = resolve;
          });
          return new Response("too late");
        });
        const stuck = client(port);
        stuck.socket.write(head("GET / HTTP/1.1", [["Host", "127.0.0.1"]]));
        await until(() => server.running() === 1);
        let resolved = false;
        const closing = server.close().then(() => {
          resolved = true;
        });
        await hub.advance(29_999);
        for (let i = 0; i < 20; i++) await macrotask();
        expect(resolved).toBe(false);
        await hub.advance(1);
        await closing;
        await stuck.closed;
        expect(stuck.received()).toBe("");
        // The handler wakes up long after: its answer goes nowhere, nothing is reported.
        (settle as unknown as () => void)();
        await until(() => server.running() === 0);
        expect(stuck.received()).toBe("");
        expect(reported).toEqual([]);
      },
      { autojump: false },
    ));

  test("graceMs: 0 kills a handler in a green wait and answers nobody", async () => {
    const { server, port } = await serve(async () => {
      await new Event<void>().wait();
      return new Response("never");
    });
    const waiting = client(port);
    waiting.socket.write(head("GET / HTTP/1.1", [["Host", "127.0.0.1"]]));
    await until(() => server.running() === 1);
    await server.close({ graceMs: 0 });
    await waiting.closed;
    await until(() => server.running() === 0);
    expect(waiting.received()).toBe("");
  });

  test("graceMs must be a number >= 0, named in the error", async () => {
    const { server } = await serve(() => new Response("x"));
    expect(() => server.close({ graceMs: -1 })).toThrow(
      /graceMs must be a number >= 0, received -1/,
    );
    expect(() => server.close({ graceMs: "5" as unknown as number })).toThrow(/received "5"/);
  });

  test.skipIf(!hasOpenssl())(
    "on an https.Server: a TCP connection still in its handshake and an idle TLS one close at once",
    async () => {
      const https = createHttpsServer(makeCertificate());
      const release = new Event<void>();
      const serving = serveHttp(https, async (request) => {
        if (new URL(request.url).pathname === "/slow") await release.wait();
        return new Response(`secure ${new URL(request.url).pathname}`);
      });
      https.listen(0, "127.0.0.1");
      const server = await serving;
      servers.push(server);
      const port = (server.address() as AddressInfo).port;
      const secureClient = (path: string) => {
        const socket = tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false });
        let received = "";
        socket.setEncoding("latin1");
        socket.on("data", (chunk: string) => {
          received += chunk;
        });
        socket.on("error", () => {});
        socket.write(head(`GET ${path} HTTP/1.1`, [["Host", "localhost"]]));
        const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
        return { received: () => received, closed };
      };
      const idle = secureClient("/fast");
      await until(() => idle.received().endsWith("secure /fast"));
      const slow = secureClient("/slow");
      await until(() => server.running() === 1);
      const handshaking = client(port); // plain TCP: never starts its handshake
      await handshaking.connected;
      const closing = server.close({ graceMs: Number.POSITIVE_INFINITY });
      await Promise.all([idle.closed, handshaking.closed]);
      expect(server.running()).toBe(1);
      release.send();
      await closing;
      await slow.closed;
      expect(statusLines(slow.received())).toEqual(["HTTP/1.1 200 OK"]);
      expect(slow.received()).toMatch(/\r\nconnection: close\r\n/i);
      expect(slow.received().endsWith("secure /slow")).toBe(true);
    },
  );
});
