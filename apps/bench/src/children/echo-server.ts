/**
 * An echo server for the echo and idle suites. Prints `PORT n` once listening; on SIGTERM
 * prints `CPU <ms used>` and `RSS <peak MB>` and exits. For the idle suite (`--report-idle N`) it also prints one
 * `RESULT {json}` line once N connections are open: memory before and after, per connection.
 *
 * - `raw`: node:net, `socket.on("data", (d) => socket.write(d))` — the floor.
 * - `tendril`: Tendril's `serve` + `GreenSocket`, the handler written in the blocking style of
 *   the seed page (`recv(4096)` until empty, `sendall` what came).
 * - `await`: the same blocking-style loop with nothing but the language — a promise per read
 *   resolved from the `data` event, an `await` per write — and no Tendril loaded: what
 *   async/await itself costs against the floor.
 * - `await-threads`: that loop again, each connection's loop spawned as a Tendril green thread:
 *   what carrying thread identity (V8 promise hooks) adds, without GreenSocket.
 *
 * Tendril is imported only by the modes that use it, so the other processes run without its
 * promise hooks.
 *
 * usage: node echo-server.js <raw|tendril|await|await-threads> [--report-idle N]
 */

import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import type { GreenSocket } from "@tendril/green-net";

const [mode = "raw", ...rest] = process.argv.slice(2);
const idleIndex = rest.indexOf("--report-idle");
const idleTarget = idleIndex >= 0 ? Number(rest[idleIndex + 1]) : 0;
const BACKLOG = 4096;

const gc = (globalThis as { gc?: () => void }).gc;
function memory(): { rss: number; heap: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

let open = 0;
let before: { rss: number; heap: number } | null = null;
let reported = false;

function connectionOpened(): void {
  open++;
  if (idleTarget > 0 && open === idleTarget && !reported) {
    reported = true;
    // Let the last connections settle (their first reads are posted) before measuring.
    setTimeout(() => {
      const after = memory();
      const b = before as { rss: number; heap: number };
      process.stdout.write(
        `RESULT ${JSON.stringify({
          connections: open,
          rssBeforeMb: Math.round(b.rss / 1048576),
          rssAfterMb: Math.round(after.rss / 1048576),
          rssPerConnection: Math.round((after.rss - b.rss) / open),
          heapPerConnection: Math.round((after.heap - b.heap) / open),
        })}\n`,
      );
    }, 500);
  }
}

process.on("SIGTERM", () => {
  const cpu = process.cpuUsage();
  process.stdout.write(`CPU ${Math.round((cpu.user + cpu.system) / 1000)}\n`);
  process.stdout.write(`RSS ${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);
  process.exit(0);
});

function listenRaw(onConnection: (socket: Socket) => void): void {
  const server = createServer((socket: Socket) => {
    connectionOpened();
    onConnection(socket);
  });
  server.listen({ host: "127.0.0.1", port: 0, backlog: BACKLOG }, () => {
    before = memory();
    const address = server.address();
    process.stdout.write(`PORT ${typeof address === "object" && address ? address.port : 0}\n`);
  });
}

const RESOLVED = Promise.resolve();

// The blocking-style echo loop on a plain socket: `recv` is a promise per chunk (null at the
// end), the write awaits room when Node's buffer is full and otherwise a resolved promise, as
// `sendall`'s fast path does.
async function awaitLoop(socket: Socket): Promise<void> {
  let waiting: ((chunk: Buffer | null) => void) | null = null;
  const queued: Array<Buffer | null> = [];
  const deliver = (chunk: Buffer | null): void => {
    const w = waiting;
    if (w === null) queued.push(chunk);
    else {
      waiting = null;
      w(chunk);
    }
  };
  socket.on("data", deliver);
  socket.on("end", () => deliver(null));
  socket.on("error", () => {
    socket.destroy();
    deliver(null);
  });
  const recv = (): Promise<Buffer | null> =>
    queued.length > 0
      ? Promise.resolve(queued.shift() as Buffer | null)
      : new Promise<Buffer | null>((resolve) => {
          waiting = resolve;
        });
  for (;;) {
    const data = await recv();
    if (data === null) break;
    if (socket.write(data)) await RESOLVED;
    else await once(socket, "drain");
  }
  socket.destroy();
}

if (mode === "raw") {
  listenRaw((socket) => {
    socket.on("data", (data) => socket.write(data));
    socket.on("error", () => socket.destroy());
    socket.on("end", () => socket.end());
  });
} else if (mode === "await") {
  listenRaw((socket) => void awaitLoop(socket));
} else if (mode === "await-threads") {
  const { spawnN } = await import("@tendril/core");
  listenRaw((socket) => spawnN(awaitLoop, socket));
} else if (mode === "tendril") {
  const { listen, serve } = await import("@tendril/green-net");
  const listener = await listen(["127.0.0.1", 0], { backlog: BACKLOG });
  before = memory();
  const address = listener.address();
  process.stdout.write(`PORT ${typeof address === "object" ? address.port : 0}\n`);
  await serve(
    listener,
    async (sock: GreenSocket) => {
      connectionOpened();
      for (;;) {
        const data = await sock.recv(4096);
        if (data.length === 0) break;
        await sock.sendall(data);
      }
    },
    { concurrency: 20_000 },
  );
} else {
  throw new Error(`unknown mode ${JSON.stringify(mode)}`);
}
