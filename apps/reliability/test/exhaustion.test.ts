// Resource exhaustion: a child process under `ulimit -n 64` runs `serve` and `serveHttp`; the
// test opens connections until the child runs out of descriptors, checks that the accept loop
// survives it, and that both servers answer again once the descriptors are freed.
import { type ChildProcess, spawn as spawnProcess } from "node:child_process";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { Section } from "./results.js";

const section = new Section("exhaustion", "Resource exhaustion");
const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "fixtures", "exhaust-child.ts");
const FD_LIMIT = 64;
const MAX_ATTEMPTS = 120; // bounded: well past the limit

afterAll(() => section.write());

/** Opens a connection and says whether the echo server answered it ("served"), closed it, or
 * left it waiting (`waitMs` is a bound on waiting, not a measurement). */
function tryConnection(
  port: number,
  held: Socket[],
  waitMs: number,
): Promise<"served" | "closed" | "waiting"> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port }, () => s.write("x"));
    held.push(s);
    const timer = setTimeout(() => resolve("waiting"), waitMs);
    s.once("data", () => {
      clearTimeout(timer);
      resolve("served");
    });
    s.once("close", () => {
      clearTimeout(timer);
      resolve("closed");
    });
    s.on("error", () => {});
  });
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    req.end();
  });
}

// Child processes under `ulimit -n` are driven out of descriptors and back: up to a minute under load.
describe(`serve and serveHttp under ulimit -n ${FD_LIMIT}`, { timeout: 60_000 }, () => {
  test("survive running out of descriptors, and recover when they are freed", async () => {
    const child: ChildProcess = spawnProcess(
      "bash",
      [
        "-c",
        `ulimit -n ${FD_LIMIT}; exec "$0" --conditions=source --import tsx "$1"`,
        process.execPath,
        CHILD,
      ],
      { cwd: join(here, ".."), stdio: ["pipe", "pipe", "inherit"] },
    );
    const held: Socket[] = [];
    try {
      const codes: string[] = [];
      let resolvePorts: (p: { serve: number; http: number }) => void = () => {};
      const ports = new Promise<{ serve: number; http: number }>((r) => {
        resolvePorts = r;
      });
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        const msg = JSON.parse(line) as { serve?: number; http?: number; code?: string };
        if (msg.serve !== undefined && msg.http !== undefined)
          resolvePorts({ serve: msg.serve, http: msg.http });
        else if (msg.code !== undefined) codes.push(msg.code);
      });
      const { serve: servePort, http: httpPort } = await ports;
      expect(await httpGet(httpPort)).toBe("alive");

      let served = 0;
      let unserved = 0;
      let closedByServer = 0;
      for (let i = 0; i < MAX_ATTEMPTS && unserved < 3; i++) {
        const outcome = await tryConnection(servePort, held, 300);
        if (outcome === "served") served++;
        else unserved++;
        if (outcome === "closed") closedByServer++;
      }
      expect(served).toBeGreaterThan(10); // it served connections up to the limit…
      expect(served).toBeLessThan(FD_LIMIT); // …and then the limit was really reached
      expect(unserved).toBe(3);
      expect(child.exitCode).toBeNull(); // the process survived

      for (const s of held) s.destroy();
      held.length = 0;
      // Recovery: bounded retries while the child notices the closes and its backoff ends.
      let recovered = false;
      for (let i = 0; i < 50 && !recovered; i++) {
        recovered = (await tryConnection(servePort, held, 1000)) === "served";
        for (const s of held) s.destroy();
        held.length = 0;
      }
      expect(recovered).toBe(true);
      expect(await httpGet(httpPort)).toBe("alive");
      section.record(`serve + serveHttp in a child under ulimit -n ${FD_LIMIT}`, {
        connectionsServedAtLimit: served,
        connectionsUnservedAtLimit: unserved,
        unservedClosedByServer: closedByServer,
        unservedLeftWaiting: unserved - closedByServer,
        acceptErrorsReported: codes.length,
        errorCodes: [...new Set(codes)].join(", ") || "none (libuv dropped the excess itself)",
        processSurvived: true,
        serveRecovered: recovered,
        serveHttpRecovered: true,
      });
    } finally {
      for (const s of held) s.destroy();
      child.stdin?.end();
      child.kill();
    }
  });
});
