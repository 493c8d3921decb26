// The HTTP server under hostile input, misbehaving handlers and slow clients (issue 13, HTTP
// server sections): every input gets a correct 4xx or a clean close, well-formed clients keep
// being served meanwhile, and the counts are printed. Bounded in count and time; loopback only.
import type { AddressInfo, Socket } from "node:net";
import { connect as netConnect } from "node:net";
import { fileURLToPath } from "node:url";
import { Event, setErrorReporter } from "@tendril/core";
import {
  type HttpServer,
  Response,
  type ServeHttpOptions,
  type ServerRequest,
  serveHttp,
} from "@tendril/green-net";
import { FigureSection } from "@tendril/test-servers";
import fc from "fast-check";
import { afterAll, afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { expectNoLeaks, leakBaseline } from "../helpers/net.js";
import { head, rawExchange, statusLines } from "../helpers/raw-http.js";

// Bounded by count, not by time; on a busy shared machine a step may take a few seconds.
vi.setConfig({ testTimeout: 30_000 });

// The figures go to docs/pages/reliability.md (apps/reliability/scripts/report.mjs).
const section = new FigureSection(
  "http-server",
  "The HTTP server: hostile input, slow clients, shutdown",
  fileURLToPath(new URL(".results", import.meta.url)),
);
afterAll(() => section.write());

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

// Reads the whole body and says what it got: a handler that trusts the server's framing.
const echoLength = async (request: ServerRequest) =>
  new Response(`${request.method} ${(await request.bytes()).byteLength}`);

const WELL_FORMED = head("GET /ok HTTP/1.1", [
  ["Host", "127.0.0.1"],
  ["Connection", "close"],
]);

async function stillServing(port: number, ms = 5000): Promise<void> {
  const { received } = await rawExchange(port, [WELL_FORMED], { ms });
  expect(statusLines(received)).toEqual(["HTTP/1.1 200 OK"]);
  expect(received.endsWith("GET 0")).toBe(true);
}

const H = "Host: x\r\n";
/** Slowloris connections held at once (issue 13's figure). */
const SLOWLORIS = 1000;
const OK = "HTTP/1.1 200 OK";
const BAD = "HTTP/1.1 400 Bad Request";

// Each input with the status lines it must get before the server closes the connection.
const CORPUS: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ["a request line that is not one", "GARBAGE\r\n\r\n", [BAD]],
  ["an unknown method", `FOO / HTTP/1.1\r\n${H}\r\n`, [BAD]],
  ["a 5000-byte method", `${"A".repeat(5000)} / HTTP/1.1\r\n${H}\r\n`, [BAD]],
  ["a space in the target", `GET /a b HTTP/1.1\r\n${H}\r\n`, [BAD]],
  ["a NUL in the target", `GET /\x00 HTTP/1.1\r\n${H}\r\n`, [BAD]],
  ["invalid UTF-8 in the target", `GET /\xff\xfe HTTP/1.1\r\n${H}\r\n`, [BAD]],
  ["HTTP/9.9", `GET / HTTP/9.9\r\n${H}\r\n`, [BAD]],
  ["bare LF line endings", "GET / HTTP/1.1\nHost: x\n\n", [BAD]],
  ["a header name with a space", `GET / HTTP/1.1\r\n${H}Bad Header: x\r\n\r\n`, [BAD]],
  ["a space before the colon", `GET / HTTP/1.1\r\n${H}X-A : 1\r\n\r\n`, [BAD]],
  ["a header line without a colon", `GET / HTTP/1.1\r\n${H}NoColon\r\n\r\n`, [BAD]],
  ["a NUL in a header value", `GET / HTTP/1.1\r\n${H}X-N: a\x00b\r\n\r\n`, [BAD]],
  ["obs-fold", `GET / HTTP/1.1\r\n${H}X-A: 1\r\n  folded\r\n\r\n`, [BAD]],
  [
    "Content-Length with Transfer-Encoding",
    `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    [BAD],
  ],
  [
    "two different Content-Lengths",
    `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`,
    [BAD],
  ],
  ["a negative Content-Length", `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, [BAD]],
  ["Content-Length: +5", `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello`, [BAD]],
  [
    "Transfer-Encoding not ending in chunked",
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`,
    [BAD],
  ],
  [
    "an unknown Transfer-Encoding",
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`,
    [BAD],
  ],
  [
    "a chunk size that is not hex",
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
    [BAD],
  ],
  [
    "a NUL in a chunk extension",
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;a\x00b\r\nhello\r\n0\r\n\r\n`,
    [BAD],
  ],
  [
    "a chunk size that overflows",
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n`,
    [BAD],
  ],
  [
    "a chunk without its CRLF",
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX0\r\n\r\n`,
    [BAD],
  ],
  [
    "a 20 KiB header",
    `GET / HTTP/1.1\r\n${H}X-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    ["HTTP/1.1 431 Request Header Fields Too Large"],
  ],
  [
    "3000 headers",
    `GET / HTTP/1.1\r\n${H}${Array.from({ length: 3000 }, (_, i) => `X-${i}: v\r\n`).join("")}\r\n`,
    ["HTTP/1.1 431 Request Header Fields Too Large"],
  ],
  [
    "a 10 000-byte URL",
    `GET /${"a".repeat(10_000)} HTTP/1.1\r\n${H}\r\n`,
    ["HTTP/1.1 414 URI Too Long"],
  ],
  [
    "a declared 20 MB body",
    `POST / HTTP/1.1\r\n${H}Content-Length: 20000000\r\n\r\n`,
    ["HTTP/1.1 413 Payload Too Large"],
  ],
  [
    "a declared 1 GB body never sent",
    `POST / HTTP/1.1\r\n${H}Content-Length: 1073741824\r\n\r\nabc`,
    ["HTTP/1.1 413 Payload Too Large"],
  ],
  ["HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", [BAD]],
  ["a Host with a path", "GET / HTTP/1.1\r\nHost: x/admin\r\n\r\n", [BAD]],
  ["a Host with userinfo", "GET / HTTP/1.1\r\nHost: a:b@x\r\n\r\n", [BAD]],
  ["an absolute target with userinfo", `GET http://a:b@x/ HTTP/1.1\r\n${H}\r\n`, [BAD]],
  [
    "an unknown expectation",
    `POST / HTTP/1.1\r\n${H}Expect: 100-nonsense\r\nContent-Length: 1\r\n\r\nx`,
    ["HTTP/1.1 417 Expectation Failed"],
  ],
  [
    "pipelined garbage after a good request",
    `GET / HTTP/1.1\r\n${H}\r\nGARBAGE\r\n\r\n`,
    [OK, BAD],
  ],
  ["CONNECT (not served: closed)", `CONNECT x:443 HTTP/1.1\r\n${H}\r\n`, []],
  // Well-formed, if unusual: served.
  ["HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", [OK]],
  ["empty lines before the request line", `\r\n\r\nGET / HTTP/1.1\r\n${H}\r\n`, [OK]],
  [
    "obs-text (bytes over 0x7f) in a header value",
    `GET / HTTP/1.1\r\n${H}X-U: \xff\xfe\r\n\r\n`,
    [OK],
  ],
];

describe("hostile input: each gets a correct 4xx or a clean close", () => {
  test(`a corpus of ${CORPUS.length} malformed or abusive requests`, async () => {
    const { port } = await serve(echoLength);
    for (const [what, data, expected] of CORPUS) {
      const { received, closed } = await rawExchange(port, [data], { endAfter: true });
      expect(statusLines(received), what).toEqual(expected);
      expect(closed, what).toBe(true);
    }
    await stillServing(port);
    expect(reported).toEqual([]);
    console.log(`hostile corpus: ${CORPUS.length} inputs tried, 0 crashes, 0 5xx`);
    section.record(
      "a corpus of malformed or abusive requests: each a correct 4xx or a clean close",
      {
        inputsTried: CORPUS.length,
        answeredAsExpected: CORPUS.length,
        crashes: 0,
        status5xx: 0,
        errorsReported: reported.length,
        wellFormedClientServedAfter: true,
      },
    );
  });

  test("generated requests: never a 5xx or a hang, and well-formed clients are served throughout", async () => {
    const { port } = await serve(echoLength, { maxBodyBytes: 4096, maxUrlLength: 512 });
    const byte = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
    const bytes = (maxLength: number) => fc.string({ unit: byte, maxLength });
    const token = fc.string({
      unit: fc.constantFrom(
        ..."!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      ),
      minLength: 1,
      maxLength: 12,
    });
    const length = fc.oneof(
      fc.nat(6000).map(String),
      fc.constantFrom("-1", "+3", "0x10", "1e3", "", "3, 4"),
    );
    const header = fc.oneof(
      fc.tuple(
        fc.constant("Host"),
        fc.oneof(fc.constantFrom("x", "127.0.0.1:80", "[::1]"), bytes(20)),
      ),
      fc.tuple(fc.constant("Content-Length"), length),
      fc.tuple(
        fc.constant("Transfer-Encoding"),
        fc.constantFrom("chunked", "gzip, chunked", "chunked, gzip", "identity", ""),
      ),
      fc.tuple(fc.constant("Expect"), fc.constantFrom("100-continue", "nothing")),
      fc.tuple(token, bytes(30)),
      fc.tuple(bytes(10), bytes(10)),
    );
    // Mostly well-formed parts with a few hostile ones, so inputs reach every layer: the
    // parser, the server's own checks, and the handler reading a body.
    const pathChar = fc.constantFrom(..."abcxyz0123456789-._~/%?=&");
    const request = fc
      .record({
        method: fc.oneof(
          {
            weight: 6,
            arbitrary: fc.constantFrom("GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS"),
          },
          { weight: 1, arbitrary: token },
        ),
        target: fc.oneof(
          {
            weight: 6,
            arbitrary: fc.string({ unit: pathChar, maxLength: 30 }).map((s) => `/${s}`),
          },
          { weight: 1, arbitrary: bytes(40).map((s) => `/${s}`) },
          { weight: 1, arbitrary: fc.constantFrom("*", "http://x/y", "x", "//x") },
        ),
        version: fc.oneof(
          { weight: 6, arbitrary: fc.constant("HTTP/1.1") },
          {
            weight: 1,
            arbitrary: fc.constantFrom("HTTP/1.0", "HTTP/1.x", "HTTP/2.0", "HTTP/1.1 ", ""),
          },
        ),
        host: fc.oneof(
          { weight: 6, arbitrary: fc.constant([["Host", "127.0.0.1"]] as [string, string][]) },
          { weight: 1, arbitrary: fc.constant([] as [string, string][]) },
        ),
        headers: fc.array(header, { maxLength: 4 }),
        eol: fc.oneof(
          { weight: 8, arbitrary: fc.constant("\r\n") },
          { weight: 1, arbitrary: fc.constantFrom("\n", "\r") },
        ),
        body: bytes(200),
      })
      .map(({ method, target, version, host, headers, eol, body }) => {
        const lines = [
          `${method} ${target} ${version}`,
          ...[...host, ...headers].map(([n, v]) => `${n}: ${v}`),
        ];
        return `${lines.join(eol)}${eol}${eol}${body}`;
      });
    let tried = 0;
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async (data) => {
        tried++;
        const { received, closed } = await rawExchange(port, [data], { endAfter: true, ms: 3000 });
        expect(closed).toBe(true); // the server ends every exchange; nothing hangs
        for (const line of statusLines(received)) {
          const code = line.slice(9, 12);
          statuses.set(code, (statuses.get(code) ?? 0) + 1);
          expect(code).toMatch(/^(1|2|4)\d\d$/);
        }
        if (tried % 50 === 0) await stillServing(port);
      }),
      { numRuns: 300, seed: 1317 },
    );
    await stillServing(port);
    expect(reported).toEqual([]);
    const summary = [...statuses]
      .sort()
      .map(([code, n]) => `${code}×${n}`)
      .join(" ");
    console.log(`generated inputs: ${tried} tried, 0 crashes, 0 5xx; statuses ${summary}`);
    section.record("generated requests (fast-check, seed 1317): never a 5xx or a hang", {
      inputsTried: tried,
      crashes: 0,
      status5xx: 0,
      hangs: 0,
      statuses: summary,
      wellFormedClientChecks: Math.floor(tried / 50) + 1,
    });
  });
});

describe("a misbehaving handler yields a 500, never a crash or an injection", () => {
  const misbehaving: Record<string, (request: Request) => unknown> = {
    "/crlf-header": () => new Response("x", { headers: { "x-a": "1\r\nSet-Cookie: injected=1" } }),
    "/crlf-status": () => new Response("x", { statusText: "OK\r\nSet-Cookie: injected=1" }),
    "/not-a-response": () => ({ status: 200, body: "plain object" }),
    "/undefined": () => undefined,
    "/throws": () => {
      throw new Error("handler failed");
    },
    "/rejects": async () => {
      throw new TypeError("async handler failed");
    },
    "/stream-errors": () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            controller.error(new Error("stream failed"));
          },
        }),
      ),
  };

  test("each in turn, with two slots: every one is a clean 500 and the server keeps serving", async () => {
    const { server, port } = await serve(
      (request) => {
        const path = new URL(request.url).pathname;
        const behave = misbehaving[path];
        return (behave === undefined ? echoLength(request) : behave(request)) as Response;
      },
      { maxConnections: 2 },
    );
    for (const path of Object.keys(misbehaving)) {
      for (let i = 0; i < 3; i++) {
        const { received } = await rawExchange(port, [
          head(`GET ${path} HTTP/1.1`, [
            ["Host", "127.0.0.1"],
            ["Connection", "close"],
          ]),
        ]);
        const lines = statusLines(received);
        expect(received, path).not.toMatch(/\r\nset-cookie: injected/i);
        // A stream that fails after the head was sent can only be cut off.
        if (path === "/stream-errors") expect(lines.length).toBeLessThanOrEqual(1);
        else expect(lines, path).toEqual(["HTTP/1.1 500 Internal Server Error"]);
      }
    }
    await stillServing(port);
    expect(server.running()).toBe(0);
    expect(reported).toHaveLength(Object.keys(misbehaving).length * 3);
    console.log(
      `misbehaving handlers: ${Object.keys(misbehaving).length * 3} requests, all answered 500 or cut, 0 injections`,
    );
    section.record(
      "misbehaving handlers (CR/LF headers, non-Response, throw, reject, failing stream)",
      {
        requests: Object.keys(misbehaving).length * 3,
        answered500OrCut: Object.keys(misbehaving).length * 3,
        headerInjections: 0,
        crashes: 0,
        slotsHeldAfter: server.running(),
      },
    );
  });

  test("a handler that never settles holds only its own request; the client that gives up frees it", async () => {
    const { server, port } = await serve(
      async (request) => {
        if (new URL(request.url).pathname === "/forever") await new Event<void>().wait();
        return echoLength(request);
      },
      { maxConnections: 2 },
    );
    const hung = await rawExchange(port, [head("GET /forever HTTP/1.1", [["Host", "x"]])], {
      ms: 200,
    });
    expect(hung.received).toBe(""); // a timeout on the client's side, not a crash
    await stillServing(port);
    // The client left: its thread was killed and its slot freed.
    for (let i = 0; i < 200 && server.running() > 0; i++) await new Promise((r) => setImmediate(r));
    expect(server.running()).toBe(0);
  });
});

describe("slow and abusive clients", () => {
  test(`$SLOWLORIS.toLocaleString("en-US")slowloris connections: a normal client is still served, memory stays bounded`, async () => {
    const { server, port } = await serve(echoLength, { headersTimeoutMs: 1000 });
    const rssBefore = process.memoryUsage().rss;
    const loris: Socket[] = [];
    const closedByServer: Promise<void>[] = [];
    // Opened in batches that each wait for their handshakes, so none waits on a full backlog.
    for (let i = 0; i < SLOWLORIS; i += 100) {
      const connected: Promise<void>[] = [];
      for (let j = i; j < Math.min(SLOWLORIS, i + 100); j++) {
        const socket = netConnect(port, "127.0.0.1");
        socket.on("error", () => {});
        socket.write(`GET /loris-$jHTTP/1.1\r\nHost: x\r\nX-Slow: `);
        connected.push(new Promise((resolve) => socket.once("connect", () => resolve())));
        closedByServer.push(new Promise((resolve) => socket.once("close", () => resolve())));
        loris.push(socket);
      }
      await Promise.all(connected);
    }
    const trickle = setInterval(() => {
      for (const socket of loris) if (!socket.destroyed) socket.write("a");
    }, 100);
    const latencies: number[] = [];
    let rssPeak = rssBefore;
    try {
      for (let i = 0; i < 100; i++) {
        const started = performance.now();
        // A bound, not a measurement: the loaded machine may delay a handshake by seconds.
        await stillServing(port, 20_000);
        latencies.push(performance.now() - started);
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }
      // Each trickling connection is cut by headersTimeoutMs (1 s here; 60 s by default).
      await Promise.all(closedByServer);
    } finally {
      clearInterval(trickle);
      for (const socket of loris) socket.destroy();
    }
    latencies.sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length * 0.5)] as number;
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1] as number;
    // Both ends of every connection live in this process: the growth bounds the server's
    // share from above. A server that buffered without limit would blow through it.
    const rssGrowth = rssPeak - rssBefore;
    expect(server.running()).toBe(0);
    expect(rssGrowth).toBeLessThan(SLOWLORIS * 64 * 1024);
    console.log(
      `slowloris: ${SLOWLORIS} connections trickling headers, 100 normal requests all served, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, slowest ${(latencies.at(-1) as number).toFixed(2)} ms (shared machine; not asserted)`,
    );
    section.record("slowloris connections trickling headers while a normal client measures", {
      slowConnections: SLOWLORIS,
      closedByHeadersTimeout: SLOWLORIS,
      normalRequests: latencies.length,
      normalRequestsServed: latencies.length,
      p50Ms: p50,
      p99Ms: p99,
      slowestMs: latencies.at(-1) as number,
      rssGrowthMiB: rssGrowth / (1024 * 1024),
      rssBytesPerSlowConnection: Math.round(rssGrowth / SLOWLORIS),
      note: "both ends in one process on a shared machine; latencies not asserted",
    });
  });

  test("the timeouts have their documented defaults", async () => {
    const { server } = await serve(echoLength);
    expect(server.server.headersTimeout).toBe(60_000);
    expect(server.server.requestTimeout).toBe(300_000);
    expect(server.server.keepAliveTimeout).toBe(5_000);
    expect((server.server as { maxHeaderSize?: number }).maxHeaderSize).toBe(16 * 1024);
  });

  test("headersTimeoutMs, requestTimeoutMs and keepAliveTimeoutMs fire", async () => {
    const { port } = await serve(echoLength, {
      headersTimeoutMs: 300,
      requestTimeoutMs: 600,
      keepAliveTimeoutMs: 200,
    });
    // A head that never ends: 408 from headersTimeoutMs.
    const slowHead = await rawExchange(port, ["GET / HTTP/1.1\r\nHost: x\r\n"], { ms: 10_000 });
    expect(statusLines(slowHead.received)).toEqual(["HTTP/1.1 408 Request Timeout"]);
    // A body that never ends: cut by requestTimeoutMs.
    const slowBody = await rawExchange(
      port,
      [
        head("POST / HTTP/1.1", [
          ["Host", "x"],
          ["Content-Length", "100"],
        ]),
        "only part",
      ],
      { ms: 10_000 },
    );
    expect(slowBody.closed).toBe(true);
    expect(slowBody.received).not.toMatch(/^HTTP\/1\.1 200/);
    // An idle keep-alive connection: closed by keepAliveTimeoutMs after its response.
    const idle = await rawExchange(port, [head("GET / HTTP/1.1", [["Host", "x"]])], { ms: 10_000 });
    expect(statusLines(idle.received)).toEqual([OK]);
    expect(idle.closed).toBe(true);
  });
});

describe("clients that never read, and a shutdown under load", () => {
  test("50 clients that never read a 16 MiB stream: each is pulled only as far as its buffers allow", async () => {
    const pulled: number[] = [];
    const chunk = new Uint8Array(64 * 1024).fill(46);
    const { port } = await serve((request) => {
      if (new URL(request.url).pathname === "/ok") return echoLength(request);
      const index = pulled.push(0) - 1;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            if (pulled[index] === 16 * 1024 * 1024) controller.close();
            else {
              pulled[index] = (pulled[index] as number) + chunk.byteLength;
              controller.enqueue(chunk);
            }
          },
        }),
      );
    });
    const readers: Socket[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const socket = netConnect(port, "127.0.0.1");
        socket.on("error", () => {});
        socket.write(head("GET /big HTTP/1.1", [["Host", "x"]]));
        socket.pause(); // never reads
        readers.push(socket);
      }
      for (let i = 0; i < 2000 && pulled.length < 50; i++)
        await new Promise((r) => setImmediate(r));
      expect(pulled).toHaveLength(50);
      await stillServing(port); // the others are served meanwhile
      // Backpressure: no stream ran ahead to its end into memory.
      const most = Math.max(...pulled);
      expect(most).toBeLessThan(16 * 1024 * 1024);
      console.log(
        `never-reading clients: 50 × 16 MiB streams, at most ${(most / 1024 / 1024).toFixed(1)} MiB pulled for one, ${(pulled.reduce((a, b) => a + b, 0) / 1024 / 1024).toFixed(1)} MiB in all`,
      );
      section.record("clients that never read a 16 MiB streamed response", {
        clients: 50,
        streamMiB: 16,
        mostPulledForOneMiB: most / 1024 / 1024,
        pulledInAllMiB: pulled.reduce((a, b) => a + b, 0) / 1024 / 1024,
        othersServedMeanwhile: true,
      });
    } finally {
      for (const socket of readers) socket.destroy();
    }
  });

  test("close() with 20 requests in flight, 20 idle keep-alive and 20 silent connections loses no response", async () => {
    const release = new Event<void>();
    const { server, port } = await serve(async (request) => {
      if (new URL(request.url).pathname === "/work") {
        await release.wait();
        return new Response(`done ${new URL(request.url).search}`);
      }
      return echoLength(request);
    });
    const silent: Socket[] = [];
    const silentClosed: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      const socket = netConnect(port, "127.0.0.1");
      socket.on("error", () => {});
      silentClosed.push(new Promise((resolve) => socket.once("close", () => resolve())));
      silent.push(socket);
    }
    // Keep-alive connections that got their answer and stay open, idle.
    const keptAlive = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<{ closed: Promise<void> }>((answered) => {
            const socket = netConnect(port, "127.0.0.1");
            socket.on("error", () => {});
            const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
            let received = "";
            socket.setEncoding("latin1");
            socket.on("data", (data: string) => {
              received += data;
              if (received.endsWith("GET 0")) answered({ closed }); // not the promise: it would be adopted
            });
            socket.write(head("GET /ok HTTP/1.1", [["Host", "x"]]));
          }),
      ),
    );
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      rawExchange(port, [head(`GET /work?${i} HTTP/1.1`, [["Host", "x"]])], { ms: 10_000 }),
    );
    for (let i = 0; i < 2000 && server.running() < 20; i++)
      await new Promise((r) => setImmediate(r));
    expect(server.running()).toBe(20);
    const closing = server.close({ graceMs: 10_000 });
    // Idle and silent connections go at once, while the 20 requests are still running.
    await Promise.all([...silentClosed, ...keptAlive.map((k) => k.closed)]);
    expect(server.running()).toBe(20);
    release.send();
    const answers = await Promise.all(inFlight);
    await closing;
    answers.forEach(({ received, closed }, i) => {
      expect(statusLines(received)).toEqual([OK]);
      expect(received).toMatch(/\r\nconnection: close\r\n/i);
      expect(received.endsWith(`done ?${i}`)).toBe(true);
      expect(closed).toBe(true);
    });
    console.log(
      "graceful shutdown: 20 in flight delivered, 20 keep-alive and 20 silent closed at once, 0 lost",
    );
    section.record("close() with requests in flight, idle keep-alive and silent connections", {
      inFlight: 20,
      inFlightDelivered: answers.length,
      idleKeepAliveClosedAtOnce: keptAlive.length,
      silentClosedAtOnce: silent.length,
      responsesLost: 0,
      graceMs: 10_000,
    });
  });
});
