// Load and soak: many concurrent connections held by one process (bytes per connection),
// sequential keep-alive requests, and a million spawn/wait cycles — each in a child process
// run with --expose-gc, so heap figures are taken after a full GC and are this workload's alone.
// Bounds are generous on purpose (the machine is shared); what they catch is growth: a leak
// per cycle, per request or per connection shows up as a slope, which these bounds refuse.
import { type ChildProcess, execFile, spawn as spawnProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { Section } from "./results.js";

const section = new Section("soak", "Load and soak");
const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "fixtures", "soak-child.ts");
const NODE_ARGS = ["--expose-gc", "--conditions=source", "--import", "tsx", CHILD];

// The sizes, on every run (about 20 s in all on a 2-core machine): a million
// spawn/wait cycles, 100,000 keep-alive requests, 10,000 connections held at once.
const SPAWN_CYCLES = 1_000_000;
const KEEPALIVE_REQUESTS = 100_000;
const CONNECTIONS = 10_000;

/** This process's descriptor limit (Node raises the soft limit to the hard one at startup). */
function descriptorLimit(): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === "unlimited" ? Number.POSITIVE_INFINITY : Number(soft);
}

interface Sample {
  heapUsed: number;
  rss: number;
  fds: number;
}

function runChild(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...NODE_ARGS, ...args],
      { cwd: join(here, ".."), timeout: 580_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "{}"));
      },
    );
  });
}

/** Heap growth from the first tenth to the last, and descriptors opened meanwhile. */
function growth(samples: Sample[]): { heapFirst: number; heapLast: number; fdGrowth: number } {
  const first = samples[0] as Sample;
  const last = samples[samples.length - 1] as Sample;
  return { heapFirst: first.heapUsed, heapLast: last.heapUsed, fdGrowth: last.fds - first.fds };
}

const MiB = 1024 * 1024;

/** What the serve child reports: its port first, then its figures on each "stats" request. */
interface ServerStats extends Sample {
  port: number;
  connections: number;
}

afterAll(() => section.write());

// Soaks at the full sizes, each in a child process. Bounded by count; the time bound
// leaves room for a shared machine (about 20 s in all on an idle one).
describe("soak", { timeout: 300_000 }, () => {
  test(`${SPAWN_CYCLES.toLocaleString("en-US")} spawn/wait cycles: flat heap after GC, no descriptor growth`, async () => {
    const result = await runChild(["spawn", String(SPAWN_CYCLES)]);
    expect(result.checksum).toBe(true); // every thread ran and gave its own result
    const g = growth(result.samples as Sample[]);
    const flat = g.heapLast <= g.heapFirst * 1.25 + 2 * MiB;
    section.record(
      "spawn/wait cycles (waves of 1,000), child with --expose-gc",
      {
        cycles: SPAWN_CYCLES,
        ms: Math.round(result.ms as number),
        heapFirstTenthMiB: g.heapFirst / MiB,
        heapLastTenthMiB: g.heapLast / MiB,
        fdGrowth: g.fdGrowth,
      },
      flat && g.fdGrowth <= 0,
    );
    expect(flat, JSON.stringify(g)).toBe(true);
    // No growth: a descriptor Node itself closes meanwhile (a startup pipe) may make it negative.
    expect(g.fdGrowth).toBeLessThanOrEqual(0);
  });

  test(`${KEEPALIVE_REQUESTS.toLocaleString("en-US")} sequential keep-alive requests (urlopen → serveHttp): flat heap, one connection`, async () => {
    const result = await runChild(["keepalive", String(KEEPALIVE_REQUESTS)]);
    expect(result.failed).toBe(0);
    const g = growth(result.samples as Sample[]);
    const flat = g.heapLast <= g.heapFirst * 1.25 + 2 * MiB;
    section.record(
      "sequential keep-alive requests, child with --expose-gc",
      {
        requests: KEEPALIVE_REQUESTS,
        failed: result.failed as number,
        msPerRequest: (result.ms as number) / KEEPALIVE_REQUESTS,
        heapFirstTenthMiB: g.heapFirst / MiB,
        heapLastTenthMiB: g.heapLast / MiB,
        fdGrowth: g.fdGrowth,
      },
      flat && g.fdGrowth <= 0,
    );
    expect(flat, JSON.stringify(g)).toBe(true);
    // No growth: a descriptor Node itself closes meanwhile (a startup pipe) may make it negative.
    expect(g.fdGrowth).toBeLessThanOrEqual(0);
  });

  test(`${CONNECTIONS.toLocaleString("en-US")} concurrent connections held by one serve() process`, async () => {
    // Each side holds one descriptor per connection (this process the clients, the child the
    // server's ends): a machine whose limit is lower cannot make the claim, and says so.
    const limit = descriptorLimit();
    expect(
      limit,
      `${CONNECTIONS} connections need a descriptor limit above ${CONNECTIONS + 200}; this machine allows ${limit} (raise the hard limit: ulimit -Hn)`,
    ).toBeGreaterThan(CONNECTIONS + 200);
    const child: ChildProcess = spawnProcess(process.execPath, NODE_ARGS.concat("serve"), {
      cwd: join(here, ".."),
      stdio: ["pipe", "pipe", "inherit"],
    });
    const sockets: Socket[] = [];
    try {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[
        Symbol.asyncIterator
      ]();
      const next = async (): Promise<ServerStats> =>
        JSON.parse(((await lines.next()).value as string | undefined) ?? "{}");
      const stats = async (): Promise<ServerStats> => {
        child.stdin?.write("stats\n");
        return next();
      };
      const { port } = await next();
      const before = await stats();

      // Open in batches; each connection proves it is served by an echo before the next batch.
      const BATCH = 500;
      for (let i = 0; i < CONNECTIONS; i += BATCH) {
        await Promise.all(
          Array.from(
            { length: Math.min(BATCH, CONNECTIONS - i) },
            () =>
              new Promise<void>((resolve, reject) => {
                const s = connect({ host: "127.0.0.1", port }, () => s.write("x"));
                sockets.push(s);
                s.once("data", () => resolve());
                s.once("error", reject);
              }),
          ),
        );
      }
      const held = await stats();
      const perConnection = (held.rss - before.rss) / CONNECTIONS;
      const heapPerConnection = (held.heapUsed - before.heapUsed) / CONNECTIONS;
      expect(held.connections).toBe(CONNECTIONS);

      for (const s of sockets) s.destroy();
      let after = await stats();
      for (let i = 0; i < 200 && (after.connections > 0 || after.fds > before.fds); i++) {
        await new Promise((r) => setTimeout(r, 20));
        after = await stats();
      }
      section.record(
        "concurrent connections held by one serve() process (echo checked on each)",
        {
          connectionsHeld: held.connections,
          rssBytesPerConnection: Math.round(perConnection),
          heapBytesPerConnection: Math.round(heapPerConnection),
          descriptorsWhileHeld: held.fds,
          connectionsAfterClose: after.connections,
          descriptorGrowthAfterClose: after.fds - before.fds,
        },
        after.connections === 0 && after.fds <= before.fds,
      );
      expect(after.connections).toBe(0);
      expect(after.fds).toBeLessThanOrEqual(before.fds);
    } finally {
      for (const s of sockets) s.destroy();
      child.kill();
    }
  });
});
