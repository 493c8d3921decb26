// serveHttp and malformed requests: Node's parser rejects them, the client gets a 4xx or a
// closed connection, the handler never sees them, nothing crashes, and the server goes on.
import type { AddressInfo } from "node:net";
import { connect as netConnect } from "node:net";
import { setErrorReporter } from "@tendril/core";
import { type HttpServer, Response, serveHttp } from "@tendril/green-net";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";

let server: HttpServer;
let port: number;
let handled = 0;
const reported: unknown[] = [];
let restoreReporter: () => void;

beforeAll(async () => {
  const previous = setErrorReporter((error) => {
    reported.push(error);
  });
  restoreReporter = () => setErrorReporter(previous);
  server = await serveHttp(
    { host: "127.0.0.1", port: 0 },
    async (request) => {
      handled++;
      const body = request.method === "POST" ? await request.text() : "";
      return new Response(`ok ${body.length}`);
    },
    { maxHeaderBytes: 8192, headersTimeoutMs: 2000, requestTimeoutMs: 3000 },
  );
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await server.close({ graceMs: 0 });
  restoreReporter();
});

beforeEach(() => {
  handled = 0;
});

afterEach(async () => {
  // Whatever came before, the server still answers a well-formed request.
  const reply = await send("GET /after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*ok 0$/);
  expect(reported).toEqual([]);
});

/**
 * Sends raw bytes on a fresh connection (and, with `end`, half-closes it); resolves with all
 * the server sent before closing.
 */
function send(data: string | Buffer, ms = 5000, end = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, "127.0.0.1");
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `the server neither answered nor closed within ${ms} ms; got ${JSON.stringify(received)}`,
        ),
      );
    }, ms);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    if (end) socket.end(data);
    else socket.write(data);
  });
}

const statusOf = (reply: string): number => Number(/^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1] ?? 0);

describe("bad framing gets 400 and the connection is closed", () => {
  const cases: Array<[string, string]> = [
    ["a request line that is not HTTP", "GARBAGE\r\n\r\n"],
    ["an unknown HTTP version", "GET / HTTP/9.9\r\nHost: t\r\n\r\n"],
    ["a space in the request target", "GET /a b HTTP/1.1\r\nHost: t\r\n\r\n"],
    ["a header line without a colon", "GET / HTTP/1.1\r\nHost: t\r\nNoColonHere\r\n\r\n"],
    ["a space before the header colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n"],
    ["a NUL byte in a header value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u0000b\r\n\r\n"],
    [
      "both Content-Length and Transfer-Encoding",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
    [
      "two different Content-Lengths",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    ],
    ["a negative Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n"],
    [
      "a Content-Length that is not a number",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: five\r\n\r\n",
    ],
    [
      "a Transfer-Encoding other than chunked last",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    ],
    ["an HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
  ];
  for (const [what, request] of cases) {
    test(what, async () => {
      const reply = await send(request);
      expect(statusOf(reply)).toBe(400);
      expect(reply).toMatch(/Connection: close/i);
      expect(handled).toBe(0);
    });
  }
});

describe("bodies that break the chunked framing", () => {
  test("an invalid chunk size ends the request without a crash", async () => {
    const reply = await send(
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    );
    expect([0, 400]).toContain(statusOf(reply));
    expect(reply).not.toMatch(/ 200 OK/);
  });

  test("a chunk longer than its declared size ends the request without a crash", async () => {
    const reply = await send(
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
    );
    expect([0, 400]).toContain(statusOf(reply));
  });

  test("a well-formed chunked body is read", async () => {
    const reply = await send(
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    );
    expect(statusOf(reply)).toBe(200);
    expect(reply).toMatch(/ok 11$/);
  });
});

describe("oversize and smuggling attempts", () => {
  test("headers over maxHeaderBytes get 431", async () => {
    const reply = await send(`GET / HTTP/1.1\r\nHost: t\r\nX-Big: ${"x".repeat(10_000)}\r\n\r\n`);
    expect(statusOf(reply)).toBe(431);
    expect(handled).toBe(0);
  });

  test("many small headers over maxHeaderBytes get 431", async () => {
    const headers = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${"v".repeat(20)}\r\n`).join(
      "",
    );
    const reply = await send(`GET / HTTP/1.1\r\nHost: t\r\n${headers}\r\n`);
    expect(statusOf(reply)).toBe(431);
  });

  test("a smuggled second request after a bad one is never handled", async () => {
    const reply = await send(
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    expect(statusOf(reply)).toBe(400);
    expect(reply.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(handled).toBe(0);
  });

  test("a valid request followed by garbage on the same connection: the first is answered, the rest refused", async () => {
    const reply = await send("GET /first HTTP/1.1\r\nHost: t\r\n\r\nNOT HTTP AT ALL\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(reply).toMatch(/HTTP\/1\.1 400 Bad Request/);
    expect(handled).toBe(1);
  });
});

describe("random bytes", () => {
  test("never crash the server, and never reach the handler as a request it could not parse", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        const data = Buffer.concat([Buffer.from(bytes), Buffer.from("\r\n\r\n")]);
        const reply = await send(data, 5000, true);
        const status = statusOf(reply);
        expect(status === 0 || (status >= 400 && status < 500)).toBe(true);
      }),
      { numRuns: 60 },
    );
  }, 30_000);

  test("mutations of a valid request are answered or refused, never crash", async () => {
    const valid =
      "POST /path HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: valid.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        async (at, byte) => {
          const data = Buffer.from(valid, "latin1");
          data[at] = byte;
          const reply = await send(data, 5000, true);
          const status = statusOf(reply);
          expect(status === 0 || status === 200 || (status >= 400 && status < 500)).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
  }, 30_000);
});
