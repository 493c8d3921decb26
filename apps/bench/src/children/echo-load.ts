/**
 * The common load client of the echo suite, in raw node:net so that it costs every server the
 * same: C connections, each doing R ping-pongs of a 64-byte message (the next ping leaves when
 * the whole echo is back), all connections at once. Measures round trips per second over the
 * timed phase and the latency of each round trip (p50, p99).
 *
 * Two phases:
 * 1. Ramp (reported as `rampMs`, not timed into the rate): open the C connections, 100 at a
 *    time, then send one ping on every connection and wait until every echo is back. A
 *    client's `connect` completes in the kernel before the server accepts, and libuv (>= 1.45,
 *    every Node this project supports) accepts one connection per event-loop iteration; so
 *    without this phase the timed rounds would race the server's accept backlog, and the
 *    result would swing by ±15% from run to run on which server happened to win the race.
 * 2. Timed: R ping-pongs on every connection, all at once.
 *
 * usage: node echo-load.js <port> <connections> <rounds>
 */

import { connect, type Socket } from "node:net";
import { emit, percentile } from "../harness.js";

const [portArg = "0", cArg = "1000", rArg = "200"] = process.argv.slice(2);
const PORT = Number(portArg);
const C = Number(cArg);
const R = Number(rArg);
const SIZE = 64;
const message = Buffer.alloc(SIZE, 0x61);

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: PORT }, () => resolve(socket));
    socket.once("error", reject);
  });
}

// Resolves once every socket has had `rounds` whole echoes of `message`; records the latency
// of each round trip into `latencies` (when given).
function pingPong(sockets: Socket[], rounds: number, latencies?: Float64Array): Promise<number> {
  let recorded = 0;
  let finished = 0;
  return new Promise<number>((resolveAll, rejectAll) => {
    for (const socket of sockets) {
      let done = 0;
      let got = 0;
      let sentAt = performance.now();
      const onData = (chunk: Buffer): void => {
        got += chunk.length;
        if (got < SIZE) return;
        if (got > SIZE) {
          rejectAll(new Error(`received ${got} bytes for a ${SIZE}-byte ping`));
          return;
        }
        const now = performance.now();
        if (latencies) latencies[recorded] = now - sentAt;
        recorded++;
        got = 0;
        done++;
        if (done === rounds) {
          socket.off("data", onData);
          socket.off("error", rejectAll);
          if (++finished === sockets.length) resolveAll(recorded);
          return;
        }
        sentAt = now;
        socket.write(message);
      };
      socket.on("data", onData);
      socket.on("error", rejectAll);
      socket.write(message);
    }
  });
}

const rampStart = performance.now();
// Connect in batches, so that the kernel's backlog is never the thing measured.
const sockets: Socket[] = [];
for (let i = 0; i < C; i += 100) {
  const batch = await Promise.all(Array.from({ length: Math.min(100, C - i) }, open));
  sockets.push(...batch);
}
await pingPong(sockets, 1);
const rampMs = performance.now() - rampStart;

const latencies = new Float64Array(C * R);
const t0 = performance.now();
const recorded = await pingPong(sockets, R, latencies);
const seconds = (performance.now() - t0) / 1000;
for (const socket of sockets) socket.destroy();
const all = Array.from(latencies.subarray(0, recorded));
emit({
  roundTrips: recorded,
  seconds: Math.round(seconds * 1000) / 1000,
  roundTripsPerSec: Math.round(recorded / seconds),
  p50Ms: Math.round(percentile(all, 50) * 100) / 100,
  p99Ms: Math.round(percentile(all, 99) * 100) / 100,
  rampMs: Math.round(rampMs),
});
