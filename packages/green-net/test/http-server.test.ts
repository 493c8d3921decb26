// serveHttp: a web-standard handler per request in its own green thread, on node:http — over
// real loopback traffic from undici, raw sockets and Debian's curl.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import {
  type AddressInfo,
  createServer as createNetServer,
  connect as netConnect,
  type Socket,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Event,
  type GreenThread,
  GreenThreadExit,
  getCurrent,
  setErrorReporter,
  sleep,
} from "@tendril/core";
import {
  type AccessLogEntry,
  formatAccessLog,
  HttpClient,
  type HttpServer,
  listen,
  RequestTooLarge,
  Response,
  type ServeHttpOptions,
  serveHttp,
} from "@tendril/green-net";
import { waitFor, waitForSteady } from "@tendril/test-servers";
import { Agent, type Dispatcher } from "undici";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

let baseline: ReturnType<typeof leakBaseline>;
let agent: Agent;
const servers: HttpServer[] = [];
let restoreReporter: (() => void) | null = null;
const reported: unknown[] = [];

beforeEach(() => {
  baseline = leakBaseline();
  agent = new Agent({ keepAliveTimeout: 10_000 });
  reported.length = 0;
  const previous = setErrorReporter((error) => {
    reported.push(error);
  });
  restoreReporter = () => setErrorReporter(previous);
});

afterEach(async () => {
  await agent.destroy();
  for (const server of servers.splice(0)) await server.close({ graceMs: 0 });
  restoreReporter?.();
  await expectNoLeaks(baseline);
});

async function serve(
  handler: Parameters<typeof serveHttp>[1],
  options: ServeHttpOptions = {},
): Promise<HttpServer> {
  const server = await serveHttp({ host: "127.0.0.1", port: 0 }, handler, options);
  servers.push(server);
  return server;
}

async function get(
  url: string,
  options: Partial<Dispatcher.RequestOptions> = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}> {
  const { statusCode, headers, body } = await agent.request({
    origin: new URL(url).origin,
    path: new URL(url).pathname + new URL(url).search,
    method: "GET",
    ...options,
  } as Dispatcher.RequestOptions);
  return { status: statusCode, headers, text: await body.text() };
}

/** Sends raw bytes on a fresh connection and returns everything the server sent until it closed. */
function raw(
  port: number,
  data: string,
  options: { endAfter?: boolean; ms?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, "127.0.0.1");
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no close within ${options.ms ?? 5000} ms; received ${JSON.stringify(received)}`),
      );
    }, options.ms ?? 5000);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(data);
    if (options.endAfter) socket.end();
  });
}

function hasCurl(): boolean {
  try {
    execFileSync("curl", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function curl(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile("curl", ["-sS", "--max-time", "10", ...args], (error, stdout, stderr) => {
      resolve({ stdout, stderr, code: error ? Number((error as { code?: number }).code ?? 1) : 0 });
    });
  });
}

describe("serveHttp answers with the handler's Response", () => {
  test("a string body gets text/plain, Content-Length and keep-alive", async () => {
    const server = await serve(() => new Response("hello world"));
    const { status, headers, text } = await get(`${server.url}/`);
    expect(status).toBe(200);
    expect(text).toBe("hello world");
    expect(headers["content-type"]).toBe("text/plain;charset=UTF-8");
    expect(headers["content-length"]).toBe("11");
    expect(headers.connection).toBe("keep-alive");
  });

  test("status, statusText, headers (also repeated ones) and bytes bodies", async () => {
    const server = await serve(
      () =>
        new Response(new Uint8Array([1, 2, 3]), {
          status: 201,
          statusText: "Made It",
          headers: [
            ["content-type", "application/octet-stream"],
            ["set-cookie", "a=1"],
            ["set-cookie", "b=2"],
          ],
        }),
    );
    const { statusCode, statusText, headers, body } = await agent.request({
      origin: server.url,
      path: "/",
      method: "GET",
    } as Dispatcher.RequestOptions & { statusText?: string });
    expect(statusCode).toBe(201);
    expect(statusText).toBe("Made It");
    expect(headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect([...new Uint8Array(await body.arrayBuffer())]).toEqual([1, 2, 3]);
  });

  test("the platform's Response works too, and Response.json / Response.redirect", async () => {
    const server = await serve((request) => {
      const path = new URL(request.url).pathname;
      if (path === "/platform")
        return new globalThis.Response("from the platform", { headers: { "x-kind": "platform" } });
      if (path === "/json") return Response.json({ ok: true }, { status: 202 });
      if (path === "/stream")
        return new globalThis.Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("streamed "));
              controller.enqueue(new TextEncoder().encode("platform"));
              controller.close();
            },
          }),
        );
      return Response.redirect(`${server.url}/json`, 303);
    });
    const platform = await get(`${server.url}/platform`);
    expect(platform.text).toBe("from the platform");
    expect(platform.headers["x-kind"]).toBe("platform");
    const json = await get(`${server.url}/json`);
    expect(json.status).toBe(202);
    expect(json.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(json.text)).toEqual({ ok: true });
    expect((await get(`${server.url}/stream`)).text).toBe("streamed platform");
    const redirect = await get(`${server.url}/elsewhere`);
    expect(redirect.status).toBe(303);
    expect(redirect.headers.location).toBe(`${server.url}/json`);
  });

  test("a 204 has no body and HEAD gets the headers only", async () => {
    const server = await serve((request) =>
      request.method === "HEAD" ? new Response("not sent") : new Response(null, { status: 204 }),
    );
    const empty = await get(`${server.url}/`);
    expect(empty.status).toBe(204);
    expect(empty.text).toBe("");
    const head = await get(`${server.url}/`, { method: "HEAD" });
    expect(head.headers["content-length"]).toBe("8");
    expect(head.text).toBe("");
  });

  test("a streamed response body is written with backpressure", async () => {
    let produced = 0;
    const server = await serve((request) =>
      request.url.endsWith("/ping")
        ? new Response("pong")
        : new Response(
            new ReadableStream<Uint8Array>({
              pull(controller) {
                if (produced >= 64) {
                  controller.close();
                  return;
                }
                produced++;
                controller.enqueue(new Uint8Array(64 * 1024).fill(produced));
              },
            }),
          ),
    );
    const { statusCode, headers, body } = await agent.request({
      origin: server.url,
      path: "/",
      method: "GET",
    });
    expect(statusCode).toBe(200);
    expect(headers["transfer-encoding"]).toBe("chunked");
    // The client has not read: the stream is pulled only as far as the socket buffers allow.
    // Round trips on a second connection let the server run; once `produced` stops moving
    // the stream is held back. A server that ignored backpressure would pull all 64 chunks.
    const held = await waitForSteady(
      () => produced,
      async () => expect((await get(`${server.url}/ping`)).text).toBe("pong"),
      "the stream to be held back",
    );
    expect(held).toBeLessThan(64);
    expect((await body.arrayBuffer()).byteLength).toBe(64 * 64 * 1024);
  });
});

describe("the handler's Request", () => {
  test("has the method, an absolute URL from the Host header, and lazy headers", async () => {
    let seen: { method: string; url: string; agent: string | null; instance: boolean } | null =
      null;
    const server = await serve((request) => {
      seen = {
        method: request.method,
        url: request.url,
        agent: request.headers.get("User-Agent"),
        instance: request instanceof globalThis.Request,
      };
      return new Response("ok");
    });
    await get(`${server.url}/path/to?x=1&y=2`, { headers: { "user-agent": "spec" } });
    expect(seen).toEqual({
      method: "GET",
      url: `${server.url}/path/to?x=1&y=2`,
      agent: "spec",
      instance: false,
    });
  });

  test("reads the body as text, json, bytes, arrayBuffer, blob and form data", async () => {
    const server = await serve(async (request) => {
      const kind = new URL(request.url).searchParams.get("as");
      if (kind === "json") return Response.json(await request.json());
      if (kind === "bytes") return new Response(String((await request.bytes()).byteLength));
      if (kind === "buffer") return new Response(String((await request.arrayBuffer()).byteLength));
      if (kind === "blob") {
        const blob = await request.blob();
        return new Response(`${blob.type} ${blob.size}`);
      }
      if (kind === "form") return new Response(String((await request.formData()).get("name")));
      return new Response(`[${await request.text()}]`);
    });
    const post = (as: string, body: string, type = "text/plain") =>
      get(`${server.url}/?as=${as}`, { method: "POST", body, headers: { "content-type": type } });
    expect((await post("text", "plain body")).text).toBe("[plain body]");
    expect(JSON.parse((await post("json", '{"a":[1,2]}', "application/json")).text)).toEqual({
      a: [1, 2],
    });
    expect((await post("bytes", "12345")).text).toBe("5");
    expect((await post("buffer", "123")).text).toBe("3");
    expect((await post("blob", "abcd", "text/x-test")).text).toBe("text/x-test 4");
    expect((await post("form", "name=tendril&x=1", "application/x-www-form-urlencoded")).text).toBe(
      "tendril",
    );
    expect((await get(`${server.url}/?as=text`)).text).toBe("[]");
  });

  test("streams a large request body through request.body", async () => {
    const server = await serve(async (request) => {
      let total = 0;
      const reader = (request.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
      }
      return new Response(String(total));
    });
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    expect((await get(`${server.url}/`, { method: "PUT", body })).text).toBe(String(body.length));
  });

  test("toRequest() gives a platform Request, and new Request(url, request) copies it", async () => {
    const server = await serve(async (request) => {
      const copy = new globalThis.Request("http://upstream.test/x", request as never);
      const real = request.toRequest();
      return new Response(
        `${real instanceof globalThis.Request} ${copy.method} ${copy.headers.get("x-a")} ${await real.text()}`,
      );
    });
    expect(
      (await get(`${server.url}/`, { method: "POST", body: "payload", headers: { "x-a": "b" } }))
        .text,
    ).toBe("true POST b payload");
  });

  test("each request runs in its own green thread, which the handler is told about", async () => {
    const threads: GreenThread<unknown>[] = [];
    const server = await serve((_request, info) => {
      expect(getCurrent()).toBe(info.thread);
      threads.push(info.thread as GreenThread<unknown>);
      return new Response(`${info.remoteAddress} ${info.localPort}`);
    });
    const port = (server.address() as AddressInfo).port;
    for (let i = 0; i < 3; i++)
      expect((await get(`${server.url}/`)).text).toBe(`127.0.0.1 ${port}`);
    expect(new Set(threads).size).toBe(3);
  });
});

describe("serveHttp enforces its limits", () => {
  test("a declared body over maxBodyBytes gets 413 without calling the handler", async () => {
    let called = 0;
    const server = await serve(
      () => {
        called++;
        return new Response("no");
      },
      { maxBodyBytes: 1024 },
    );
    const { status, headers } = await get(`${server.url}/`, {
      method: "POST",
      body: Buffer.alloc(2048),
    });
    expect(status).toBe(413);
    expect(headers.connection).toBe("close");
    expect(called).toBe(0);
  });

  test("a chunked body is counted while it streams: reading it fails with RequestTooLarge, the client gets 413", async () => {
    let error: unknown = null;
    const server = await serve(
      async (request) => {
        try {
          return new Response(await request.text());
        } catch (e) {
          error = e;
          throw e;
        }
      },
      { maxBodyBytes: 1000 },
    );
    const port = (server.address() as AddressInfo).port;
    const chunk = "x".repeat(600);
    const reply = await raw(
      port,
      `POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(error).toBeInstanceOf(RequestTooLarge);
    expect((error as RequestTooLarge).limit).toBe(1000);
    expect(reported).toEqual([]);
  });

  test("a large body the handler did not read is not drained: the connection closes after the response", async () => {
    const server = await serve(() => new Response("ignored your upload"));
    const port = (server.address() as AddressInfo).port;
    const reply = await raw(
      port,
      `POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ${8 * 1024 * 1024}\r\n\r\n${"x".repeat(1024)}`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply).toMatch(/connection: close/i);
    expect(reply).toMatch(/ignored your upload$/);
  });

  test("a request target over maxUrlLength gets 414", async () => {
    const server = await serve(() => new Response("no"), { maxUrlLength: 100 });
    expect((await get(`${server.url}/${"a".repeat(200)}`)).status).toBe(414);
    expect((await get(`${server.url}/${"a".repeat(50)}`)).status).toBe(200);
  });

  test("headers over maxHeaderBytes get 431", async () => {
    const server = await serve(() => new Response("no"), { maxHeaderBytes: 2048 });
    const port = (server.address() as AddressInfo).port;
    const reply = await raw(
      port,
      `GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${"b".repeat(4096)}\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 431 /);
  });

  test("a client that never finishes its headers gets 408 (slowloris)", async () => {
    const server = await serve(() => new Response("no"), {
      headersTimeoutMs: 200,
      requestTimeoutMs: 400,
    });
    const port = (server.address() as AddressInfo).port;
    const reply = await raw(port, "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: 1\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
  });

  test("a server fed a GreenListener still enforces the header timeout", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    const server = await serveHttp(listener, () => new Response("no"), {
      headersTimeoutMs: 200,
      requestTimeoutMs: 400,
    });
    servers.push(server);
    const reply = await raw(
      (listener.address() as AddressInfo).port,
      "GET / HTTP/1.1\r\nHost: t\r\n",
    );
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
  });

  test("a body that does not arrive within requestTimeoutMs gets 408", async () => {
    const server = await serve(async (request) => new Response(await request.text()), {
      headersTimeoutMs: 200,
      requestTimeoutMs: 300,
    });
    const port = (server.address() as AddressInfo).port;
    const reply = await raw(
      port,
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part",
    );
    expect(reply).toMatch(/408 Request Timeout/);
  });
});

describe("serveHttp keeps connections alive", () => {
  test("requests on one connection reuse it, and an idle one is closed after keepAliveTimeoutMs", async () => {
    const sockets = new Set<number>();
    const server = await serve(
      (_request, info) => {
        sockets.add(info.remotePort);
        return new Response("ok");
      },
      { keepAliveTimeoutMs: 150 },
    );
    const port = (server.address() as AddressInfo).port;
    const socket = netConnect(port, "127.0.0.1");
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (c: string) => {
      received += c;
    });
    socket.write("GET /1 HTTP/1.1\r\nHost: t\r\n\r\nGET /2 HTTP/1.1\r\nHost: t\r\n\r\n");
    await closed;
    expect(received.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(sockets.size).toBe(1);
  });

  test("keepAlive: false answers with Connection: close", async () => {
    const server = await serve(() => new Response("ok"), { keepAlive: false });
    expect((await get(`${server.url}/`)).headers.connection).toBe("close");
  });
});

describe("serveHttp survives handler errors", () => {
  test("a thrown error gives 500 without the stack, is reported, and the server goes on", async () => {
    const server = await serve((request) => {
      if (request.url.endsWith("/boom")) throw new Error("kaboom");
      return new Response("still here");
    });
    const failed = await get(`${server.url}/boom`);
    expect(failed.status).toBe(500);
    expect(failed.text).toBe("Internal Server Error\n");
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe("kaboom");
    expect((await get(`${server.url}/`)).text).toBe("still here");
  });

  test("debug: true puts the stack in the 500 body; onError replaces the reporter", async () => {
    const errors: string[] = [];
    const server = await serve(
      async () => {
        await sleep(1);
        throw new Error("with details");
      },
      {
        debug: true,
        onError: (error, request) => errors.push(`${(error as Error).message} ${request.method}`),
      },
    );
    const failed = await get(`${server.url}/`);
    expect(failed.status).toBe(500);
    expect(failed.text).toContain("Error: with details\n    at ");
    expect(errors).toEqual(["with details GET"]);
    expect(reported).toEqual([]);
  });

  test("a handler that returns something other than a Response gets 500 naming it", async () => {
    const server = await serve(() => ({ status: 200, body: "nope" }) as never);
    expect((await get(`${server.url}/`)).status).toBe(500);
    expect(String(reported[0])).toMatch(/must return a Response, received an object/);
  });
});

describe("a client that disconnects kills its request's thread", () => {
  test("the handler's thread is killed and its upstream request is aborted", async () => {
    let upstreamClosed = false;
    let upstreamStarted = false;
    const upstream = createHttpServer((_req: IncomingMessage, res) => {
      upstreamStarted = true;
      res.on("close", () => {
        upstreamClosed = true;
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const client = new HttpClient();
    let ending: unknown = null;
    try {
      const server = await serve(async () => {
        try {
          const response = await client.urlopen(
            `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`,
          );
          return new Response(await response.text());
        } catch (error) {
          ending = error;
          throw error;
        }
      });
      const controller = new AbortController();
      const pending = agent
        .request({ origin: server.url, path: "/", method: "GET", signal: controller.signal })
        .catch(() => null);
      await waitFor(() => upstreamStarted, "the upstream request");
      controller.abort();
      await pending;
      await waitFor(() => upstreamClosed, "the upstream request to be aborted");
      await waitFor(() => ending !== null, "the handler to unwind");
      expect(ending).toBeInstanceOf(GreenThreadExit);
      expect(reported).toEqual([]);
    } finally {
      await client.close({ graceMs: 0 });
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});

describe("serveHttp bounds concurrency with maxConnections", () => {
  test("requests beyond it wait in line; beyond maxQueued they get 503", async () => {
    const gate = new Event<void>();
    let running = 0;
    let maxRunning = 0;
    const server = await serve(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await gate.wait();
        running--;
        return new Response("done");
      },
      { maxConnections: 2, maxQueued: 1 },
    );
    const first = [get(`${server.url}/1`), get(`${server.url}/2`), get(`${server.url}/3`)];
    await waitFor(
      () => server.running() === 2 && server.waiting() === 1,
      "two running and one waiting",
    );
    const rejected = await get(`${server.url}/4`);
    expect(rejected.status).toBe(503);
    expect(rejected.headers["retry-after"]).toBe("1");
    gate.send();
    for (const r of await Promise.all(first)) expect(r.text).toBe("done");
    expect(maxRunning).toBe(2);
  });
});

describe("close()", () => {
  test("stops accepting, lets in-flight requests finish with Connection: close, and resolves when drained", async () => {
    const release = new Event<void>();
    const server = await serve(async (request) => {
      if (request.url.endsWith("/slow")) await release.wait();
      return new Response("finished");
    });
    const port = (server.address() as AddressInfo).port;
    await get(`${server.url}/warm`); // leaves an idle keep-alive connection
    const inFlight = get(`${server.url}/slow`);
    await waitFor(() => server.running() === 1, "the slow request to start");
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await sleep(20);
    expect(closed).toBe(false);
    await expect(
      new Promise((resolve, reject) => {
        const s: Socket = netConnect(port, "127.0.0.1");
        s.on("connect", () => {
          s.destroy();
          resolve("connected");
        });
        s.on("error", reject);
      }),
    ).rejects.toMatchObject({ code: "ECONNREFUSED" });
    release.send();
    const response = await inFlight;
    expect(response.text).toBe("finished");
    expect(response.headers.connection).toBe("close");
    await closing;
    expect(closed).toBe(true);
  });

  test("with graceMs, requests still running after the grace period are cut and their threads killed", async () => {
    let ended: unknown = null;
    const server = await serve(async () => {
      try {
        await sleep(60_000);
        return new Response("never");
      } catch (error) {
        ended = error;
        throw error;
      }
    });
    const pending = get(`${server.url}/`).catch((error: unknown) => error);
    await waitFor(() => server.running() === 1, "the request to start");
    await server.close({ graceMs: 50 });
    expect(await pending).toBeInstanceOf(Error);
    await waitFor(() => ended !== null, "the handler to be killed");
    expect(ended).toBeInstanceOf(GreenThreadExit);
  });

  test("await using closes the server", async () => {
    let port = 0;
    {
      await using server = await serveHttp({ host: "127.0.0.1", port: 0 }, () => new Response("x"));
      port = (server.address() as AddressInfo).port;
    }
    await expect(raw(port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", { ms: 1000 })).resolves.toBe("");
  });
});

describe("the access log", () => {
  test("writes one Combined Log Format line per request to a function", async () => {
    const lines: string[] = [];
    const entries: AccessLogEntry[] = [];
    const server = await serve(() => new Response("logged"), {
      accessLog: (line, entry) => {
        lines.push(line);
        entries.push(entry);
      },
    });
    await get(`${server.url}/page?q=1`, {
      headers: { "user-agent": 'curl "quoted"', referer: "http://ref/" },
    });
    await waitFor(() => lines.length === 1, "the log line");
    expect(lines[0]).toMatch(
      /^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET \/page\?q=1 HTTP\/1\.1" 200 6 "http:\/\/ref\/" "curl \\x22quoted\\x22"$/,
    );
    expect(entries[0]?.status).toBe(200);
    expect(entries[0]?.bytes).toBe(6);
  });

  test("the common format, a writable sink, and rejected requests are logged too", async () => {
    const written: string[] = [];
    const server = await serve(() => new Response("x"), {
      accessLog: { write: (line: string) => written.push(line) },
      accessLogFormat: "common",
      maxUrlLength: 10,
    });
    await get(`${server.url}/this-is-too-long`);
    await waitFor(() => written.length === 1, "the log line");
    expect(written[0]).toMatch(/"GET \/this-is-too-long HTTP\/1\.1" 414 \d+\n$/);
  });

  test("formatAccessLog renders an entry", () => {
    const line = formatAccessLog(
      {
        remoteAddress: "10.0.0.1",
        time: new Date(2026, 10, 22, 10, 0, 0),
        requestLine: "GET / HTTP/1.1",
        status: 304,
        bytes: 0,
        referer: undefined,
        userAgent: undefined,
        durationMs: 1,
      },
      "combined",
    );
    expect(line).toMatch(
      /^10\.0\.0\.1 - - \[22\/Nov\/2026:10:00:00 [+-]\d{4}\] "GET \/ HTTP\/1\.1" 304 - "-" "-"$/,
    );
  });
});

describe("serveHttp listens where it is told", () => {
  test("[host, port], a GreenListener, a listening net.Server, an http.Server, and a Unix socket", async () => {
    const handler = (request: Request) => new Response(new URL(request.url).pathname);
    const tuple = await serveHttp(["127.0.0.1", 0], handler);
    servers.push(tuple);
    expect((await get(`${tuple.url}/tuple`)).text).toBe("/tuple");

    const listener = await listen(["127.0.0.1", 0]);
    const green = await serveHttp(listener, handler);
    servers.push(green);
    expect((await get(`${green.url}/green`)).text).toBe("/green");

    const net = createNetServer();
    await new Promise<void>((resolve) => net.listen(0, "127.0.0.1", resolve));
    const taken = await serveHttp(net, handler);
    servers.push(taken);
    expect((await get(`${taken.url}/net`)).text).toBe("/net");

    const http = createHttpServer();
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const adopted = await serveHttp(http, handler);
    servers.push(adopted);
    expect(adopted.server).toBe(http);
    expect((await get(`${adopted.url}/http`)).text).toBe("/http");

    const dir = mkdtempSync(join(tmpdir(), "tendril-http-"));
    try {
      const path = join(dir, "http.sock");
      const unix = await serveHttp({ path }, handler);
      servers.push(unix);
      const unixAgent = new Agent({ connect: { socketPath: path } });
      try {
        const { body } = await unixAgent.request({
          origin: "http://localhost",
          path: "/unix",
          method: "GET",
        });
        expect(await body.text()).toBe("/unix");
      } finally {
        await unixAgent.close();
      }
    } finally {
      for (const s of servers.splice(0)) await s.close({ graceMs: 0 });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("invalid arguments are refused with the value named", async () => {
    await expect(serveHttp({ port: 0 }, "handler" as never)).rejects.toThrow(
      /handler must be a function, received "handler"/,
    );
    await expect(
      serveHttp({ port: 0 }, () => new Response(""), { maxBodyBytes: -1 }),
    ).rejects.toThrow(/maxBodyBytes must be an integer >= 0, received -1/);
    await expect(serveHttp(true as never, () => new Response(""))).rejects.toThrow(TypeError);
  });
});

// CI installs Debian's curl when it is missing (.ci/run); without it these are skipped.
describe.skipIf(!hasCurl())("curl against serveHttp", () => {
  test("GET, POST with a body, and two URLs over one reused connection", async () => {
    const server = await serve(
      async (request) =>
        new Response(
          request.method === "POST"
            ? `posted ${await request.text()}`
            : `got ${new URL(request.url).pathname}`,
        ),
    );
    expect((await curl([`${server.url}/a`])).stdout).toBe("got /a");
    expect((await curl(["--data-binary", "hello curl", `${server.url}/p`])).stdout).toBe(
      "posted hello curl",
    );
    const both = await curl(["-v", `${server.url}/one`, `${server.url}/two`]);
    expect(both.stdout).toBe("got /onegot /two");
    expect(both.stderr).toMatch(/Re-using existing connection/);
  });

  test("Expect: 100-continue is answered when the handler reads the body", async () => {
    const server = await serve(
      async (request) => new Response(`read ${(await request.bytes()).byteLength}`),
    );
    const result = await curl([
      "-v",
      "-H",
      "Expect: 100-continue",
      "--data-binary",
      "x".repeat(5000),
      `${server.url}/`,
    ]);
    expect(result.stderr).toMatch(/HTTP\/1\.1 100 Continue/);
    expect(result.stdout).toBe("read 5000");
  });

  test("Expect: 100-continue over maxBodyBytes gets 413 and no 100", async () => {
    const server = await serve(() => new Response("never"), { maxBodyBytes: 100 });
    const result = await curl([
      "-v",
      "-H",
      "Expect: 100-continue",
      "--data-binary",
      "x".repeat(5000),
      `${server.url}/`,
    ]);
    expect(result.stderr).not.toMatch(/100 Continue/);
    expect(result.stderr).toMatch(/HTTP\/1\.1 413/);
  });
});
