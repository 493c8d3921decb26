import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { killAll, lineClient, run, start } from "./run.js";

afterEach(killAll);

describe("port-forwarder", () => {
  it("prints its help with --help", async () => {
    const { code, stdout } = await run("port-forwarder", ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--target <HOST:PORT>/);
  });

  it("refuses a malformed --target with status 2", async () => {
    const { code, stderr } = await run("port-forwarder", ["--target", "nowhere"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--target must be HOST:PORT, received "nowhere"/);
  });

  it("relays both ways to --target, passing on the end of stream", async () => {
    // The target: a plain node:net server that upper-cases what it gets, and ends when the
    // client ends — so the forwarder must pass the half-close on.
    const target = createServer((socket) => {
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => socket.write(chunk.toUpperCase()));
      socket.on("end", () => socket.end("BYE\n"));
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    const targetPort = (target.address() as { port: number }).port;
    const forwarder = start("port-forwarder", [
      "--listen",
      "127.0.0.1:0",
      "--target",
      `127.0.0.1:${targetPort}`,
    ]);
    try {
      const [, port] = await forwarder.waitFor(/forwarding 127\.0\.0\.1:(\d+) →/);
      const client = await lineClient(Number(port));
      client.send("through the forwarder\n");
      expect(await client.nextLine()).toBe("THROUGH THE FORWARDER");
      client.send("again\n");
      expect(await client.nextLine()).toBe("AGAIN");
      client.close();
      await forwarder.waitFor(/⇄ target: 28 B up, 28 B down|⇄ target/);
      forwarder.child.kill("SIGINT");
      expect(await forwarder.exited()).toBe(0);
      expect(forwarder.stdout()).toMatch(/stopped: 1 connection/);
    } finally {
      await new Promise((resolve) => target.close(resolve));
    }
  });

  it("with no --target, forwards to the embedded internet", async () => {
    const forwarder = start("port-forwarder", ["--listen", "127.0.0.1:0", "--duration", "10s"]);
    const [, port] = await forwarder.waitFor(/forwarding 127\.0\.0\.1:(\d+) →/);
    await forwarder.waitFor(/try: curl/);
    const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/<h1>.+<\/h1>/);
    forwarder.child.kill("SIGTERM");
    expect(await forwarder.exited()).toBe(0);
  });
});
