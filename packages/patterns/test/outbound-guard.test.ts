import type { IncomingHttpHeaders } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { TooManyRedirects } from "@tendril/green-net";
import {
  checkOutbound,
  guardedFetch,
  guardLookup,
  type OutboundPolicy,
  OutboundRefused,
} from "@tendril/patterns";

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type Route, redirect, reply, startServer } from "./local-http.js";

/**
 * What the guard makes of an address literal under `policy`: "allowed", or the category it
 * names when it refuses it. (The classification itself is internal; this asks the public
 * `checkOutbound`, which needs no DNS for a literal.)
 */
async function verdict(address: string, policy: OutboundPolicy = {}): Promise<string> {
  const bare = address.replace(/^\[|\]$/g, "");
  const host = bare.includes(":") ? `[${bare}]` : bare;
  try {
    await checkOutbound(`http://${host}/`, policy);
    return "allowed";
  } catch (error) {
    if (error instanceof OutboundRefused && error.category !== undefined) return error.category;
    throw error;
  }
}

/** The category of a literal: every non-public category is refused by the default policy. */
async function categoryOf(address: string): Promise<string> {
  const answer = await verdict(address);
  return answer === "allowed" ? "public" : answer;
}

describe("address categories (through checkOutbound)", () => {
  test.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["0.0.0.0", "loopback"],
    ["::", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["8.8.8.8", "public"],
    ["172.32.0.1", "public"],
    ["2606:4700::1111", "public"],
    ["224.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["192.0.2.1", "reserved"],
    ["ff02::1", "reserved"],
  ])("%s is %s", async (address, category) => {
    expect(await categoryOf(address)).toBe(category);
  });

  test.each([
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["[::ffff:10.0.0.1]", "private"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:7f00:1::", "loopback"],
    ["::ffff:8.8.8.8", "public"],
  ])(
    "an address carrying an IPv4 address inside is judged by it: %s is %s",
    async (address, category) => {
      expect(await categoryOf(address)).toBe(category);
    },
  );

  test("every IPv6 spelling of an IPv4 address is judged like the IPv4 address", async () => {
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    await fc.assert(
      fc.asyncProperty(fc.ipV4(), async (v4) => {
        const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
        const expected = await categoryOf(v4);
        // `::` and `::1` (the compatible spellings of 0.0.0.0 and 0.0.0.1) are IPv6's own
        // unspecified and loopback addresses: the same category either way.
        for (const spelling of [
          `::ffff:${v4}`,
          `::ffff:${hex(a, b)}:${hex(c, d)}`,
          `0:0:0:0:0:ffff:${hex(a, b)}:${hex(c, d)}`,
          `::${v4}`,
          `::${hex(a, b)}:${hex(c, d)}`,
          `0:0:0:0:0:0:${hex(a, b)}:${hex(c, d)}`,
          `[::${hex(a, b)}:${hex(c, d)}]`,
          `::ffff:0:${v4}`,
          `64:ff9b::${hex(a, b)}:${hex(c, d)}`,
        ]) {
          expect(await categoryOf(spelling), spelling).toBe(expected);
        }
      }),
      { numRuns: 500 },
    );
  });

  test.each([
    ["::7f00:1", "loopback"],
    ["::127.0.0.1", "loopback"],
    ["::a00:1", "private"],
    ["::a9fe:a9fe", "link-local"],
    ["::808:808", "public"],
  ])("IPv4-compatible %s is %s, as its IPv4 address", async (address, category) => {
    expect(await categoryOf(address)).toBe(category);
  });
});

describe("the policy's allow flags", () => {
  test("only public by default; each allow flag opens one category; reserved never", async () => {
    expect(await verdict("8.8.8.8")).toBe("allowed");
    expect(await verdict("127.0.0.1")).toBe("loopback");
    expect(await verdict("127.0.0.1", { allowLoopback: true })).toBe("allowed");
    expect(await verdict("10.0.0.1", { allowLoopback: true })).toBe("private");
    expect(await verdict("10.0.0.1", { allowPrivate: true })).toBe("allowed");
    expect(await verdict("169.254.169.254", { allowPrivate: true })).toBe("link-local");
    expect(await verdict("169.254.169.254", { allowLinkLocal: true })).toBe("allowed");
    expect(
      await verdict("224.0.0.1", { allowLoopback: true, allowPrivate: true, allowLinkLocal: true }),
    ).toBe("reserved");
  });
});

describe("checkOutbound", () => {
  test("refuses loopback by default, by literal, by name, and by the URL parser's odd spellings", async () => {
    for (const url of [
      "http://127.0.0.1:8080/feed",
      "http://localhost/",
      "http://[::1]/",
      "http://2130706433/", // 127.0.0.1 as one number
      "http://0x7f.1/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::7f00:1]/",
      "http://0.0.0.0/",
    ]) {
      const error = await checkOutbound(url).catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(OutboundRefused);
      expect((error as OutboundRefused).code).toBe("ERR_TENDRIL_OUTBOUND_REFUSED");
      expect((error as OutboundRefused).category).toBe("loopback");
    }
  });

  test("allows loopback when asked, and says which addresses it checked", async () => {
    const { url, addresses } = await checkOutbound("http://127.0.0.1:9/x", { allowLoopback: true });
    expect(url.href).toBe("http://127.0.0.1:9/x");
    expect(addresses).toEqual(["127.0.0.1"]);
    await expect(
      checkOutbound("http://localhost/", { allowLoopback: true }),
    ).resolves.toBeDefined();
  });

  test("refuses private and link-local addresses even when loopback is allowed", async () => {
    await expect(checkOutbound("http://10.0.0.1/", { allowLoopback: true })).rejects.toMatchObject({
      category: "private",
    });
    await expect(
      checkOutbound("http://169.254.169.254/latest/meta-data/", {
        allowLoopback: true,
        allowPrivate: true,
      }),
    ).rejects.toMatchObject({ category: "link-local" });
  });

  test("refuses schemes other than http and https", async () => {
    for (const url of ["file:///etc/passwd", "ftp://example.com/", "gopher://x/"]) {
      await expect(checkOutbound(url, { allowLoopback: true })).rejects.toBeInstanceOf(
        OutboundRefused,
      );
    }
  });

  test("rejects a relative or malformed URL with a TypeError", async () => {
    await expect(checkOutbound("/feed.xml")).rejects.toThrow(TypeError);
    await expect(checkOutbound("http://")).rejects.toThrow(TypeError);
  });
});

describe("guardLookup", () => {
  const fakeLookup =
    (answers: Record<string, string[]>) =>
    (hostname: string, _options: unknown, callback: (...args: unknown[]) => void) => {
      const list = (answers[hostname] ?? []).map((address) => ({
        address,
        family: address.includes(":") ? 6 : 4,
      }));
      process.nextTick(() => callback(null, list));
    };

  const ask = (lookup: ReturnType<typeof guardLookup>, hostname: string, options: object) =>
    new Promise<{ error: unknown; result: unknown; family: unknown }>((resolve) =>
      lookup(hostname, options, (error, result, family) => resolve({ error, result, family })),
    );

  test("answers like dns.lookup when every address is allowed", async () => {
    const lookup = guardLookup(
      {},
      fakeLookup({ "feeds.test": ["93.184.216.34", "2606:2800::1"] }) as never,
    );
    expect(await ask(lookup, "feeds.test", {})).toEqual({
      error: null,
      result: "93.184.216.34",
      family: 4,
    });
    const all = await ask(lookup, "feeds.test", { all: true });
    expect(all.result).toEqual([
      { address: "93.184.216.34", family: 4 },
      { address: "2606:2800::1", family: 6 },
    ]);
  });

  test("refuses a name whose answer now includes a private address (DNS rebinding)", async () => {
    const lookup = guardLookup(
      {},
      fakeLookup({ "rebind.test": ["93.184.216.34", "127.0.0.1"] }) as never,
    );
    const { error } = await ask(lookup, "rebind.test", {});
    expect(error).toBeInstanceOf(OutboundRefused);
    expect((error as OutboundRefused).address).toBe("127.0.0.1");
  });

  test("resolves through the green resolver by default", async () => {
    const refused = await ask(guardLookup(), "localhost", {});
    expect(refused.error).toBeInstanceOf(OutboundRefused);
    const allowed = await ask(guardLookup({ allowLoopback: true }), "localhost", { family: 4 });
    expect(allowed).toEqual({ error: null, result: "127.0.0.1", family: 4 });
  });
});

describe("guardedFetch", () => {
  test("refuses at connect time what the lookup refuses, even after the early check passed", async () => {
    const site = await startServer({ "/": reply("hi", "text/plain") });
    try {
      const url = `http://localhost:${new URL(site.origin).port}/`;
      // The early check allows loopback; the connection's lookup does not (as after a rebinding).
      const error = await guardedFetch(url, {
        policy: { allowLoopback: true },
        lookup: guardLookup({}),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundRefused);
      expect((error as OutboundRefused).address).toBe("127.0.0.1");
      const { response } = await guardedFetch(url, { policy: { allowLoopback: true } });
      expect(response.status).toBe(200);
      await response.text();
    } finally {
      await site.close();
    }
  });

  test("follows redirects through urlopen, each hop checked, at most maxRedirects", async () => {
    const site = await startServer({
      "/a": redirect("/b"),
      "/b": reply("b", "text/plain"),
      "/loop": redirect("/loop"),
    });
    try {
      const policy = { allowLoopback: true };
      const { response, url } = await guardedFetch(site.url("/a"), { policy });
      expect(url.href).toBe(site.url("/b"));
      expect(await response.text()).toBe("b");
      await expect(
        guardedFetch(site.url("/a"), { policy, maxRedirects: 0 }),
      ).rejects.toBeInstanceOf(TooManyRedirects);
      const loop = await guardedFetch(site.url("/loop"), { policy, maxRedirects: 3 }).catch(
        (e: unknown) => e,
      );
      expect(loop).toBeInstanceOf(TooManyRedirects);
      expect(site.hits.get("/loop")).toBe(4); // the first request and three redirects, no more
    } finally {
      await site.close();
    }
  });

  test("a redirect to another origin never carries the caller's credentials; the same origin does", async () => {
    const seen: Record<string, IncomingHttpHeaders> = {};
    const record =
      (name: string): Route =>
      (request, response) => {
        seen[name] = request.headers;
        response.writeHead(200, { "content-type": "text/plain" }).end(name);
      };
    const other = await startServer({ "/landing": record("other") });
    const site = await startServer({
      "/away": redirect(other.url("/landing")),
      "/here": redirect("/home"),
      "/home": record("home"),
    });
    const headers = {
      authorization: "Bearer secret",
      cookie: "session=s3cret",
      "proxy-authorization": "Basic c2VjcmV0",
    };
    try {
      const policy = { allowLoopback: true };
      const away = await guardedFetch(site.url("/away"), { policy, init: { headers } });
      expect(await away.response.text()).toBe("other");
      expect(seen.other?.authorization).toBeUndefined();
      expect(seen.other?.cookie).toBeUndefined();
      expect(seen.other?.["proxy-authorization"]).toBeUndefined();
      const here = await guardedFetch(site.url("/here"), { policy, init: { headers } });
      expect(await here.response.text()).toBe("home");
      expect(seen.home?.authorization).toBe("Bearer secret");
      expect(seen.home?.cookie).toBe("session=s3cret");
    } finally {
      await site.close();
      await other.close();
    }
  });

  test("refuses a hop the policy forbids before anything is sent there", async () => {
    // A plain TCP server counts connections: the hop would have to connect to reach it.
    let connections = 0;
    const forbidden = createNetServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => forbidden.listen(0, "127.0.0.1", resolve));
    const port = (forbidden.address() as AddressInfo).port;
    const site = await startServer({ "/r": redirect(`https://127.0.0.1:${port}/`) });
    try {
      const error = await guardedFetch(site.url("/r"), {
        policy: { allowLoopback: true, protocols: ["http:"] },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundRefused);
      expect((error as OutboundRefused).url).toBe(`https://127.0.0.1:${port}/`);
      expect(site.hits.get("/r")).toBe(1);
      expect(connections).toBe(0);
    } finally {
      await site.close();
      await new Promise((resolve) => forbidden.close(resolve));
    }
  });

  test("refuses the answer of a fetch function that followed a redirect without the hook", async () => {
    const site = await startServer({ "/a": redirect("/b"), "/b": reply("b", "text/plain") });
    try {
      const error = await guardedFetch(site.url("/a"), {
        policy: { allowLoopback: true },
        fetch: (url) => globalThis.fetch(url),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutboundRefused);
      expect((error as Error).message).toMatch(/without calling beforeRedirect/);
    } finally {
      await site.close();
    }
  });
});
