// Redirects through urlopen: credentials never cross origins, and the per-hop hook
// `beforeRedirect` sees every hop first and can refuse it before anything is sent there.
// Two loopback servers on two ports are two origins.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Event, GreenThreadExit, sleep, spawn } from "@tendril/core";
import {
  HttpClient,
  type RedirectHop,
  setDefaultHttpClient,
  TooManyRedirects,
  urlopen,
} from "@tendril/green-net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/**
 * A server that records every request: `/to?url=…&code=…` redirects there, `/loop` redirects
 * to itself, anything else echoes.
 */
async function recordingServer(): Promise<{ server: Server; base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    req.resume();
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/loop") {
        res.writeHead(302, { location: "/loop" });
        res.end();
        return;
      }
      const to = url.searchParams.get("url");
      if (url.pathname === "/to" && to !== null) {
        res.writeHead(Number(url.searchParams.get("code") ?? 302), { location: to });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ path: req.url, headers: req.headers }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const CREDENTIALS = {
  authorization: "Bearer secret",
  cookie: "session=s3cret",
  "proxy-authorization": "Basic cHJveHk6c2VjcmV0",
};

let a: Awaited<ReturnType<typeof recordingServer>>;
let b: Awaited<ReturnType<typeof recordingServer>>;

beforeAll(async () => {
  a = await recordingServer();
  b = await recordingServer();
});

afterAll(async () => {
  for (const { server } of [a, b]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

let baseline: ReturnType<typeof leakBaseline>;
beforeEach(() => {
  baseline = leakBaseline();
  a.seen.length = 0;
  b.seen.length = 0;
});
afterEach(async () => {
  const client = setDefaultHttpClient(null);
  await client?.close({ graceMs: 0 });
  a.server.closeIdleConnections();
  b.server.closeIdleConnections();
  await expectNoLeaks(baseline);
});

function via(server: { base: string }, target: string, code = 302): string {
  return `${server.base}/to?code=${code}&url=${encodeURIComponent(target)}`;
}

describe("credentials and redirects", () => {
  test("a redirect to another origin (another port) never carries the caller's credentials", async () => {
    for (const code of [301, 302, 303, 307, 308]) {
      b.seen.length = 0;
      const response = await urlopen(via(a, `${b.base}/landing`, code), {
        headers: { ...CREDENTIALS, "x-trace": "kept" },
      });
      expect(response.status).toBe(200);
      await response.cancel();
      expect(b.seen, `status ${code}`).toHaveLength(1);
      const headers = b.seen[0]?.headers ?? {};
      expect(headers.authorization, `status ${code}`).toBeUndefined();
      expect(headers.cookie, `status ${code}`).toBeUndefined();
      expect(headers["proxy-authorization"], `status ${code}`).toBeUndefined();
      expect(headers["x-trace"], `status ${code}`).toBe("kept");
    }
    // The first hop did get them: they were sent, and dropped only for the other origin.
    expect(a.seen[0]?.headers.authorization).toBe("Bearer secret");
  });

  test("a client's default credentials are dropped across origins too", async () => {
    await using client = new HttpClient({ headers: CREDENTIALS });
    const response = await client.urlopen(via(a, `${b.base}/landing`));
    await response.cancel();
    expect(a.seen[0]?.headers.cookie).toBe("session=s3cret");
    expect(b.seen[0]?.headers.cookie).toBeUndefined();
    expect(b.seen[0]?.headers.authorization).toBeUndefined();
  });

  test("once dropped they stay dropped, even when a later hop comes back to the first origin", async () => {
    const response = await urlopen(via(a, via(b, `${a.base}/home`)), { headers: CREDENTIALS });
    await response.cancel();
    expect(a.seen.map((s) => s.path)).toEqual([expect.stringMatching(/^\/to/), "/home"]);
    expect(a.seen[1]?.headers.authorization).toBeUndefined();
    expect(a.seen[1]?.headers.cookie).toBeUndefined();
  });

  test("a redirect within the origin keeps them", async () => {
    const response = await urlopen(via(a, "/landing"), { headers: CREDENTIALS });
    expect(((await response.json()) as { path: string }).path).toBe("/landing");
    expect(a.seen).toHaveLength(2);
    expect(a.seen[1]?.headers.authorization).toBe("Bearer secret");
    expect(a.seen[1]?.headers.cookie).toBe("session=s3cret");
    expect(a.seen[1]?.headers["proxy-authorization"]).toBe(CREDENTIALS["proxy-authorization"]);
  });

  test("a redirect loop is bounded: maxRedirects + 1 requests, then TooManyRedirects", async () => {
    const error = await urlopen(`${a.base}/loop`, { maxRedirects: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRedirects);
    expect(a.seen).toHaveLength(3);
  });
});

describe("beforeRedirect", () => {
  test("sees every hop, in order, with the method the next request will use", async () => {
    const hops: RedirectHop[] = [];
    const response = await urlopen(via(a, via(b, `${b.base}/end`, 303), 307), {
      method: "POST",
      body: "payload",
      beforeRedirect: (hop) => {
        hops.push(hop);
      },
    });
    await response.cancel();
    expect(hops.map((h) => [h.from.origin, h.to.href, h.status, h.method])).toEqual([
      [a.base, via(b, `${b.base}/end`, 303), 307, "POST"],
      [b.base, `${b.base}/end`, 303, "GET"],
    ]);
    expect(b.seen.map((s) => s.method)).toEqual(["POST", "GET"]);
  });

  test("throwing refuses the hop: urlopen rejects with that error and nothing reaches the target", async () => {
    const refused = new Error("not there");
    const error = await urlopen(via(a, `${b.base}/secret`), {
      beforeRedirect: ({ to }) => {
        if (to.origin === b.base) throw refused;
      },
    }).catch((e: unknown) => e);
    expect(error).toBe(refused);
    expect(a.seen).toHaveLength(1);
    expect(b.seen).toEqual([]);
  });

  test("may be async: the hop waits for it, and a rejection refuses it", async () => {
    const caller = spawn(async () =>
      urlopen(via(a, `${b.base}/x`), {
        beforeRedirect: async () => {
          await sleep(5);
          throw new Error("refused later");
        },
      }).catch((e: unknown) => e),
    );
    expect(((await caller.wait()) as Error).message).toBe("refused later");
    expect(b.seen).toEqual([]);
    let waited = false;
    const followed = await urlopen(via(a, `${b.base}/y`), {
      beforeRedirect: async () => {
        await sleep(5);
        waited = true;
      },
    });
    await followed.cancel();
    expect(waited).toBe(true);
    expect(b.seen.map((s) => s.path)).toEqual(["/y"]);
  });

  test("a kill of the caller while the hook runs ends the call, and the hop is not made", async () => {
    // One connection to each origin: requests to b go out in the order they were made.
    await using client = new HttpClient({ connections: 1 });
    const entered = new Event<void>();
    const release = new Event<void>();
    const returned = new Event<void>();
    const caller = spawn(() =>
      client.urlopen(via(a, `${b.base}/never`), {
        beforeRedirect: async () => {
          entered.send();
          await release.wait();
          // Once the hook's return has been acted on (a hop would be dispatched by then).
          setImmediate(() => returned.send());
        },
      }),
    );
    await entered.wait();
    await caller.kill();
    await expect(caller.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    release.send();
    await returned.wait();
    await (await client.urlopen(`${b.base}/after`)).cancel();
    expect(b.seen.map((s) => s.path)).toEqual(["/after"]);
  });

  test("a client's hook applies to every request; a request's own hook replaces it", async () => {
    const calls: string[] = [];
    await using client = new HttpClient({ beforeRedirect: () => void calls.push("client") });
    await (await client.urlopen(via(a, "/one"))).cancel();
    await (
      await client.urlopen(via(a, "/two"), { beforeRedirect: () => void calls.push("request") })
    ).cancel();
    expect(calls).toEqual(["client", "request"]);
  });

  test("is not called when redirect is manual, nor without a redirect", async () => {
    let calls = 0;
    const hook = (): void => {
      calls++;
    };
    const manual = await urlopen(via(a, "/x"), { redirect: "manual", beforeRedirect: hook });
    expect(manual.status).toBe(302);
    await manual.cancel();
    await (await urlopen(`${a.base}/plain`, { beforeRedirect: hook })).cancel();
    expect(calls).toBe(0);
  });

  test("must be a function (TypeError naming the value)", () => {
    expect(() => new HttpClient({ beforeRedirect: 42 as never })).toThrow(
      /beforeRedirect must be a function, received 42/,
    );
    return expect(urlopen(`${a.base}/`, { beforeRedirect: "no" as never })).rejects.toThrow(
      TypeError,
    );
  });
});
