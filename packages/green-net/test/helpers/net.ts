// Test helpers for green-net: connected pairs, a leak check for sockets and threads, and a
// self-signed certificate made at test time.
import { execFileSync } from "node:child_process";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { countThreads, formatThreads } from "@tendril/core";
import {
  type ConnectOptions,
  connect,
  type GreenSocket,
  type ListenOptions,
  listen,
} from "@tendril/green-net";

/** A connected TCP pair over 127.0.0.1: [client, server]. */
export async function tcpPair(
  listenOptions: ListenOptions = {},
  connectOptions: ConnectOptions = {},
): Promise<[GreenSocket, GreenSocket]> {
  const listener = await listen(["127.0.0.1", 0], listenOptions);
  try {
    const client = await connect(listener.address() as AddressInfo, connectOptions);
    const [server] = await listener.accept();
    return [client, server];
  } finally {
    await listener.close();
  }
}

const SOCKET_RESOURCES = new Set([
  "TCPSocketWrap",
  "TCPServerWrap",
  "PipeWrap",
  "PipeServerWrap",
  "UDPWrap",
  "TLSWrap",
]);

function socketHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => SOCKET_RESOURCES.has(r)).length;
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Call in beforeEach: records the socket handles and threads alive before the test. */
export function leakBaseline(): { handles: number; threads: number } {
  return { handles: socketHandles(), threads: countThreads() };
}

/** Call in afterEach: fails if the test left sockets or green threads behind (after a grace period). */
export async function expectNoLeaks(baseline: { handles: number; threads: number }): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (socketHandles() <= baseline.handles && countThreads() <= baseline.threads) return;
    await macrotask();
    if (i > 20) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const handles = process.getActiveResourcesInfo().filter((r) => SOCKET_RESOURCES.has(r));
  throw new Error(
    `the test leaked: ${handles.length - baseline.handles} socket handle(s) [${handles.join(", ")}], ` +
      `${countThreads() - baseline.threads} green thread(s)\n${formatThreads()}`,
  );
}

/** True when the openssl CLI is present. */
export function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A self-signed EC certificate for localhost and 127.0.0.1, made with the openssl CLI. */
export function makeCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "tendril-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");

/**
 * Counts turns of the event loop (one `setImmediate` per turn, each queued by the last) until
 * `stop()`: a measure of "promptly" that a busy machine cannot stretch, unlike milliseconds.
 */
export function countLoopTurns(): { stop(): number } {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  const first = setImmediate(tick);
  return {
    stop() {
      running = false;
      clearImmediate(first);
      return turns;
    },
  };
}

/**
 * Collects the client sockets Node creates (its `net.client.socket` channel) until `stop()`:
 * how a test gets hold of a third-party library's connection.
 */
export function captureClientSockets(): { sockets: Socket[]; stop(): void } {
  const sockets: Socket[] = [];
  const onSocket = (message: unknown): void => {
    sockets.push((message as { socket: Socket }).socket);
  };
  subscribe("net.client.socket", onSocket);
  return { sockets, stop: () => unsubscribe("net.client.socket", onSocket) };
}
