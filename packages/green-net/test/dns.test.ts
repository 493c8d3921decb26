import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, Timeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import {
  DnsError,
  getDefaultResolver,
  type LookupAddress,
  lookup,
  parseHosts,
  Resolver,
  type ResolverOptions,
  resolve,
  setDefaultResolver,
} from "@tendril/green-net";
import { type DnsServer, startDnsServer } from "@tendril/green-net/testing";
import { Agent, request } from "undici";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

let baseline: ReturnType<typeof leakBaseline>;
let dns: DnsServer;
beforeEach(async () => {
  baseline = leakBaseline();
  dns = await startDnsServer({
    "web.test": { A: ["127.0.0.1", "127.0.0.2"], AAAA: ["::1"], ttlSeconds: 60 },
    "v4only.test": { A: ["127.0.0.3"], ttlSeconds: 60 },
    "v6only.test": { AAAA: ["2001:db8::5"], ttlSeconds: 60 },
    "short.test": { A: ["127.0.0.4"], ttlSeconds: 0 },
    "long.test": { A: ["127.0.0.5"], ttlSeconds: 86_400 },
    "broken.test": { servfail: true },
    "slow.test": { A: ["127.0.0.6"], delayMs: 50 },
  });
});
afterEach(async () => {
  await dns.close();
  await expectNoLeaks(baseline);
});

const resolverFor = (server: DnsServer, options: ResolverOptions = {}) =>
  new Resolver({ servers: [server.address], hostsFile: null, ...options });

function lookupAsync(
  fn: typeof lookup,
  hostname: string,
  options: object,
): Promise<{
  error: NodeJS.ErrnoException | null;
  address: string | LookupAddress[];
  family?: number;
}> {
  return new Promise((done) =>
    fn(hostname, options, (error, address, family) => done({ error, address, family })),
  );
}

describe("resolve", () => {
  test("answers A and AAAA queries; family 0 asks both and puts IPv4 first", async () => {
    const resolver = resolverFor(dns);
    expect(await resolver.resolve("web.test", { family: 4 })).toEqual(["127.0.0.1", "127.0.0.2"]);
    expect(await resolver.resolve("web.test", { family: 6 })).toEqual(["::1"]);
    expect(await resolver.resolve("v6only.test", { family: 6 })).toEqual(["2001:db8::5"]);
    resolver.clearCache();
    expect(await resolver.resolve("WEB.test.")).toEqual(["127.0.0.1", "127.0.0.2", "::1"]);
    expect(await resolver.resolve("v6only.test")).toEqual(["2001:db8::5"]);
  });

  test("caches answers for their TTL, on the hub's clock", () =>
    withVirtualHub(async (hub) => {
      const resolver = resolverFor(dns);
      await resolver.resolve("v4only.test", { family: 4 });
      expect(dns.queries).toEqual(["A v4only.test"]);
      await hub.advance(59_000);
      expect(await resolver.resolve("v4only.test", { family: 4 })).toEqual(["127.0.0.3"]);
      expect(resolver.queries).toBe(1);
      await hub.advance(1_000);
      await resolver.resolve("v4only.test", { family: 4 });
      expect(resolver.queries).toBe(2);
    }));

  test("clamps TTLs between minTtlMs and maxTtlMs", () =>
    withVirtualHub(async (hub) => {
      const resolver = resolverFor(dns, { minTtlMs: 5_000, maxTtlMs: 60_000 });
      await resolver.resolve("short.test", { family: 4 }); // TTL 0 -> kept 5 s
      await resolver.resolve("long.test", { family: 4 }); // TTL 1 day -> kept 60 s
      await hub.advance(4_999);
      await resolver.resolve("short.test", { family: 4 });
      expect(resolver.queries).toBe(2);
      await hub.advance(1);
      await resolver.resolve("short.test", { family: 4 });
      expect(resolver.queries).toBe(3);
      await hub.advance(55_000);
      await resolver.resolve("long.test", { family: 4 });
      expect(resolver.queries).toBe(4);
    }));

  test("a name that does not exist fails with a clear DnsError, remembered for negativeTtlMs", () =>
    withVirtualHub(async (hub) => {
      const resolver = resolverFor(dns, { negativeTtlMs: 2_000 });
      const error = await resolver.resolve("nope.test", { family: 4 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DnsError);
      expect(error).toMatchObject({
        code: "ERR_TENDRIL_DNS_NOT_FOUND",
        dnsCode: "ENOTFOUND",
        hostname: "nope.test",
      });
      expect((error as DnsError).message).toBe(
        'could not resolve "nope.test" to an IPv4 address: the name does not exist (ENOTFOUND)',
      );
      await expect(resolver.resolve("nope.test", { family: 4 })).rejects.toBeInstanceOf(DnsError);
      expect(resolver.queries).toBe(1);
      await hub.advance(2_000);
      await expect(resolver.resolve("nope.test", { family: 4 })).rejects.toBeInstanceOf(DnsError);
      expect(resolver.queries).toBe(2);
      // Both families missing: one error for the name.
      await expect(resolver.resolve("nope.test")).rejects.toMatchObject({ dnsCode: "ENOTFOUND" });
    }));

  test("a name without a record of the asked family fails with ENODATA", async () => {
    const resolver = resolverFor(dns);
    const error = await resolver.resolve("v4only.test", { family: 6 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_TENDRIL_DNS_NOT_FOUND", dnsCode: "ENODATA" });
    expect((error as DnsError).message).toMatch(/the name has no such record/);
  });

  test("a failing server gives ERR_TENDRIL_DNS_FAILED, which is not cached", async () => {
    const resolver = resolverFor(dns, { tries: 1 });
    const error = await resolver.resolve("broken.test", { family: 4 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_TENDRIL_DNS_FAILED", dnsCode: "ESERVFAIL" });
    await expect(resolver.resolve("broken.test", { family: 4 })).rejects.toBeInstanceOf(DnsError);
    expect(resolver.queries).toBe(2);
  });

  test("many threads asking for one name at once share one query", async () => {
    const resolver = resolverFor(dns);
    const threads = Array.from({ length: 50 }, () =>
      spawn(() => resolver.resolve("slow.test", { family: 4 })),
    );
    const answers = await Promise.all(threads.map((t) => t.wait()));
    expect(new Set(answers.map((a) => a.join()))).toEqual(new Set(["127.0.0.6"]));
    expect(resolver.queries).toBe(1);
    expect(dns.queries).toEqual(["A slow.test"]);
  });

  test("a Timeout interrupts the wait; the query runs on and fills the cache", async () => {
    const resolver = resolverFor(dns);
    const asker = spawn(async () => {
      using _deadline = new Timeout(10);
      return await resolver.resolve("slow.test", { family: 4 });
    });
    await expect(asker.wait()).rejects.toBeInstanceOf(Timeout);
    expect(await resolver.resolve("slow.test", { family: 4 })).toEqual(["127.0.0.6"]);
    expect(resolver.queries).toBe(1);
  });

  test("localhost, *.localhost and IP literals are answered without a query", async () => {
    const resolver = resolverFor(dns);
    expect(await resolver.resolve("localhost")).toEqual(["127.0.0.1", "::1"]);
    expect(await resolver.resolve("app.localhost", { family: 4 })).toEqual(["127.0.0.1"]);
    expect(await resolver.resolve("192.0.2.7")).toEqual(["192.0.2.7"]);
    expect(await resolver.resolve("::1", { family: 6 })).toEqual(["::1"]);
    await expect(resolver.resolve("::1", { family: 4 })).rejects.toBeInstanceOf(DnsError);
    expect(resolver.queries).toBe(0);
  });

  test("honours a hosts file before DNS, and sees it change", () =>
    withVirtualHub(async (hub) => {
      const dir = mkdtempSync(join(tmpdir(), "tendril-hosts-"));
      const hostsFile = join(dir, "hosts");
      try {
        writeFileSync(
          hostsFile,
          "# test hosts\n127.0.0.9  web.test  alias.test # comment\n::9 web.test\n",
        );
        const resolver = new Resolver({
          servers: [dns.address],
          hostsFile,
          hostsCheckIntervalMs: 1000,
        });
        expect(await resolver.resolve("web.test")).toEqual(["127.0.0.9", "::9"]);
        expect(await resolver.resolve("ALIAS.test", { family: 4 })).toEqual(["127.0.0.9"]);
        expect(resolver.queries).toBe(0);
        writeFileSync(hostsFile, "127.0.0.10 alias.test\n");
        await hub.advance(1000);
        expect(await resolver.resolve("alias.test", { family: 4 })).toEqual(["127.0.0.10"]);
        // web.test left the file: DNS answers it now.
        expect(await resolver.resolve("web.test", { family: 4 })).toEqual([
          "127.0.0.1",
          "127.0.0.2",
        ]);
        expect(resolver.queries).toBe(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }));

  test("parseHosts reads addresses, names, aliases and comments", () => {
    const table = parseHosts(
      "127.0.0.1 localhost\n::1 localhost ip6-localhost\nbad line\n# 10.0.0.1 x\n",
    );
    expect(table.get("localhost")).toEqual({ v4: ["127.0.0.1"], v6: ["::1"] });
    expect(table.get("ip6-localhost")).toEqual({ v4: [], v6: ["::1"] });
    expect(table.has("x")).toBe(false);
  });

  test("the default resolver can be replaced", async () => {
    const mine = resolverFor(dns);
    const previous = setDefaultResolver(mine);
    try {
      expect(getDefaultResolver()).toBe(mine);
      expect(await resolve("v4only.test", { family: 4 })).toEqual(["127.0.0.3"]);
    } finally {
      setDefaultResolver(previous);
    }
  });

  test("arguments are checked with messages that name the received value", async () => {
    const resolver = resolverFor(dns);
    await expect(resolver.resolve("")).rejects.toThrow(
      /hostname must be a non-empty string, received ""/,
    );
    await expect(resolver.resolve(7 as never)).rejects.toThrow(TypeError);
    await expect(resolver.resolve("x.test", { family: 5 as never })).rejects.toThrow(
      /family must be 0, 4 or 6, received 5/,
    );
    expect(() => new Resolver({ minTtlMs: -1 })).toThrow(RangeError);
    expect(() => new Resolver({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});

describe("startDnsServer (the test responder) checks records when they are registered", () => {
  test("an AAAA record with an IPv4 tail is answered as its 16 bytes", async () => {
    dns.set("mapped.test", { AAAA: ["::ffff:192.0.2.1", "64:ff9b::10.0.0.1"] });
    const answer = await resolverFor(dns).resolve("mapped.test", { family: 6 });
    // However the resolver spells them, they are the same two addresses.
    expect(answer.map((a) => new URL(`http://[${a}]/`).hostname)).toEqual([
      new URL("http://[::ffff:192.0.2.1]/").hostname,
      new URL("http://[64:ff9b::10.0.0.1]/").hostname,
    ]);
  });

  test("a bad address or TTL is the caller's error, and the responder goes on answering", async () => {
    expect(() => dns.set("zoned.test", { AAAA: ["fe80::1%eth0"] })).toThrow(
      'startDnsServer: an AAAA record of "zoned.test" must be an IPv6 address without a zone index, received "fe80::1%eth0"',
    );
    expect(() => dns.set("v4.test", { AAAA: ["192.0.2.1"] })).toThrow(TypeError);
    expect(() => dns.set("v6.test", { A: ["::1"] })).toThrow(
      'an A record of "v6.test" must be an IPv4 address, received "::1"',
    );
    expect(() => dns.set("ttl.test", { A: ["127.0.0.1"], ttlSeconds: -1 })).toThrow(RangeError);
    await expect(startDnsServer({ "bad.test": { AAAA: ["not an address"] } })).rejects.toThrow(
      /received "not an address"/,
    );
    // Nothing bad was kept: the server answers the names it had.
    expect(await resolverFor(dns).resolve("v6only.test", { family: 6 })).toEqual(["2001:db8::5"]);
    await expect(resolverFor(dns).resolve("zoned.test", { family: 6 })).rejects.toMatchObject({
      dnsCode: "ENOTFOUND",
    });
  });
});

describe("lookup", () => {
  test("has dns.lookup's callback shapes: (error, address, family) and, with all, a list", async () => {
    const resolver = resolverFor(dns);
    expect(await lookupAsync(resolver.lookup, "web.test", {})).toEqual({
      error: null,
      address: "127.0.0.1",
      family: 4,
    });
    expect(await lookupAsync(resolver.lookup, "web.test", { family: 6 })).toEqual({
      error: null,
      address: "::1",
      family: 6,
    });
    const all = await lookupAsync(resolver.lookup, "web.test", { all: true });
    expect(all.address).toEqual([
      { address: "127.0.0.1", family: 4 },
      { address: "127.0.0.2", family: 4 },
      { address: "::1", family: 6 },
    ]);
    const failed = await lookupAsync(resolver.lookup, "nope.test", {});
    expect(failed.error).toBeInstanceOf(DnsError);
    const numeric = await new Promise((done) =>
      resolver.lookup("v4only.test", 4, (e, a) => done([e, a])),
    );
    expect(numeric).toEqual([null, "127.0.0.3"]);
    expect(() => resolver.lookup("x", {}, undefined)).toThrow(/callback must be a function/);
  });

  test("plugs into net.connect as its lookup option", async () => {
    const resolver = resolverFor(dns);
    const server = createServer((s) => s.end("via green dns"));
    await new Promise<void>((done) => server.listen(0, "127.0.0.3", done));
    try {
      const { port } = server.address() as AddressInfo;
      const reply = await new Promise<string>((done, fail) => {
        const s = netConnect({ host: "v4only.test", port, lookup: resolver.lookup });
        let data = "";
        s.on("data", (d) => {
          data += String(d);
        });
        s.on("end", () => done(data));
        s.on("error", fail);
      });
      expect(reply).toBe("via green dns");
      const error = await new Promise((done) => {
        const s = netConnect({ host: "nope.test", port, lookup: resolver.lookup });
        s.on("error", done);
      });
      expect(error).toBeInstanceOf(DnsError);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  test("plugs into undici's connect options", async () => {
    const resolver = resolverFor(dns);
    const server = createHttpServer((_req, res) => res.end("hello over undici"));
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const agent = new Agent({ connect: { lookup: resolver.lookup } });
    try {
      const { port } = server.address() as AddressInfo;
      const res = await request(`http://web.test:${port}/`, { dispatcher: agent });
      expect(await res.body.text()).toBe("hello over undici");
      expect(dns.queries.some((q) => q.endsWith("web.test"))).toBe(true);
    } finally {
      await agent.close();
      await new Promise((done) => server.close(done));
    }
  });

  test("the module-level lookup uses the default resolver", async () => {
    const previous = setDefaultResolver(resolverFor(dns));
    try {
      expect(await lookupAsync(lookup, "v4only.test", {})).toEqual({
        error: null,
        address: "127.0.0.3",
        family: 4,
      });
    } finally {
      setDefaultResolver(previous);
    }
  });
});
