/**
 * `pnpm bench idle`: one server process holding 10,000 idle connections (1,000 with --quick),
 * each with its handler parked in `recv` — Tendril's `serve` beside raw node:net (the floor).
 * The connections come from a separate client process; the server reports its RSS and heap
 * before and after, and the table shows bytes per connection. Raise `ulimit -n` above the
 * connection count first (both processes need one descriptor per connection).
 */

import { execFileSync, spawn as spawnProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { benchRoot, printTable, type Row } from "../harness.js";

function fdLimit(): number {
  try {
    return Number(execFileSync("bash", ["-c", "ulimit -n"], { encoding: "utf8" }).trim());
  } catch {
    return 1024;
  }
}

/** Runs the server and the idle client; resolves the server's RESULT. */
function measure(mode: string, n: number): Promise<Record<string, number>> {
  const server = spawnProcess(
    existsSync("/usr/bin/taskset") ? "/usr/bin/taskset" : process.execPath,
    [
      ...(existsSync("/usr/bin/taskset") ? ["-c", "0", process.execPath] : []),
      "--expose-gc",
      join(benchRoot, "dist", "children", "echo-server.js"),
      mode,
      "--report-idle",
      String(n),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  server.stdout.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let client: ReturnType<typeof spawnProcess> | null = null;
    const timer = setTimeout(
      () => finish(new Error(`idle ${mode}: no result within 120 s:\n${out}`)),
      120_000,
    );
    const finish = (error: Error | null, result?: Record<string, number>) => {
      clearTimeout(timer);
      client?.kill("SIGKILL");
      server.kill("SIGKILL");
      if (error) reject(error);
      else resolve(result as Record<string, number>);
    };
    server.on("exit", (code) => {
      if (!/^RESULT /m.test(out))
        finish(new Error(`idle ${mode}: server exited with ${code}:\n${out}`));
    });
    server.stdout.on("data", (chunk: string) => {
      out += chunk;
      const port = /^PORT (\d+)$/m.exec(out);
      if (port && client === null) {
        client = spawnProcess(
          process.execPath,
          [join(benchRoot, "dist", "children", "idle-client.js"), port[1] as string, String(n)],
          { stdio: ["ignore", "inherit", "inherit"] },
        );
      }
      const result = /^RESULT (.*)$/m.exec(out);
      if (result) finish(null, JSON.parse(result[1] as string) as Record<string, number>);
    });
  });
}

export async function run({ quick }: { quick: boolean }): Promise<void> {
  let n = quick ? 1000 : 10_000;
  const limit = fdLimit();
  if (limit < n + 200) {
    console.log(
      `idle: ulimit -n is ${limit}; measuring ${limit - 200} connections instead of ${n}`,
    );
    n = limit - 200;
  }
  const rows: Row[] = [];
  for (const [name, mode] of [
    ["raw node:net (floor)", "raw"],
    ["Tendril serve + GreenSocket, handler parked in recv", "tendril"],
  ] as const) {
    const m = await measure(mode, n);
    rows.push({
      name,
      connections: m.connections,
      "RSS before MB": m.rssBeforeMb,
      "RSS after MB": m.rssAfterMb,
      "RSS bytes/conn": m.rssPerConnection,
      "heap bytes/conn": m.heapPerConnection,
    });
  }
  printTable(
    `idle: ${n.toLocaleString("en-US")} idle connections held by one server process — node ${process.version}`,
    rows,
    ["connections", "RSS before MB", "RSS after MB", "RSS bytes/conn", "heap bytes/conn"],
    "RSS bytes/conn",
  );
}
