// SSRF: the dispatch recipe's outbound guard (`guardedFetch`, `checkOutbound`, `guardLookup`)
// refuses private, loopback, link-local, unspecified and IPv4-mapped destinations, however the
// address is spelled and whether it is named directly, through a DNS name or by a redirect —
// unless the policy allows that kind. Every request goes through a counting fetch function, so
// "refused" also means "no request was made": nothing leaves the machine.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  getDefaultResolver,
  Resolver,
  type Resolver as ResolverType,
  setDefaultResolver,
  urlopen,
} from "@tendril/green-net";
import { type DnsServer, startDnsServer } from "@tendril/green-net/testing";
import {
  checkOutbound,
  type FetchFunction,
  guardedFetch,
  guardLookup,
  OutboundRefused,
} from "@tendril/patterns";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Section } from "./results.js";

const section = new Section("ssrf", "SSRF: the outbound guard");

// Spellings of refused destinations; the WHATWG URL parser turns decimal, octal, hex and short
// IPv4 forms into dotted quads, and the guard must judge what the parser produced.
const LITERALS: Record<string, string> = {
  "http://127.0.0.1/": "loopback",
  "http://127.255.255.254:8080/": "loopback",
  "http://0.0.0.0/": "loopback",
  "http://[::1]/": "loopback",
  "http://[::]/": "loopback",
  "http://2130706433/": "loopback", // decimal
  "http://0177.0.0.1/": "loopback", // octal
  "http://0x7f.0.0.1/": "loopback", // hex
  "http://0x7f000001/": "loopback", // one hex number
  "http://127.1/": "loopback", // short form
  "http://017700000001/": "loopback", // one octal number
  "http://[::ffff:127.0.0.1]/": "loopback", // IPv4-mapped IPv6
  "http://[::ffff:7f00:1]/": "loopback", // IPv4-mapped, hex groups
  "http://10.0.0.1/": "private",
  "http://172.16.5.4/": "private",
  "http://192.168.1.1/": "private",
  "http://100.64.0.1/": "private",
  "http://167772161/": "private", // 10.0.0.1, decimal
  "http://0xa9fea9fe/": "link-local", // 169.254.169.254, hex
  "http://[::ffff:10.0.0.1]/": "private",
  "http://[fc00::1]/": "private",
  "http://[fd12:3456::1]/": "private",
  "http://169.254.169.254/latest/meta-data/": "link-local",
  "http://[fe80::1]/": "link-local",
  "http://[::ffff:169.254.169.254]/": "link-local",
};

// Names in the local DNS server that resolve to refused addresses.
const NAMES: Record<string, { A?: string[]; AAAA?: string[] }> = {
  "internal.test": { A: ["10.1.2.3"] },
  "metadata.test": { A: ["169.254.169.254"] },
  "loop.test": { A: ["127.0.0.1"] },
  "loop6.test": { AAAA: ["::1"] },
  "mapped.test": { AAAA: ["::ffff:c0a8:a"] }, // ::ffff:192.168.0.10
  "zero.test": { A: ["0.0.0.0"] },
  // A public address next to a private one is how rebinding looks: refused whole.
  "mixed.test": { A: ["93.184.216.34", "10.0.0.9"] },
};

let dns: DnsServer;
let previousResolver: ResolverType;
let upstream: Server;
let upstreamHits = 0;
let base: string;
const fetched: string[] = [];
const countingFetch: FetchFunction = (url, init) => {
  fetched.push(url);
  return urlopen(url, init);
};

beforeAll(async () => {
  dns = await startDnsServer(NAMES);
  previousResolver = getDefaultResolver();
  setDefaultResolver(new Resolver({ servers: [dns.address], hostsFile: null }));
  upstream = createServer((req, res) => {
    upstreamHits++;
    const to = new URL(req.url ?? "/", "http://x").searchParams.get("to");
    if (to !== null) res.writeHead(302, { location: to }).end();
    else res.end("fine");
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  setDefaultResolver(previousResolver);
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
  await dns.close();
  section.write();
});

async function refusal(run: () => Promise<unknown>): Promise<OutboundRefused | unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("the outbound guard", () => {
  test("refuses every spelling of a private, loopback, link-local or mapped address", async () => {
    let refused = 0;
    for (const [url, category] of Object.entries(LITERALS)) {
      const error = await refusal(() => guardedFetch(url, { fetch: countingFetch }));
      expect(error, url).toBeInstanceOf(OutboundRefused);
      expect((error as OutboundRefused).category, url).toBe(category);
      refused++;
    }
    expect(fetched).toEqual([]);
    section.record("address literals (decimal, octal, hex, short, IPv4-mapped, IPv6)", {
      inputsTried: Object.keys(LITERALS).length,
      refused,
      requestsMade: fetched.length,
    });
  });

  test("refuses names that resolve to such addresses (local DNS server)", async () => {
    let refused = 0;
    for (const name of Object.keys(NAMES)) {
      const error = await refusal(() => guardedFetch(`http://${name}/`, { fetch: countingFetch }));
      expect(error, name).toBeInstanceOf(OutboundRefused);
      expect((error as OutboundRefused).hostname, name).toBe(name);
      refused++;
    }
    // At connect time too: the guarded lookup refuses what the check before the request would.
    const lookup = guardLookup({});
    const atConnect = await new Promise<unknown>((resolve) =>
      lookup("metadata.test", {}, (error) => resolve(error)),
    );
    expect(atConnect).toBeInstanceOf(OutboundRefused);
    expect(fetched).toEqual([]);
    section.record("names resolving to refused addresses", {
      inputsTried: Object.keys(NAMES).length + 1,
      refused: refused + 1,
      requestsMade: fetched.length,
    });
  });

  test("refuses a redirect to a refused destination, after the first hop only", async () => {
    const targets = [
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.1/admin",
      "http://internal.test/",
      "http://[::ffff:10.0.0.1]/",
      "http://0xa9fea9fe/",
      "ftp://example.test/",
      "file:///etc/passwd",
    ];
    const policy = { allowLoopback: true }; // the upstream itself is on loopback
    for (const to of targets) {
      fetched.length = 0;
      const hits = upstreamHits;
      const error = await refusal(() =>
        guardedFetch(`${base}/r?to=${encodeURIComponent(to)}`, { policy, fetch: countingFetch }),
      );
      expect(error, to).toBeInstanceOf(OutboundRefused);
      expect(fetched, to).toHaveLength(1); // the first hop only
      expect(upstreamHits - hits, to).toBe(1);
    }
    section.record("redirects to refused destinations or schemes", {
      inputsTried: targets.length,
      refused: targets.length,
      requestsBeyondFirstHop: 0,
    });
  });

  test("lets through exactly what the policy allows", async () => {
    fetched.length = 0;
    const { response } = await guardedFetch(`${base}/`, {
      policy: { allowLoopback: true },
      fetch: countingFetch,
    });
    expect(await response.text()).toBe("fine");
    await expect(checkOutbound("http://10.0.0.1/", { allowPrivate: true })).resolves.toBeTruthy();
    await expect(
      checkOutbound("http://metadata.test/", { allowLinkLocal: true }),
    ).resolves.toBeTruthy();
    // Allowing loopback does not allow private, nor link-local.
    await expect(checkOutbound("http://internal.test/", { allowLoopback: true })).rejects.toThrow(
      OutboundRefused,
    );
    await expect(
      checkOutbound("http://169.254.169.254/", { allowLoopback: true, allowPrivate: true }),
    ).rejects.toThrow(OutboundRefused);
    section.record("allowed categories pass, others still refused", {
      inputsTried: 5,
      requestsMade: fetched.length,
    });
  });
});
