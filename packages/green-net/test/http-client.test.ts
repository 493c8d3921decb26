// HttpClient: pooling, concurrency limits, deadlines, size limits and cancellation, observed
// from the server's side of a real loopback connection.
import { getEventListeners } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  GreenPool,
  GreenThreadExit,
  getCurrent,
  isTimeout,
  Semaphore,
  spawn,
  Timeout,
  withTimeout,
} from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import {
  HttpClient,
  HttpRequestError,
  HttpTimeout,
  type LookupFunction,
  ResponseTooLarge,
} from "@tendril/green-net";
import { waitFor, waitForSteady } from "@tendril/test-servers";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

const TEN_GIB = 10 * 1024 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 120);

/** What the origin saw. */
const seen = {
  connections: 0,
  inFlight: 0,
  maxInFlight: 0,
  closedEarly: 0,
  streamed: 0,
  requests: 0,
};

// Streams up to 10 GiB, honouring backpressure, until the client goes away.
function infinite(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/octet-stream" });
  const pump = (): void => {
    while (seen.streamed < TEN_GIB && !res.destroyed) {
      seen.streamed += CHUNK.length;
      if (!res.write(CHUNK)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse, url: URL) => void> = {
  "/text": (_req, res) => res.end("fine"),
  "/held": (_req, res, url) => {
    setTimeout(() => res.end("held"), Number(url.searchParams.get("ms") ?? 20));
  },
  "/hang": () => {},
  "/head-then-hang": (_req, res) => {
    res.writeHead(200);
    res.write("first chunk");
  },
  "/big": (_req, res) => {
    res.writeHead(200, { "content-length": String(4 * 1024 * 1024) });
    res.end(Buffer.alloc(4 * 1024 * 1024));
  },
  "/infinite": (_req, res) => infinite(res),
  "/headers": (req, res) => res.end(JSON.stringify(req.headers)),
};

let server: Server;
let port: number;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.requests++;
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    res.on("close", () => {
      seen.inFlight--;
      if (!res.writableFinished) seen.closedEarly++;
    });
    const route = routes[url.pathname];
    if (route === undefined) {
      res.writeHead(404);
      res.end();
    } else route(req, res, url);
  });
  server.on("connection", () => {
    seen.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let baseline: ReturnType<typeof leakBaseline>;
let client: HttpClient;
beforeEach(() => {
  baseline = leakBaseline();
  Object.assign(seen, {
    connections: 0,
    inFlight: 0,
    maxInFlight: 0,
    closedEarly: 0,
    streamed: 0,
    requests: 0,
  });
});
afterEach(async () => {
  await client?.close({ graceMs: 0 });
  server.closeAllConnections();
  await expectNoLeaks(baseline);
});

describe("HttpClient pools connections", () => {
  test("sequential requests reuse keep-alive connections", async () => {
    client = new HttpClient();
    for (let i = 0; i < 20; i++)
      expect(await (await client.urlopen(`${base}/text`)).text()).toBe("fine");
    expect(seen.requests).toBe(20);
    // undici opens a second connection while the first one's response completes, then reuses.
    expect(seen.connections).toBeLessThanOrEqual(2);
  });

  test("connections caps the connections per origin", async () => {
    client = new HttpClient({ connections: 2 });
    const threads = Array.from({ length: 8 }, () =>
      spawn(async () => (await client.urlopen(`${base}/held?ms=10`)).text()),
    );
    for (const t of threads) expect(await t.wait()).toBe("held");
    expect(seen.connections).toBe(2);
    expect(seen.maxInFlight).toBe(2);
  });
});

describe("HttpClient bounds concurrency with pool", () => {
  test("a number allows that many requests in flight at once", async () => {
    client = new HttpClient({ pool: 3 });
    const threads = Array.from({ length: 10 }, () =>
      spawn(async () => (await client.urlopen(`${base}/held`)).text()),
    );
    for (const t of threads) expect(await t.wait()).toBe("held");
    expect(seen.maxInFlight).toBe(3);
  });

  test("a shared GreenPool counts requests as pool threads, and imap on the same pool does not deadlock", async () => {
    const pool = new GreenPool(2);
    client = new HttpClient({ pool });
    const outside = Array.from({ length: 6 }, () =>
      spawn(async () => (await client.urlopen(`${base}/held`)).text()),
    );
    for (const t of outside) expect(await t.wait()).toBe("held");
    expect(seen.maxInFlight).toBe(2);
    seen.maxInFlight = 0;
    const urls = Array.from({ length: 6 }, () => `${base}/held?ms=5`);
    const bodies: string[] = [];
    for await (const body of pool.imap(async (u: string) => (await client.urlopen(u)).text(), urls))
      bodies.push(body);
    expect(bodies).toEqual(Array(6).fill("held"));
    expect(seen.maxInFlight).toBeLessThanOrEqual(2);
    await pool.waitall();
  });

  test("a semaphore can be shared between clients", async () => {
    const semaphore = new Semaphore(1);
    client = new HttpClient({ pool: semaphore });
    const other = new HttpClient({ pool: semaphore });
    try {
      const threads = [
        ...Array.from({ length: 3 }, () =>
          spawn(async () => (await client.urlopen(`${base}/held`)).text()),
        ),
        ...Array.from({ length: 3 }, () =>
          spawn(async () => (await other.urlopen(`${base}/held`)).text()),
        ),
      ];
      for (const t of threads) await t.wait();
      expect(seen.maxInFlight).toBe(1);
      expect(semaphore.counter).toBe(1);
    } finally {
      await other.close({ graceMs: 0 });
    }
  });

  test("the slot is held until the body is read, and given back when the request fails", async () => {
    const semaphore = new Semaphore(1);
    client = new HttpClient({ pool: semaphore, headersTimeoutMs: 100 });
    const response = await client.urlopen(`${base}/infinite`);
    expect(semaphore.counter).toBe(0);
    await response.cancel();
    await waitFor(() => semaphore.counter === 1, "the slot to come back");
    await expect(client.urlopen(`${base}/hang`)).rejects.toBeInstanceOf(HttpTimeout);
    expect(semaphore.counter).toBe(1);
  });
});

describe("HttpClient deadlines", () => {
  test("connectTimeoutMs bounds connecting, name resolution included", async () => {
    const never: LookupFunction = () => {};
    client = new HttpClient({ connectTimeoutMs: 100, lookup: never });
    const error = await client.urlopen("http://stuck.tendril.test/").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpTimeout);
    expect((error as HttpTimeout).phase).toBe("connect");
    expect((error as HttpTimeout).url).toBe("http://stuck.tendril.test/");
    expect((error as HttpTimeout).code).toBe("ERR_TENDRIL_HTTP_TIMEOUT");
    expect(isTimeout(error)).toBe(true);
  });

  test("headersTimeoutMs bounds the wait for the response headers", async () => {
    client = new HttpClient({ headersTimeoutMs: 100 });
    const error = await client.urlopen(`${base}/hang`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpTimeout);
    expect((error as HttpTimeout).phase).toBe("headers");
    expect((error as Error).message).toBe(`headers timeout for ${base}/hang`);
    await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
  });

  test("bodyTimeoutMs bounds the silence between body bytes", async () => {
    client = new HttpClient();
    const response = await client.urlopen(`${base}/head-then-hang`, { bodyTimeoutMs: 100 });
    const error = await response.text().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpTimeout);
    expect((error as HttpTimeout).phase).toBe("body");
  });
});

describe("HttpClient limits the response size", () => {
  test("a declared Content-Length over maxResponseBytes fails before any body is read", async () => {
    client = new HttpClient({ maxResponseBytes: 1024 * 1024 });
    const error = await client.urlopen(`${base}/big`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLarge);
    expect((error as ResponseTooLarge).limit).toBe(1024 * 1024);
    expect((error as ResponseTooLarge).url).toBe(`${base}/big`);
    expect((error as Error).message).toContain("Content-Length is 4194304");
  });

  test("a HEAD response's Content-Length is not held against the limit", async () => {
    client = new HttpClient({ maxResponseBytes: 1024 });
    const response = await client.urlopen(`${base}/big`, { method: "HEAD" });
    expect(response.headers.get("content-length")).toBe(String(4 * 1024 * 1024));
    expect(await response.bytes()).toHaveLength(0);
  });

  test("a 10 GB streamed response is cut at the limit, never read into memory", async () => {
    client = new HttpClient({ maxResponseBytes: 1024 * 1024 });
    const response = await client.urlopen(`${base}/infinite`);
    const error = await response.bytes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLarge);
    await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
    // The server sent what fits in the socket buffers beyond the limit, nothing like 10 GB.
    expect(seen.streamed).toBeLessThan(64 * 1024 * 1024);
  });

  test("an unread body is paused: the server cannot push more than the buffers hold", async () => {
    client = new HttpClient({ maxResponseBytes: Number.POSITIVE_INFINITY });
    const response = await client.urlopen(`${base}/infinite`);
    // Round trips on other connections let the server and the client run; the count of bytes
    // the server could write must stop moving. A client that read ahead would let the 10 GiB
    // flow: the count would never settle (waitForSteady fails) or pass 64 MiB.
    const ping = async (): Promise<void> => {
      expect(await (await client.urlopen(`${base}/text`)).text()).toBe("fine");
    };
    const streamed = await waitForSteady(() => seen.streamed, ping, "the stream to be held back");
    expect(streamed).toBeLessThan(64 * 1024 * 1024);
    for (let i = 0; i < 5; i++) await ping();
    expect(seen.streamed).toBe(streamed);
    await response.cancel();
    await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
  });

  test("reading chunk by chunk keeps memory flat over a long body", async () => {
    client = new HttpClient({ maxResponseBytes: 32 * 1024 * 1024 });
    const response = await client.urlopen(`${base}/infinite`);
    let total = 0;
    const error = await (async () => {
      for await (const chunk of response) total += chunk.byteLength;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLarge);
    expect(total).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(total).toBeGreaterThan(16 * 1024 * 1024);
  });
});

describe("HttpClient requests are green operations", () => {
  test("killing the thread aborts the request and frees its connection", async () => {
    client = new HttpClient({ connections: 1 });
    const t = spawn(async () => client.urlopen(`${base}/hang`));
    await waitFor(() => seen.inFlight === 1, "the request to reach the server");
    await t.kill();
    await expect(t.wait()).rejects.toMatchObject({ name: "GreenThreadExit" });
    await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
    // The only connection slot is free again.
    expect(await (await client.urlopen(`${base}/text`)).text()).toBe("fine");
  });

  test("killing the thread while it reads the body aborts the request", async () => {
    client = new HttpClient();
    let reading = false;
    const t = spawn(async () => {
      const response = await client.urlopen(`${base}/head-then-hang`);
      reading = true;
      return response.text();
    });
    await waitFor(() => reading, "the thread to read the body");
    await t.kill();
    await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
    expect(seen).toMatchObject({ requests: 1, closedEarly: 1, inFlight: 0 });
  });

  test("a Timeout of the thread aborts the request with the Timeout itself", () =>
    withVirtualHub(async () => {
      client = new HttpClient();
      const error = await withTimeout(50, () => client.urlopen(`${base}/hang`)).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Timeout);
      await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
      const silent = await withTimeout({ ms: 50, timeoutValue: "gave up" }, async () =>
        (await client.urlopen(`${base}/head-then-hang`)).text(),
      );
      expect(silent).toBe("gave up");
      await waitFor(() => seen.closedEarly === 2, "the second request to be closed");
    }));

  test("an AbortSignal aborts the request, and its listener is removed when the request ends", async () => {
    client = new HttpClient();
    const controller = new AbortController();
    const pending = client.urlopen(`${base}/hang`, { signal: controller.signal });
    await waitFor(() => seen.inFlight === 1, "the request to reach the server");
    controller.abort(new Error("user gave up"));
    await expect(pending).rejects.toThrow("user gave up");
    await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    const signal = new AbortController().signal;
    for (let i = 0; i < 5; i++) await (await client.urlopen(`${base}/text`, { signal })).text();
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    await expect(
      client.urlopen(`${base}/text`, { signal: AbortSignal.abort(new Error("early")) }),
    ).rejects.toThrow("early");
  });

  test("undici's callbacks do not run as the thread that opened the connection", async () => {
    client = new HttpClient();
    const opener = spawn(async () => (await client.urlopen(`${base}/text`)).text());
    await opener.wait();
    // The connection opened by `opener` is reused; nothing may run as the dead thread.
    const response = await client.urlopen(`${base}/text`);
    expect(await response.text()).toBe("fine");
    expect(getCurrent().name).toBe("main");
  });
});

describe("HttpClient resolves names with its lookup", () => {
  test("the green resolver by default (localhost from the hosts file)", async () => {
    client = new HttpClient();
    expect(await (await client.urlopen(`http://localhost:${port}/text`)).text()).toBe("fine");
  });

  test("a custom lookup, per client or per request", async () => {
    const asked: string[] = [];
    const lookup: LookupFunction = (hostname, options, callback) => {
      asked.push(hostname);
      const done = (typeof options === "function" ? options : callback) as (
        ...args: unknown[]
      ) => void;
      if (typeof options === "object" && options !== null && (options as { all?: boolean }).all) {
        done(null, [{ address: "127.0.0.1", family: 4 }]);
      } else done(null, "127.0.0.1", 4);
    };
    client = new HttpClient({ lookup });
    expect(await (await client.urlopen(`http://api.tendril.test:${port}/text`)).text()).toBe(
      "fine",
    );
    const other = new HttpClient();
    try {
      expect(
        await (await other.urlopen(`http://feeds.tendril.test:${port}/text`, { lookup })).text(),
      ).toBe("fine");
    } finally {
      await other.close({ graceMs: 0 });
    }
    expect(asked).toEqual(["api.tendril.test", "feeds.tendril.test"]);
  });

  test("a name that does not resolve is an HttpRequestError with the resolver's error as cause", async () => {
    client = new HttpClient();
    const error = await client.urlopen("http://no-such-host.invalid/").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as Error).message).toContain("http://no-such-host.invalid/");
  });
});

describe("HttpClient options", () => {
  test("default headers go with every request; a request's own header wins", async () => {
    client = new HttpClient({ headers: { "user-agent": "tendril-test", "x-a": "1" } });
    const sent = (await (
      await client.urlopen(`${base}/headers`, { headers: { "X-A": "2" } })
    ).json()) as Record<string, string>;
    expect(sent["user-agent"]).toBe("tendril-test");
    expect(sent["x-a"]).toBe("2");
  });

  test("invalid options are refused with the value named", () => {
    expect(() => new HttpClient({ pool: 0 })).toThrow(/pool must be an integer >= 1, received 0/);
    expect(() => new HttpClient({ pool: "ten" as never })).toThrow(TypeError);
    expect(() => new HttpClient({ headersTimeoutMs: -1 })).toThrow(
      /headersTimeoutMs must be .* received -1/,
    );
    expect(() => new HttpClient({ maxRedirects: 1.5 })).toThrow(RangeError);
  });
});

describe("HttpClient.close", () => {
  test("waits for the requests in flight, then cuts the ones still running after graceMs", async () => {
    client = new HttpClient();
    const held = spawn(async () => (await client.urlopen(`${base}/held?ms=30`)).text());
    const hung = spawn(() => client.urlopen(`${base}/hang`));
    await waitFor(() => seen.inFlight === 2, "both requests to reach the server");
    const closing = client.close({ graceMs: 200 });
    // The held request finishes inside the grace period; the hung one is cut at its end.
    expect(await held.wait()).toBe("held");
    await closing;
    const error = await hung.wait().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestError);
    await waitFor(() => seen.closedEarly === 1, "the server to see the hung request cut");
  });

  test("graceMs: 0 cuts every connection at once; a bad graceMs is refused with the value named", async () => {
    client = new HttpClient();
    await expect(client.close({ graceMs: -1 })).rejects.toThrow(
      /graceMs must be a number >= 0, received -1/,
    );
    const hung = spawn(() => client.urlopen(`${base}/hang`));
    await waitFor(() => seen.inFlight === 1, "the request to reach the server");
    await client.close({ graceMs: 0 });
    expect(await hung.wait().catch((e: unknown) => e)).toBeInstanceOf(HttpRequestError);
  });
});

describe("HttpClient.fetch", () => {
  test("returns a platform Response through the client's dispatcher", async () => {
    client = new HttpClient();
    const response = await client.fetch(`${base}/text`);
    expect(response).toBeInstanceOf(Response);
    expect(await response.text()).toBe("fine");
    expect(seen.requests).toBe(1);
  });

  test("applies the client's limits and names the URL in its errors", async () => {
    client = new HttpClient({ maxResponseBytes: 1024, headersTimeoutMs: 100 });
    await expect(client.fetch(`${base}/big`)).rejects.toBeInstanceOf(ResponseTooLarge);
    const timeout = await client.fetch(`${base}/hang`).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(HttpTimeout);
    expect((timeout as HttpTimeout).url).toBe(`${base}/hang`);
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const refused = await client.fetch(`http://127.0.0.1:${closedPort}/`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpRequestError);
    expect((refused as HttpRequestError).causeCode).toBe("ECONNREFUSED");
  });

  test("is a green operation: kill aborts it", async () => {
    client = new HttpClient();
    const t = spawn(async () => client.fetch(`${base}/hang`));
    await waitFor(() => seen.inFlight === 1, "the request to reach the server");
    await t.kill();
    await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
    expect(seen).toMatchObject({ requests: 1, closedEarly: 1, inFlight: 0 });
  });

  test("a Timeout aborts the body read of a fetched response too", () =>
    withVirtualHub(async () => {
      client = new HttpClient();
      const result = await withTimeout({ ms: 50, timeoutValue: "timed out" }, async () => {
        const response = await client.fetch(`${base}/head-then-hang`);
        return response.text();
      });
      expect(result).toBe("timed out");
      await waitFor(() => seen.closedEarly === 1, "the server to see the connection closed");
    }));
});
