// serveHttp regressions from a hostile probe (issue 17): each defect is reproduced through the
// public entry over raw loopback sockets, so nothing tidies up what is sent or received.
import type { AddressInfo } from "node:net";
import { setErrorReporter, sleep } from "@tendril/core";
import { type HttpServer, Response, type ServeHttpOptions, serveHttp } from "@tendril/green-net";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";
import { bodyPieces, chunked, head, rawExchange, statusLines } from "./helpers/raw-http.js";

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
  options: ServeHttpOptions = {},
): Promise<{ server: HttpServer; port: number }> {
  const server = await serveHttp({ host: "127.0.0.1", port: 0 }, handler, options);
  servers.push(server);
  return { server, port: (server.address() as AddressInfo).port };
}

const GET = (path: string, host = "127.0.0.1"): string =>
  head(`GET ${path} HTTP/1.1`, [
    ["Host", host],
    ["Connection", "close"],
  ]);

describe("a handler that stops reading the request body (issue 17, item 1)", () => {
  const LIMIT = 64 * 1024;
  // Reads at most LIMIT bytes the way the feed scraper does, then gives up on the rest.
  // Before the fix the stream's 'data' listener stayed on the socket and the next chunk's
  // enqueue on the cancelled stream threw ERR_INVALID_STATE outside any thread.
  const stopAtLimit = (how: "break" | "cancel") => async (request: Request) => {
    let total = 0;
    const body = request.body as ReadableStream<Uint8Array>;
    if (how === "break") {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > LIMIT) break;
      }
    } else {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > LIMIT) {
          await reader.cancel();
          break;
        }
      }
    }
    // It goes on working (say, with the part it read) while the client is still sending.
    await sleep(30);
    return new Response(total > LIMIT ? "too large\n" : `read ${total}\n`, {
      status: total > LIMIT ? 413 : 200,
    });
  };

  for (const how of ["break", "cancel"] as const) {
    for (const framing of ["content-length", "chunked"] as const) {
      test(`${how} on a ${framing} POST of 1 MiB: a 413, the server keeps serving`, async () => {
        const { port } = await serve(stopAtLimit(how));
        const pieces = bodyPieces(1024 * 1024, 64);
        const framingHeader: [string, string] =
          framing === "chunked"
            ? ["Transfer-Encoding", "chunked"]
            : ["Content-Length", String(1024 * 1024)];
        const request = head("POST /scrape HTTP/1.1", [["Host", "127.0.0.1"], framingHeader]);
        const result = await rawExchange(port, [
          request,
          ...(framing === "chunked" ? chunked(pieces) : pieces),
        ]);
        expect(statusLines(result.received)).toEqual(["HTTP/1.1 413 Payload Too Large"]);
        expect(result.received).toMatch(/\r\nconnection: close\r\n/i);
        // Later chunks arrived after the stream was cancelled; the server is still here.
        const again = await rawExchange(port, [
          head("POST /small HTTP/1.1", [
            ["Host", "127.0.0.1"],
            ["Content-Length", "5"],
            ["Connection", "close"],
          ]),
          "hello",
        ]);
        expect(statusLines(again.received)).toEqual(["HTTP/1.1 200 OK"]);
        expect(again.received.endsWith("read 5\n")).toBe(true);
        expect(reported).toEqual([]);
      });
    }
  }
});

describe("the Host header never changes the URL's path or userinfo (issue 17, item 2)", () => {
  // Answers with what a handler would route on: the pathname, userinfo and host of its URL.
  const echoUrl = (request: Request) => {
    const url = new URL(request.url);
    return new Response(
      JSON.stringify({
        path: url.pathname,
        user: url.username,
        host: url.host,
        header: request.headers.get("host"),
      }),
    );
  };
  const answer = (received: string) => {
    const body = received.slice(received.indexOf("\r\n\r\n") + 4);
    return body.startsWith("{") ? JSON.parse(body) : body;
  };

  test.each([
    ["x/admin#", "a path and a fragment"],
    ["x/admin", "a path"],
    ["x?admin", "a query"],
    ["admin:secret@x", "userinfo"],
    ["@x", "an empty userinfo"],
    ["x:99999", "a port over 65535"],
    ["x:80:80", "two ports"],
    ["x y", "a space"],
    ["x\\admin", "a backslash"],
    ["[zz::1]", "a bad IP literal"],
    ["1.2.3.999", "a bad IPv4 address"],
    ["exa%41mple", "percent-encoding"],
  ])("Host: %s (%s) gets a 400 and never reaches the handler", async (host) => {
    let reached = 0;
    const { port } = await serve((request) => {
      reached++;
      return echoUrl(request);
    });
    const result = await rawExchange(port, [GET("/public", host)]);
    expect(statusLines(result.received)).toEqual(["HTTP/1.1 400 Bad Request"]);
    expect(result.received).toContain("invalid Host header");
    expect(reached).toBe(0);
  });

  test("a valid Host (name, port, IP literal) is the URL's host, and the path stays", async () => {
    const { port } = await serve(echoUrl);
    for (const [host, expected] of [
      ["example.com:8080", "example.com:8080"],
      ["[::1]:9000", "[::1]:9000"],
      ["EXAMPLE.com", "example.com"],
      ["under_score.internal", "under_score.internal"],
    ] as const) {
      const result = await rawExchange(port, [GET("/public?q=1", host)]);
      expect(statusLines(result.received)).toEqual(["HTTP/1.1 200 OK"]);
      expect(answer(result.received)).toEqual({
        path: "/public",
        user: "",
        host: expected,
        header: host,
      });
    }
  });

  test("duplicate Host lines: the URL takes the first, the headers the joined value", async () => {
    const { port } = await serve(echoUrl);
    const twice = head("GET /public HTTP/1.1", [
      ["Host", "first.example"],
      ["Host", "second.example"],
      ["Connection", "close"],
    ]);
    expect(answer((await rawExchange(port, [twice])).received)).toEqual({
      path: "/public",
      user: "",
      host: "first.example",
      header: "first.example, second.example",
    });
    const badSecond = head("GET /public HTTP/1.1", [
      ["Host", "first.example"],
      ["Host", "x/admin#"],
      ["Connection", "close"],
    ]);
    expect(statusLines((await rawExchange(port, [badSecond])).received)).toEqual([
      "HTTP/1.1 400 Bad Request",
    ]);
  });

  test("an absolute-form target with userinfo or a bad port gets a 400", async () => {
    const { port } = await serve(echoUrl);
    for (const target of ["http://admin:secret@x/public", "http://x:99999/public"]) {
      const result = await rawExchange(port, [GET(target, "x")]);
      expect(statusLines(result.received)).toEqual(["HTTP/1.1 400 Bad Request"]);
    }
    const good = await rawExchange(port, [GET("http://proxy.example/public", "x")]);
    expect(answer(good.received)).toMatchObject({ path: "/public", host: "proxy.example" });
  });

  test("HTTP/1.0 without Host: the URL names the address the request arrived on", async () => {
    const { port } = await serve(echoUrl);
    const result = await rawExchange(port, ["GET /public HTTP/1.0\r\n\r\n"]);
    expect(answer(result.received)).toEqual({
      path: "/public",
      user: "",
      host: `127.0.0.1:${port}`,
      header: null,
    });
  });
});

describe("a response Node refuses to write gets a clean 500 (issue 17, item 3)", () => {
  const bad: ReadonlyArray<readonly [string, () => Response]> = [
    ["CR/LF in statusText", () => new Response("x", { statusText: "OK\r\nX-Injected: 1" })],
    [
      "CR/LF in a header value",
      () => new Response("x", { headers: { "x-a": "1\r\nX-Injected: 1" } }),
    ],
    ["a header name with a space", () => new Response("x", { headers: [["x injected", "1"]] })],
    [
      "CR/LF in a streamed response's statusText",
      () => new Response(new ReadableStream(), { status: 202, statusText: "A\nX-Injected: 1" }),
    ],
  ];

  test.each(bad)("%s: 500 Internal Server Error, the slot is released", async (_, make) => {
    const { server, port } = await serve(
      (request) => (new URL(request.url).pathname === "/good" ? new Response("fine") : make()),
      { maxConnections: 2 },
    );
    // More bad requests than slots: each must give its slot back.
    for (let i = 0; i < 5; i++) {
      const result = await rawExchange(port, [GET("/bad")]);
      expect(statusLines(result.received)).toEqual(["HTTP/1.1 500 Internal Server Error"]);
      expect(result.received).not.toMatch(/\r\nX-Injected/i);
      expect(result.received.endsWith("Internal Server Error\n")).toBe(true);
    }
    const after = await rawExchange(port, [GET("/good")]);
    expect(after.received.endsWith("fine")).toBe(true);
    expect(server.running()).toBe(0);
    expect(reported).toHaveLength(5);
    expect((reported[0] as { code?: string }).code).toMatch(/^ERR_INVALID_(CHAR|HTTP_TOKEN)$/);
  });
});
