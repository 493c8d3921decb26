import { afterEach, describe, expect, it } from "vitest";
import { killAll, lineClient, run, start } from "./run.js";

afterEach(killAll);

describe("echo-server", () => {
  it("prints its help with --help and exits 0", async () => {
    const { code, stdout } = await run("echo-server", ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: node dist\/echo-server\.js/);
    expect(stdout).toMatch(/--port <PORT>/);
  });

  it("rejects a bad flag with status 2 and a hint", async () => {
    const { code, stderr } = await run("echo-server", ["--port", "many"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--port must be 0–65535, received "many"/);
    expect(stderr).toMatch(/--help/);
  });

  it("echoes lines, logs connects and disconnects, and exits 0 on SIGINT", async () => {
    const server = start("echo-server", ["--port", "0"]);
    const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const client = await lineClient(Number(port));
    client.send("hello\nsecond line\n");
    expect(await client.nextLine()).toBe("hello");
    expect(await client.nextLine()).toBe("second line");
    await server.waitFor(/connected/);
    const idle = await lineClient(Number(port)); // still connected at Ctrl-C
    server.child.kill("SIGINT");
    expect(await server.exited()).toBe(0);
    await idle.closed();
    client.close();
    idle.close();
    expect(server.stdout()).toMatch(/disconnected/);
    expect(server.stdout()).toMatch(/stopped after 2 connections/);
  });

  it("runs the seed page's byte-at-a-time handler with --simple, and stops after --duration", async () => {
    const server = start("echo-server", ["--port", "0", "--simple", "--duration", "3s"]);
    const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+) \(simple\)/);
    const client = await lineClient(Number(port));
    client.send("no newline needed, but here is one\n");
    expect(await client.nextLine()).toBe("no newline needed, but here is one");
    expect(await server.exited()).toBe(0);
    await client.closed();
    client.close();
  });
});

describe("echo-client", () => {
  it("loads a running echo server and prints round trips per second", async () => {
    const server = start("echo-server", ["--port", "0", "--quiet"]);
    const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const { code, stdout } = await run("echo-client", [
      "--port",
      port as string,
      "-c",
      "5",
      "-d",
      "1s",
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/round trips\s+per second/);
    const row = stdout.trim().split("\n").at(-1) as string;
    const [total, perSecond, , , , errors] = row.trim().split(/\s{2,}/);
    expect(Number(total?.replace(/,/g, ""))).toBeGreaterThan(0);
    expect(Number(perSecond?.replace(/,/g, ""))).toBeGreaterThan(0);
    expect(errors).toBe("0");
    server.child.kill("SIGTERM");
    expect(await server.exited()).toBe(0);
  });

  it("starts its own echo server when given no --port, and honours --count", async () => {
    const { code, stdout } = await run("echo-client", ["-c", "3", "--count", "50", "-d", "10s"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/started an echo server/);
    expect(stdout).toMatch(/\b150\b/); // 3 connections × 50 round trips
  });

  it("fails with status 1 when nothing listens", async () => {
    const { code, stderr } = await run("echo-client", ["--port", "1", "-c", "1", "-d", "1s"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/ECONNREFUSED/);
  });
});
