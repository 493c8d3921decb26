// urlopen and HttpResponse: requests, bodies, redirects and errors over real loopback HTTP.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  getDefaultHttpClient,
  HttpError,
  HttpRequestError,
  HttpResponse,
  setDefaultHttpClient,
  TooManyRedirects,
  urlopen,
} from "@tendril/green-net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      text += c;
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

const routes: Record<string, Route> = {
  "/text": (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end("héllo wörld");
  },
  "/json": (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ a: 1, b: [true, null] }));
  },
  "/echo": async (req, res) => {
    const body = await readAll(req);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
  },
  "/redirect": (_req, res, url) => {
    res.writeHead(Number(url.searchParams.get("code") ?? 302), {
      location: url.searchParams.get("to") ?? "/text",
    });
    res.end("moved");
  },
  "/status": (_req, res, url) => {
    const status = Number(url.searchParams.get("n"));
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(`status ${status}`);
  },
  "/chunks": (_req, res, url) => {
    const n = Number(url.searchParams.get("n") ?? 4);
    res.writeHead(200, { "content-type": "application/octet-stream" });
    let i = 0;
    const next = (): void => {
      if (i === n) {
        res.end();
        return;
      }
      res.write(Buffer.alloc(1024, 97 + (i++ % 26)));
      setImmediate(next);
    };
    next();
  },
  "/bom": (_req, res) => {
    res.end(Buffer.from("\uFEFFbom text", "utf8"));
  },
  "/empty": (_req, res) => {
    res.writeHead(204);
    res.end();
  },
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const route = routes[url.pathname];
    if (route === undefined) {
      res.writeHead(404);
      res.end("no route");
      return;
    }
    void route(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let baseline: ReturnType<typeof leakBaseline>;
beforeEach(() => {
  baseline = leakBaseline();
});
afterEach(async () => {
  const client = setDefaultHttpClient(null);
  await client?.close({ graceMs: 0 });
  server.closeIdleConnections();
  await expectNoLeaks(baseline);
});

describe("urlopen", () => {
  test("resolves with the response once the headers arrived, and reads text", async () => {
    const response = await urlopen(`${base}/text`);
    expect(response).toBeInstanceOf(HttpResponse);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.statusText).toBe("OK");
    expect(response.url).toBe(`${base}/text`);
    expect(response.redirected).toBe(false);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe("héllo wörld");
    expect(response.bodyUsed).toBe(true);
  });

  test("json(), bytes(), arrayBuffer() and blob() read the body", async () => {
    expect(await (await urlopen(`${base}/json`)).json()).toEqual({ a: 1, b: [true, null] });
    const bytes = await (await urlopen(`${base}/text`)).bytes();
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(bytes).toString()).toBe("héllo wörld");
    const buffer = await (await urlopen(`${base}/text`)).arrayBuffer();
    expect(buffer).toBeInstanceOf(ArrayBuffer);
    expect(buffer.byteLength).toBe(Buffer.byteLength("héllo wörld"));
    const blob = await (await urlopen(`${base}/json`)).blob();
    expect(blob.type).toBe("application/json");
    expect(JSON.parse(await blob.text())).toEqual({ a: 1, b: [true, null] });
  });

  test("text() drops a byte-order mark as fetch does", async () => {
    expect(await (await urlopen(`${base}/bom`)).text()).toBe("bom text");
  });

  test("a body can be read only once", async () => {
    const response = await urlopen(`${base}/text`);
    await response.text();
    await expect(response.text()).rejects.toThrow(TypeError);
    await expect(response.text()).rejects.toThrow(`${base}/text`);
  });

  test("streams a body chunk by chunk with for await, and through body (a web stream)", async () => {
    let total = 0;
    for await (const chunk of await urlopen(`${base}/chunks?n=20`)) total += chunk.byteLength;
    expect(total).toBe(20 * 1024);
    const response = await urlopen(`${base}/chunks?n=5`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let streamed = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      streamed += value.byteLength;
    }
    expect(streamed).toBe(5 * 1024);
  });

  test("a response without a body has body null and reads as empty", async () => {
    const response = await urlopen(`${base}/empty`);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
    expect(await response.text()).toBe("");
  });

  test("sends a method, headers and a string, bytes or URLSearchParams body", async () => {
    const echo = async (init: Parameters<typeof urlopen>[1]) =>
      (await (await urlopen(`${base}/echo`, init)).json()) as {
        method: string;
        headers: Record<string, string>;
        body: string;
      };
    const a = await echo({ method: "post", body: "plain text", headers: { "x-one": "1" } });
    expect(a.method).toBe("POST");
    expect(a.body).toBe("plain text");
    expect(a.headers["x-one"]).toBe("1");
    const b = await echo({
      method: "PUT",
      body: new TextEncoder().encode("bytes!"),
      headers: [["X-Two", "2"]],
    });
    expect(b.body).toBe("bytes!");
    expect(b.headers["x-two"]).toBe("2");
    const c = await echo({ method: "POST", body: new URLSearchParams({ q: "green threads" }) });
    expect(c.body).toBe("q=green+threads");
    expect(c.headers["content-type"]).toBe("application/x-www-form-urlencoded;charset=UTF-8");
    const d = await echo({
      method: "POST",
      body: new Blob(["blob"], { type: "text/x-blob" }),
      headers: new Headers({ "x-three": "3" }),
    });
    expect(d.headers["x-three"]).toBe("3");
    expect(d.headers["content-type"]).toBe("text/x-blob");
    expect(d.body).toBe("blob");
    await expect(
      urlopen(`${base}/echo`, { method: "POST", body: new Headers() as never }),
    ).rejects.toThrow(/body must be .* received Headers/);
  });

  test("streams a request body from a web ReadableStream", async () => {
    const parts = ["one ", "two ", "three"];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const part = parts.shift();
        if (part === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(part));
      },
    });
    const echoed = (await (await urlopen(`${base}/echo`, { method: "POST", body })).json()) as {
      body: string;
    };
    expect(echoed.body).toBe("one two three");
  });

  test("rejects a URL that is not http(s), naming it", async () => {
    await expect(urlopen("ftp://127.0.0.1/file")).rejects.toThrow(
      /only http: and https: URLs.*ftp:\/\/127\.0\.0\.1\/file/,
    );
    await expect(urlopen("not a url")).rejects.toThrow(/invalid URL "not a url"/);
    await expect(urlopen(42 as unknown as string)).rejects.toThrow(TypeError);
  });

  test("a refused connection is an HttpRequestError naming the URL and the cause's code", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const error = await urlopen(`http://127.0.0.1:${port}/gone`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as HttpRequestError).code).toBe("ERR_TENDRIL_HTTP_REQUEST");
    expect((error as HttpRequestError).url).toBe(`http://127.0.0.1:${port}/gone`);
    expect((error as HttpRequestError).causeCode).toBe("ECONNREFUSED");
    expect((error as Error).message).toContain(`GET http://127.0.0.1:${port}/gone failed`);
  });

  test("an error status is a normal response unless throwHttpErrors is on", async () => {
    const response = await urlopen(`${base}/status?n=404`);
    expect(response.status).toBe(404);
    expect(response.ok).toBe(false);
    expect(await response.text()).toBe("status 404");
    const error = await urlopen(`${base}/status?n=503`, { throwHttpErrors: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(503);
    expect((error as HttpError).url).toBe(`${base}/status?n=503`);
    expect((error as HttpError).body).toBe("status 503");
    expect((error as HttpError).message).toBe(
      `HTTP 503 Service Unavailable from ${base}/status?n=503`,
    );
  });

  test("toResponse() gives a platform Response with the same status, headers and body", async () => {
    const response = (await urlopen(`${base}/json`)).toResponse();
    expect(response).toBeInstanceOf(Response);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ a: 1, b: [true, null] });
  });

  test("await using cancels an unread body", async () => {
    {
      await using response = await urlopen(`${base}/chunks?n=200`);
      expect(response.status).toBe(200);
    }
    // The default client is destroyed in afterEach; no leak means the request ended.
  });

  test("cancel() discards the body and later reads fail", async () => {
    const response = await urlopen(`${base}/chunks?n=500`);
    await response.cancel();
    expect(response.bodyUsed).toBe(true);
    await expect(response.bytes()).rejects.toThrow(TypeError);
  });

  test("the default client is created on first use and can be replaced", async () => {
    const first = getDefaultHttpClient();
    expect(getDefaultHttpClient()).toBe(first);
    expect(setDefaultHttpClient(null)).toBe(first);
    await first.close({ graceMs: 0 });
    expect(getDefaultHttpClient()).not.toBe(first);
    expect(() => setDefaultHttpClient({} as never)).toThrow(TypeError);
  });
});

describe("urlopen follows redirects", () => {
  test("301, 302, 307 and 308 keep going to the target; the response says it was redirected", async () => {
    for (const code of [301, 302, 307, 308]) {
      const response = await urlopen(`${base}/redirect?code=${code}&to=/text`);
      expect(response.status).toBe(200);
      expect(response.redirected).toBe(true);
      expect(response.url).toBe(`${base}/text`);
      expect(await response.text()).toBe("héllo wörld");
    }
  });

  test("303 turns any method but HEAD into GET without a body", async () => {
    const response = await urlopen(`${base}/redirect?code=303&to=/echo`, {
      method: "PUT",
      body: "payload",
      headers: { "content-type": "text/plain" },
    });
    const echoed = (await response.json()) as {
      method: string;
      body: string;
      headers: Record<string, string>;
    };
    expect(echoed.method).toBe("GET");
    expect(echoed.body).toBe("");
    expect(echoed.headers["content-type"]).toBeUndefined();
  });

  test("301 and 302 turn POST into GET; 307 and 308 keep the method and the body", async () => {
    for (const [code, method, body] of [
      [301, "GET", ""],
      [302, "GET", ""],
      [307, "POST", "payload"],
      [308, "POST", "payload"],
    ] as const) {
      const response = await urlopen(`${base}/redirect?code=${code}&to=/echo`, {
        method: "POST",
        body: "payload",
      });
      const echoed = (await response.json()) as { method: string; body: string };
      expect([code, echoed.method, echoed.body]).toEqual([code, method, body]);
    }
  });

  test("a 307 after a streamed body cannot be replayed and fails clearly", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("once"));
        controller.close();
      },
    });
    await expect(
      urlopen(`${base}/redirect?code=307&to=/echo`, { method: "POST", body }),
    ).rejects.toThrow(/cannot follow a 307 redirect with a streamed request body/);
  });

  test("credentials are dropped when a redirect leaves the origin", async () => {
    const other = base.replace("127.0.0.1", "localhost");
    const response = await urlopen(
      `${base}/redirect?code=302&to=${encodeURIComponent(`${other}/echo`)}`,
      {
        headers: { authorization: "Bearer secret", cookie: "a=b", "x-keep": "yes" },
        lookup: (_host, options, callback) => {
          const all =
            typeof options === "object" && options !== null && (options as { all?: boolean }).all;
          const done = callback as (e: null, a: unknown, f?: number) => void;
          if (all) done(null, [{ address: "127.0.0.1", family: 4 }]);
          else done(null, "127.0.0.1", 4);
        },
      },
    );
    const echoed = (await response.json()) as { headers: Record<string, string> };
    expect(echoed.headers.authorization).toBeUndefined();
    expect(echoed.headers.cookie).toBeUndefined();
    expect(echoed.headers["x-keep"]).toBe("yes");
  });

  test("more redirects than maxRedirects is TooManyRedirects naming the first URL", async () => {
    const loop = `${base}/redirect?code=302&to=${encodeURIComponent("/redirect?code=302&to=/redirect")}`;
    const error = await urlopen(loop, { maxRedirects: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRedirects);
    expect((error as TooManyRedirects).url).toBe(loop);
    expect((error as TooManyRedirects).maxRedirects).toBe(1);
  });

  test('redirect "manual" returns the 3xx itself; "error" throws', async () => {
    const manual = await urlopen(`${base}/redirect?code=301&to=/text`, { redirect: "manual" });
    expect(manual.status).toBe(301);
    expect(manual.headers.get("location")).toBe("/text");
    expect(await manual.text()).toBe("moved");
    await expect(
      urlopen(`${base}/redirect?code=301&to=/text`, { redirect: "error" }),
    ).rejects.toBeInstanceOf(TooManyRedirects);
  });

  test("a redirect to another scheme is refused", async () => {
    await expect(
      urlopen(`${base}/redirect?code=302&to=${encodeURIComponent("file:///etc/passwd")}`),
    ).rejects.toThrow(/redirect to unsupported URL file:\/\/\/etc\/passwd/);
  });
});
