import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "@tendril/core";
import {
  type ConnectOptions,
  connect,
  type ListenOptions,
  listen,
  type SocketAddress,
} from "@tendril/green-net";
import { checkStreamPair, type StreamLike } from "@tendril/green-net/testing";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, hasOpenssl, leakBaseline, makeCertificate } from "./helpers/net.js";

let baseline: ReturnType<typeof leakBaseline>;
beforeEach(() => {
  baseline = leakBaseline();
});
afterEach(() => expectNoLeaks(baseline));

const ALL_CHECKS = [
  "round trip",
  "partial reads",
  "end of stream",
  "close while reading",
  "interrupted read",
  "second simultaneous read",
  "backpressure",
];

function pairOver(
  address: SocketAddress,
  listenOptions: ListenOptions = {},
  connectOptions: ConnectOptions = {},
) {
  return async (): Promise<[StreamLike, StreamLike]> => {
    const listener = await listen(address, listenOptions);
    try {
      const where = listener.address();
      const client = await connect(
        typeof where === "string" ? where : (where as AddressInfo),
        connectOptions,
      );
      const [server] = await listener.accept();
      return [client, server];
    } finally {
      await listener.close();
    }
  };
}

describe("GreenSocket passes the stream conformance checks", () => {
  test("over TCP (IPv4)", async () => {
    expect(await checkStreamPair(pairOver(["127.0.0.1", 0]))).toEqual(ALL_CHECKS);
  });

  test("over TCP (IPv6)", async () => {
    expect(await checkStreamPair(pairOver(["::1", 0]))).toEqual(ALL_CHECKS);
  });

  test("over a Unix socket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tendril-conf-"));
    try {
      let n = 0;
      expect(await checkStreamPair(() => pairOver(join(dir, `s${n++}.sock`))())).toEqual(
        ALL_CHECKS,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.skipIf(!hasOpenssl())("over TLS", async () => {
    const { key, cert } = makeCertificate();
    const make = pairOver(
      ["127.0.0.1", 0],
      { tls: { key, cert } },
      { tls: { ca: cert, servername: "localhost" } },
    );
    // TLS has no half-close of its own in Node's client: the end-of-stream check closes instead.
    const checks = await checkStreamPair(async () => {
      const [client, server] = await make();
      return [
        {
          recv: (n) => client.recv(n),
          sendall: (d) => client.sendall(d),
          close: () => client.close(),
        },
        server,
      ];
    });
    expect(checks).toEqual(ALL_CHECKS);
  });
});

describe("checkStreamPair catches broken streams", () => {
  // An in-memory pair that breaks one rule at a time.
  function fakePair(flaw: "greedy" | "unbounded"): () => Promise<[StreamLike, StreamLike]> {
    return async () => {
      const queues: Uint8Array[][] = [[], []];
      const ended = [false, false];
      const make = (me: number): StreamLike => ({
        async recv(max) {
          for (;;) {
            const q = queues[me] as Uint8Array[];
            if (q.length > 0) {
              const chunk = q.shift() as Uint8Array;
              if (flaw === "greedy" || chunk.length <= max) return chunk;
              q.unshift(chunk.subarray(max));
              return chunk.subarray(0, max);
            }
            if (ended[me]) return new Uint8Array(0);
            await sleep(1);
          }
        },
        async sendall(data) {
          const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
          (queues[1 - me] as Uint8Array[]).push(bytes);
        },
        async close() {
          ended[1 - me] = true;
        },
      });
      return [make(0), make(1)];
    };
  }

  test("a recv that returns more than maxBytes fails 'partial reads'", async () => {
    await expect(
      checkStreamPair(fakePair("greedy"), { skip: ["second simultaneous read"] }),
    ).rejects.toThrow(/stream conformance: partial reads: recv\(7\) returned 1000 bytes/);
  });

  test("a sendall that never waits fails 'backpressure'", async () => {
    await expect(
      checkStreamPair(fakePair("unbounded"), {
        skip: ["second simultaneous read", "close while reading"],
        backpressureLimit: 1 << 20,
      }),
    ).rejects.toThrow(
      /stream conformance: backpressure: sendall sent \d+ bytes to a reader that read nothing/,
    );
  });
});
