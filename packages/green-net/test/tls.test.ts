import type { AddressInfo } from "node:net";
import { spawn } from "@tendril/core";
import { connect, type GreenSocket, listen, serve, wrapTls } from "@tendril/green-net";
import { afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, hasOpenssl, leakBaseline, makeCertificate, text } from "./helpers/net.js";

const opensslMissing = !hasOpenssl();
if (opensslMissing)
  console.warn("tls tests skipped: the openssl CLI is needed to make a test certificate");

let baseline: ReturnType<typeof leakBaseline>;
let key = "";
let cert = "";
beforeAll(() => {
  if (!opensslMissing) ({ key, cert } = makeCertificate());
});
beforeEach(() => {
  baseline = leakBaseline();
});
afterEach(() => expectNoLeaks(baseline));

describe.skipIf(opensslMissing)("TLS", () => {
  test("listen and connect with tls carry an echo over TLS", async () => {
    const listener = await listen(["127.0.0.1", 0], { tls: { key, cert } });
    expect(listener.secure).toBe(true);
    const server = spawn(serve, listener, async (sock: GreenSocket) => {
      for (let line = await sock.readLine(); line !== ""; line = await sock.readLine())
        await sock.sendall(line.toUpperCase());
    });
    try {
      const { port } = listener.address() as AddressInfo;
      const client = await connect(["localhost", port], { tls: { ca: cert } });
      await client.sendall("secret\n");
      expect(await client.readLine()).toBe("SECRET\n");
      expect((client.raw as import("node:tls").TLSSocket).authorized).toBe(true);
      await client.close();
    } finally {
      await listener.close();
      await server.wait();
    }
  });

  test("an untrusted certificate fails connect with the TLS error", async () => {
    const listener = await listen(["127.0.0.1", 0], { tls: { key, cert } });
    const server = spawn(serve, listener, async (sock: GreenSocket) => {
      await sock.recv(1).catch(() => undefined);
    });
    try {
      const { port } = listener.address() as AddressInfo;
      const error = await connect(["localhost", port], { tls: true }).catch((e: unknown) => e);
      expect((error as NodeJS.ErrnoException).code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    } finally {
      await listener.close();
      await server.wait();
    }
  });

  test("wrapTls upgrades an open plain-text connection on both sides (STARTTLS)", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      const { port } = listener.address() as AddressInfo;
      const serverSide = spawn(async () => {
        const [plain] = await listener.accept();
        expect(await plain.readLine()).toBe("STARTTLS\n");
        await plain.sendall("GO\n");
        const secure = await wrapTls(plain, { server: true, key, cert });
        expect(plain.closed).toBe(true);
        const line = await secure.readLine();
        await secure.sendall(`secure ${line}`);
        await secure.close();
      });
      const plain = await connect(["127.0.0.1", port]);
      await plain.sendall("STARTTLS\n");
      expect(await plain.readLine()).toBe("GO\n");
      const secure = await wrapTls(plain, { ca: cert, servername: "localhost" });
      await secure.sendall("hello\n");
      expect(await secure.readLine()).toBe("secure hello\n");
      expect((await secure.recv(10)).length).toBe(0);
      await secure.close();
      await serverSide.wait();
    } finally {
      await listener.close();
    }
  });

  test("wrapTls refuses a socket with unread bytes, which the handshake would lose", async () => {
    const listener = await listen(["127.0.0.1", 0]);
    try {
      const client = await connect(listener.address() as AddressInfo);
      const [server] = await listener.accept();
      await client.sendall("early");
      while (server.bufferedAmount < 5)
        await server.recvExactly(0).then(() => new Promise((r) => setTimeout(r, 1)));
      await expect(wrapTls(server, { server: true, key, cert })).rejects.toThrow(
        /5 received byte\(s\) have not been read/,
      );
      expect(text(await server.recv(10))).toBe("early");
      await client.close();
      await server.close();
    } finally {
      await listener.close();
    }
  });
});
