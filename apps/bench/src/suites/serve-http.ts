/**
 * `pnpm bench serve-http`: Tendril's `serveHttp` against raw `node:http` (the floor) under
 * autocannon — 100 keep-alive connections of GETs for 10 s (2 s with --quick), for a "hello
 * world" and a 16 KiB response. Contenders: raw `node:http`, `serveHttp` with green-net's
 * `Response` (the lazy one), and `serveHttp` with the platform's `Response` (to show what it
 * costs on this Node). Servers are pinned to CPU 0, autocannon to CPU 1.
 *
 * Beside requests/s and p99 latency it reports the server's CPU time per request, which a
 * busy shared machine disturbs far less than throughput.
 */

import { spawn as spawnProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { benchRoot, median, printTable, type Row, runChild } from "../harness.js";

interface ServerChild {
  port: number;
  /** Starts counting the server's CPU time. */
  mark(): void;
  /** Stops it; resolves with the CPU microseconds since `mark()`. */
  stop(): Promise<number>;
}

function startServer(mode: string, size: string): Promise<ServerChild> {
  const script = join(benchRoot, "dist", "children", "serve-http-server.js");
  const argv = [script, mode, size];
  const child = existsSync("/usr/bin/taskset")
    ? spawnProcess("/usr/bin/taskset", ["-c", "0", process.execPath, ...argv], {
        stdio: ["ignore", "pipe", "inherit"],
      })
    : spawnProcess(process.execPath, argv, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    out += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve-http-server ${mode} did not print its port within 20 s:\n${out}`));
    }, 20_000);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`serve-http-server ${mode} exited with ${code} before listening:\n${out}`));
    };
    child.once("exit", onExit);
    const check = (): void => {
      const match = /^PORT (\d+)$/m.exec(out);
      if (!match) return;
      child.stdout.off("data", check);
      child.off("exit", onExit);
      clearTimeout(timer);
      resolve({
        port: Number(match[1]),
        mark: () => child.kill("SIGUSR2"),
        stop: () =>
          new Promise((done) => {
            const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
            child.once("exit", () => {
              clearTimeout(kill);
              const cpu = /^CPU (\d+)$/m.exec(out);
              done(cpu ? Number(cpu[1]) : Number.NaN);
            });
            child.kill("SIGTERM");
          }),
      });
    };
    child.stdout.on("data", check);
  });
}

export async function run({ quick }: { quick: boolean }): Promise<void> {
  const seconds = quick ? 2 : 10;
  const connections = 100;
  const rounds = quick ? 1 : 3;
  const contenders: Array<[string, string]> = [
    ["raw node:http (floor)", "raw"],
    ["Tendril serveHttp + green-net Response", "tendril"],
    ["Tendril serveHttp + platform Response", "tendril-platform"],
  ];
  for (const size of ["hello", "16k"]) {
    const samples = new Map<
      string,
      { rps: number[]; p99: number[]; cpu: number[]; errors: number }
    >(contenders.map(([name]) => [name, { rps: [], p99: [], cpu: [], errors: 0 }]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, mode] of contenders) {
        const server = await startServer(mode, size);
        let load: Record<string, number | string> | undefined;
        try {
          const url = `http://127.0.0.1:${server.port}/`;
          await runChild("serve-http-load.js", [url, String(connections), "1"], { cpus: "1" }); // warm-up
          server.mark();
          load = await runChild("serve-http-load.js", [url, String(connections), String(seconds)], {
            cpus: "1",
          });
        } finally {
          const cpu = await server.stop();
          const s = samples.get(name) as {
            rps: number[];
            p99: number[];
            cpu: number[];
            errors: number;
          };
          if (load !== undefined) {
            s.rps.push(Number(load.rps));
            s.p99.push(Number(load.p99));
            s.cpu.push(cpu / Number(load.requests));
            s.errors += Number(load.non2xx) + Number(load.errors);
          }
        }
      }
    }
    const rows: Row[] = contenders.map(([name]) => {
      const s = samples.get(name) as {
        rps: number[];
        p99: number[];
        cpu: number[];
        errors: number;
      };
      return {
        name,
        "req/s": median(s.rps),
        "p99 ms": median(s.p99),
        "CPU µs/req": median(s.cpu),
        errors: String(s.errors),
      };
    });
    printTable(
      `serve-http: ${size === "16k" ? "16 KiB" : '"hello world"'} response, autocannon ${connections} connections × ${seconds} s, server on CPU 0 (median of ${rounds}) — node ${process.version}`,
      rows,
      ["req/s", "p99 ms", "CPU µs/req", "errors"],
      "req/s",
    );
    const floor = rows[0];
    if (floor) {
      const p99 = rows.map((r) =>
        typeof r["p99 ms"] === "number" &&
        typeof floor["p99 ms"] === "number" &&
        floor["p99 ms"] > 0
          ? `${r.name}: ${(r["p99 ms"] / floor["p99 ms"]).toFixed(2)}x`
          : `${r.name}: -`,
      );
      console.log(`p99 ×floor: ${p99.join("; ")}`);
    }
  }
}
