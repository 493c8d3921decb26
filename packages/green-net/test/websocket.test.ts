import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isTimeout, setErrorReporter, sleep, spawn, withTimeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { ConcurrentRead, type HttpServer, serveHttp, urlopen } from "@tendril/green-net";
import {
  connectWebSocket,
  type GreenWebSocket,
  serveWebSocket,
  WebSocketClosed,
  type WebSocketHandler,
  type WebSocketService,
} from "@tendril/green-net/websocket";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

let baseline: ReturnType<typeof leakBaseline>;
let cleanups: Array<() => Promise<void>> = [];
beforeEach(() => {
  baseline = leakBaseline();
});
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  await expectNoLeaks(baseline);
});

/** serveHttp on 127.0.0.1:0 with a websocket service on it; both closed after the test. */
async function serve(
  handler: WebSocketHandler,
  options: Parameters<typeof serveWebSocket>[2] = {},
): Promise<{ http: HttpServer; service: WebSocketService; url: string }> {
  const http = await serveHttp({ host: "127.0.0.1", port: 0 }, () => new Response("plain http"));
  const service = serveWebSocket(http, handler, { path: "/ws", ...options });
  cleanups.push(async () => {
    await service.close();
    await http.close();
  });
  return { http, service, url: `${http.url.replace("http:", "ws:")}/ws` };
}

async function echo(ws: GreenWebSocket): Promise<void> {
  for await (const message of ws) await ws.send(message);
}

describe("websockets", () => {
  test("a handler per connection echoes text and binary messages in the blocking style", async () => {
    const { url, http, service } = await serve(echo);
    const ws = await connectWebSocket(url);
    try {
      await ws.send("hello");
      expect(await ws.recv()).toBe("hello");
      await ws.send(new Uint8Array([1, 2, 3]));
      const bytes = await ws.recv();
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect([...(bytes as Uint8Array)]).toEqual([1, 2, 3]);
      expect(service.connections()).toBe(1);
      // The same server still answers plain HTTP.
      expect(await (await urlopen(http.url)).text()).toBe("plain http");
    } finally {
      await ws.close();
    }
    expect(ws.closeCode).toBe(1000);
    expect(await ws.recv()).toBeNull();
    for (let i = 0; i < 100 && service.connections() > 0; i++) await sleep(1);
    expect(service.connections()).toBe(0);
  });

  test("when the handler returns, the connection closes normally and recv gives null", async () => {
    const { url } = await serve(async (ws) => {
      await ws.send(`you asked for ${(await ws.recv()) as string}`);
    });
    const ws = await connectWebSocket(url);
    await ws.send("news");
    expect(await ws.recv()).toBe("you asked for news");
    expect(await ws.recv()).toBeNull();
    expect(ws.closeCode).toBe(1000);
    await expect(ws.send("late")).rejects.toBeInstanceOf(WebSocketClosed);
  });

  test("a handler that fails closes its connection with 1011 and reports the error", async () => {
    const reported: unknown[] = [];
    const previous = setErrorReporter((error) => void reported.push(error));
    try {
      const { url } = await serve(async () => {
        throw new Error("handler broke");
      });
      const ws = await connectWebSocket(url);
      expect(await ws.recv()).toBeNull();
      expect(ws.closeCode).toBe(1011);
      expect((reported[0] as Error).message).toBe("handler broke");
    } finally {
      setErrorReporter(previous);
    }
  });

  test("recv is a green operation: a Timeout interrupts it, nothing is lost, the websocket stays usable", async () => {
    const { url } = await serve(async (ws) => {
      await ws.recv(); // "go"
      await ws.send("late message");
      await ws.recv();
    });
    const ws = await connectWebSocket(url);
    try {
      await withVirtualHub(async () => {
        const error = await withTimeout(5000, () => ws.recv()).catch((e: unknown) => e);
        expect(isTimeout(error)).toBe(true);
      });
      await ws.send("go");
      expect(await ws.recv()).toBe("late message");
    } finally {
      await ws.close();
    }
  });

  test("service.close() kills every handler thread and closes its connection (1001)", async () => {
    let handlers = 0;
    const { url, service } = await serve(async (ws) => {
      handlers++;
      await ws.recv(); // waits forever
    });
    const a = await connectWebSocket(url);
    const b = await connectWebSocket(url);
    for (let i = 0; i < 100 && service.connections() < 2; i++) await sleep(1);
    expect(service.connections()).toBe(2);
    await service.close();
    expect(service.connections()).toBe(0);
    expect(await a.recv()).toBeNull();
    expect(await b.recv()).toBeNull();
    expect(a.closeCode).toBe(1001);
    expect(handlers).toBe(2);
  });

  test("only the configured path is upgraded; other paths get 404", async () => {
    const { http } = await serve(echo);
    const error = await connectWebSocket(`${http.url.replace("http:", "ws:")}/other`).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/Unexpected server response: 404/);
  });

  test("a message over maxPayloadBytes closes the connection with 1009; the handler's recv fails", async () => {
    let handlerError: unknown;
    const { url } = await serve(
      async (ws) => {
        handlerError = await ws.recv().catch((e: unknown) => e);
      },
      { maxPayloadBytes: 16 },
    );
    const ws = await connectWebSocket(url);
    await ws.send("x".repeat(17));
    expect(await ws.recv()).toBeNull();
    expect(ws.closeCode).toBe(1009);
    expect((handlerError as { code?: string }).code).toBe("WS_ERR_UNSUPPORTED_MESSAGE_LENGTH");
  });

  test("two threads reading one websocket: the second fails with ConcurrentRead", async () => {
    const { url } = await serve(echo);
    const ws = await connectWebSocket(url);
    try {
      const first = spawn(() => ws.recv());
      await sleep(0);
      await expect(ws.recv()).rejects.toBeInstanceOf(ConcurrentRead);
      await ws.send("one");
      expect(await first.wait()).toBe("one");
    } finally {
      await ws.close();
    }
  });

  test("verifyOrigin refuses a browser from another origin with 403", async () => {
    const { url } = await serve(echo, {
      verifyOrigin: (origin) => origin === "http://good.example",
    });
    const bad = await connectWebSocket(url, { headers: { origin: "http://evil.example" } }).catch(
      (e: unknown) => e,
    );
    expect((bad as Error).message).toMatch(/Unexpected server response: 403/);
    const good = await connectWebSocket(url, { headers: { origin: "http://good.example" } });
    await good.close();
  });

  test("works on a plain node:http server too", async () => {
    const server = createServer((_req, res) => res.end("hi"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const service = serveWebSocket(server, echo);
    try {
      const { port } = server.address() as AddressInfo;
      const ws = await connectWebSocket(`ws://127.0.0.1:${port}/anything`);
      await ws.send("plain");
      expect(await ws.recv()).toBe("plain");
      await ws.close();
    } finally {
      await service.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("bad arguments are typed errors that name the received value", async () => {
    await expect(connectWebSocket("ftp://x")).rejects.toThrow(
      /url must be a ws: or wss: URL, received "ftp:\/\/x"/,
    );
    await expect(connectWebSocket("not a url")).rejects.toThrow(/received "not a url"/);
    expect(() => serveWebSocket({} as never, echo)).toThrow(/server must be an HttpServer/);
    const server = createServer();
    expect(() => serveWebSocket(server, "echo" as never)).toThrow(
      /handler must be a function, received "echo"/,
    );
    expect(() => serveWebSocket(server, echo, { path: "ws" })).toThrow(
      /path must be a string starting with "\/", received "ws"/,
    );
    expect(() => serveWebSocket(server, echo, { maxPayloadBytes: 0 })).toThrow(RangeError);
    const { url } = await serve(echo);
    const ws = await connectWebSocket(url);
    await expect(ws.send(42 as unknown as string)).rejects.toThrow(
      /data must be a string or a Uint8Array, received 42/,
    );
    await expect(ws.close(1006)).rejects.toThrow(/code must be 1000 or an integer in 3000-4999/);
    await ws.close(4000, "bye");
  });
});
