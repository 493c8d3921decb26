/**
 * The common load client of the echo suite, in raw node:net so that it costs every server the
 * same: C connections, each doing R ping-pongs of a 64-byte message (the next ping leaves when
 * the whole echo is back), all connections at once. Measures round trips per second over the
 * whole run and the latency of each round trip (p50, p99).
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

// Connect in batches, so that the kernel's backlog is never the thing measured.
const sockets: Socket[] = [];
for (let i = 0; i < C; i += 100) {
  const batch = await Promise.all(Array.from({ length: Math.min(100, C - i) }, open));
  sockets.push(...batch);
}

const latencies = new Float64Array(C * R);
let recorded = 0;
let finished = 0;
const t0 = performance.now();
await new Promise<void>((resolveAll, rejectAll) => {
  for (const socket of sockets) {
    let rounds = 0;
    let got = 0;
    let sentAt = performance.now();
    socket.on("data", (chunk: Buffer) => {
      got += chunk.length;
      if (got < SIZE) return;
      if (got > SIZE) {
        rejectAll(new Error(`received ${got} bytes for a ${SIZE}-byte ping`));
        return;
      }
      const now = performance.now();
      latencies[recorded++] = now - sentAt;
      got = 0;
      rounds++;
      if (rounds === R) {
        socket.end();
        if (++finished === C) resolveAll();
        return;
      }
      sentAt = now;
      socket.write(message);
    });
    socket.on("error", rejectAll);
    socket.write(message);
  }
});
const seconds = (performance.now() - t0) / 1000;
for (const socket of sockets) socket.destroy();
const all = Array.from(latencies.subarray(0, recorded));
emit({
  roundTrips: recorded,
  seconds: Math.round(seconds * 1000) / 1000,
  roundTripsPerSec: Math.round(recorded / seconds),
  p50Ms: Math.round(percentile(all, 50) * 100) / 100,
  p99Ms: Math.round(percentile(all, 99) * 100) / 100,
});
