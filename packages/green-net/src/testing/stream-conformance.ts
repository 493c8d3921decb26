/**
 * A conformance check for anything that behaves like a connected pair of `GreenSocket`s —
 * TCP, TLS, a Unix socket, or a test double — so that every transport is held to the same
 * contract: bytes arrive whole and in order through partial reads, the end of the stream reads
 * as empty (again and again), closing a socket wakes its reader, an interrupted read loses
 * nothing, a second simultaneous read is refused, and a writer facing a reader that does not
 * read is held back instead of buffering without bound.
 *
 * It uses only green threads and `sleep`, and no test framework: a failed check throws an
 * `Error` whose message names the check.
 *
 * @module
 */

import { GreenThreadExit, sleep, spawn, withTimeout } from "@tendril/core";

/**
 * The part of `GreenSocket` the check exercises.
 *
 * @example
 * ```ts
 * // Anything with recv, sendall and close can be checked; a GreenSocket is one.
 * const pair: readonly [StreamLike, StreamLike] = [client, server];
 * ```
 */
export interface StreamLike {
  recv(maxBytes: number): Promise<Uint8Array>;
  sendall(data: Uint8Array | string): Promise<void>;
  /** Optional: half-close (`"write"`). Without it, the end-of-stream check closes instead. */
  shutdown?(how?: "write"): Promise<void>;
  close(): Promise<void>;
}

/**
 * Makes a fresh connected pair; each check gets its own and closes both ends after.
 *
 * @example
 * ```ts
 * const makePair: MakeStreamPair = async () => {
 *   const listener = await listen(["127.0.0.1", 0]);
 *   const client = await connect(listener.address() as AddressInfo);
 *   const [server] = await listener.accept();
 *   await listener.close();
 *   return [client, server];
 * };
 * ```
 */
export type MakeStreamPair = () => Promise<readonly [StreamLike, StreamLike]>;

/**
 * The checks, by name.
 *
 * @example
 * ```ts
 * const passed: StreamCheck[] = await checkStreamPair(makePair); // ["round trip", …]
 * ```
 */
export type StreamCheck =
  | "round trip"
  | "partial reads"
  | "end of stream"
  | "close while reading"
  | "interrupted read"
  | "second simultaneous read"
  | "backpressure";

/**
 * Options of `checkStreamPair`.
 *
 * @example
 * ```ts
 * await checkStreamPair(makePair, { skip: ["backpressure"], stepTimeoutMs: 2000 });
 * ```
 */
export interface StreamCheckOptions {
  /** Checks to leave out (e.g. `"second simultaneous read"` for a stream that allows it). */
  skip?: StreamCheck[];
  /** How far a writer may get ahead of a reader that does not read. Default 16 MiB. */
  backpressureLimit?: number;
  /** The most milliseconds any single step may take before the check fails. Default 5000. */
  stepTimeoutMs?: number;
}

const ALL: StreamCheck[] = [
  "round trip",
  "partial reads",
  "end of stream",
  "close while reading",
  "interrupted read",
  "second simultaneous read",
  "backpressure",
];

class CheckFailed extends Error {}

function fail(check: StreamCheck, message: string): never {
  throw new CheckFailed(`stream conformance: ${check}: ${message}`);
}

function pattern(length: number, seed = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function readN(
  check: StreamCheck,
  sock: StreamLike,
  n: number,
  maxBytes = 65536,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let filled = 0;
  while (filled < n) {
    const chunk = await sock.recv(Math.min(maxBytes, n - filled));
    if (chunk.length === 0) fail(check, `the stream ended after ${filled} of ${n} bytes`);
    out.set(chunk, filled);
    filled += chunk.length;
  }
  return out;
}

/**
 * Runs the stream contract against pairs from `makePair` and resolves the names of the checks
 * that passed; throws on the first failure.
 *
 * @throws {Error} `stream conformance: <check>: <what went wrong>`.
 * @example
 * ```ts
 * await checkStreamPair(async () => {
 *   const listener = await listen(["127.0.0.1", 0]);
 *   const client = await connect(listener.address() as AddressInfo);
 *   const [server] = await listener.accept();
 *   await listener.close();
 *   return [client, server];
 * });
 * ```
 */
export async function checkStreamPair(
  makePair: MakeStreamPair,
  options: StreamCheckOptions = {},
): Promise<StreamCheck[]> {
  const skip = new Set(options.skip ?? []);
  const limit = options.backpressureLimit ?? 16 * 1024 * 1024;
  const stepTimeout = options.stepTimeoutMs ?? 5000;
  const passed: StreamCheck[] = [];
  const step = <T>(check: StreamCheck, what: string, fn: () => Promise<T>): Promise<T> =>
    withTimeout(stepTimeout, fn).catch((error: unknown) => {
      if (error instanceof CheckFailed) throw error;
      if ((error as { code?: string })?.code === "ERR_TENDRIL_TIMEOUT") {
        fail(check, `${what} did not finish within ${stepTimeout} ms`);
      }
      throw new CheckFailed(`stream conformance: ${check}: ${what} failed: ${String(error)}`, {
        cause: error,
      });
    });

  for (const check of ALL) {
    if (skip.has(check)) continue;
    const [a, b] = await makePair();
    try {
      await runCheck(check, a, b, limit, step);
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
    }
    passed.push(check);
  }
  return passed;
}

type Step = <T>(check: StreamCheck, what: string, fn: () => Promise<T>) => Promise<T>;

async function runCheck(
  check: StreamCheck,
  a: StreamLike,
  b: StreamLike,
  limit: number,
  step: Step,
): Promise<void> {
  switch (check) {
    case "round trip": {
      const there = pattern(100_000, 1);
      const back = pattern(50_000, 2);
      const sender = spawn(() => a.sendall(there));
      const got = await step(check, "reading what a sent", () => readN(check, b, there.length));
      await step(check, "a's sendall", () => sender.wait());
      if (!equal(got, there)) fail(check, "b received other bytes than a sent");
      const replier = spawn(() => b.sendall(back));
      const reply = await step(check, "reading what b sent", () => readN(check, a, back.length));
      await step(check, "b's sendall", () => replier.wait());
      if (!equal(reply, back)) fail(check, "a received other bytes than b sent");
      return;
    }
    case "partial reads": {
      const data = pattern(1000, 3);
      await step(check, "sendall", () => a.sendall(data));
      const out = new Uint8Array(data.length);
      let filled = 0;
      while (filled < data.length) {
        const chunk = await step(check, "recv(7)", () => b.recv(7));
        if (chunk.length === 0) fail(check, `the stream ended after ${filled} bytes`);
        if (chunk.length > 7) fail(check, `recv(7) returned ${chunk.length} bytes`);
        out.set(chunk, filled);
        filled += chunk.length;
      }
      if (!equal(out, data)) fail(check, "the bytes were reassembled out of order or changed");
      return;
    }
    case "end of stream": {
      await step(check, "sendall", () => a.sendall("last words"));
      if (a.shutdown)
        await step(check, "shutdown", () =>
          (a.shutdown as (how: "write") => Promise<void>)("write"),
        );
      else await step(check, "close", () => a.close());
      const got = await step(check, "reading the last bytes", () => readN(check, b, 10));
      if (new TextDecoder().decode(got) !== "last words")
        fail(check, "the bytes before the end were changed");
      for (let i = 0; i < 2; i++) {
        const end = await step(check, "recv at the end", () => b.recv(100));
        if (end.length !== 0)
          fail(check, `recv after the end returned ${end.length} bytes instead of none`);
      }
      if (a.shutdown) {
        // Half-close: the other direction still works.
        await step(check, "sendall after the peer's shutdown", () => b.sendall("still here"));
        const reply = await step(check, "reading after own shutdown", () => readN(check, a, 10));
        if (new TextDecoder().decode(reply) !== "still here")
          fail(check, "half-closed direction lost bytes");
      }
      return;
    }
    case "close while reading": {
      const reader = spawn(() => b.recv(100));
      await sleep(0);
      await sleep(0);
      await step(check, "close", () => b.close());
      const outcome = await step(check, "the reader waking", () =>
        reader.wait().then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
      );
      if (outcome.ok && outcome.value.length !== 0) {
        fail(check, `a read woken by close returned ${outcome.value.length} bytes`);
      }
      return;
    }
    case "interrupted read": {
      const reader = spawn(() => b.recv(100));
      await sleep(0);
      await sleep(0);
      await reader.kill();
      const outcome = await reader.wait().then(
        () => "returned",
        (error: unknown) => (error instanceof GreenThreadExit ? "killed" : String(error)),
      );
      if (outcome !== "killed")
        fail(check, `a killed read should end with GreenThreadExit, it ${outcome}`);
      await step(check, "sendall", () => a.sendall("after the kill"));
      const got = await step(check, "the next read", () => readN(check, b, 14));
      if (new TextDecoder().decode(got) !== "after the kill")
        fail(check, "bytes were lost or changed after a killed read");
      return;
    }
    case "second simultaneous read": {
      const first = spawn(() => b.recv(100));
      await sleep(0);
      await sleep(0);
      const second = await withTimeout({ ms: 1000, timeoutValue: "waited" }, () =>
        b.recv(100).then(
          () => "returned data",
          () => "refused",
        ),
      );
      if (second !== "refused")
        fail(check, `a second simultaneous read was not refused: it ${second}`);
      await step(check, "sendall", () => a.sendall("for the first"));
      const got = await step(check, "the first read", () => first.wait());
      if (got.length === 0) fail(check, "the first reader got nothing");
      return;
    }
    case "backpressure": {
      const chunk = pattern(64 * 1024, 4);
      const total = Math.ceil((limit * 2) / chunk.length) * chunk.length;
      let sent = 0;
      const writer = spawn(async () => {
        while (sent < total) {
          await a.sendall(chunk);
          sent += chunk.length;
        }
      });
      // Wait until the writer makes no progress for several looks in a row.
      let last = -1;
      let still = 0;
      for (let looks = 0; looks < 500 && still < 5 && !writer.dead; looks++) {
        await sleep(10);
        if (sent === last) still++;
        else {
          still = 0;
          last = sent;
        }
      }
      if (writer.dead) {
        await writer.wait();
        fail(check, `sendall sent ${sent} bytes to a reader that read nothing: it never waited`);
      }
      if (sent > limit)
        fail(check, `the writer got ${sent} bytes ahead of a reader that read nothing`);
      // Now read everything: the writer must finish and every byte must arrive.
      let received = 0;
      while (received < total) {
        const got = await step(check, "draining", () => b.recv(256 * 1024));
        if (got.length === 0) fail(check, `the stream ended after ${received} of ${total} bytes`);
        received += got.length;
      }
      await step(check, "the writer finishing", () => writer.wait());
      return;
    }
  }
}
