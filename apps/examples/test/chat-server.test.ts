import { afterEach, describe, expect, it } from "vitest";
import { killAll, lineClient, run, start } from "./run.js";

afterEach(killAll);

describe("chat-server", () => {
  it("prints its help with --help", async () => {
    const { code, stdout } = await run("chat-server", ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/chat-server — /);
  });

  it("broadcasts each line to every other participant, not back to its sender", async () => {
    const server = start("chat-server", ["--port", "0"]);
    const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const alice = await lineClient(Number(port));
    expect(await alice.nextLine()).toMatch(/welcome, guest-1: nobody else/);
    const bob = await lineClient(Number(port));
    expect(await bob.nextLine()).toMatch(/welcome, guest-2: 1 here with you/);
    expect(await alice.nextLine()).toBe("* guest-2 joined");
    const carol = await lineClient(Number(port));
    await carol.nextLine();
    await alice.nextLine();
    await bob.nextLine();

    alice.send("hello room\n");
    expect(await bob.nextLine()).toBe("guest-1: hello room");
    expect(await carol.nextLine()).toBe("guest-1: hello room");
    bob.send("hi alice\n");
    // Alice's next line is Bob's, so her own line was not echoed back to her.
    expect(await alice.nextLine()).toBe("guest-2: hi alice");
    expect(await carol.nextLine()).toBe("guest-2: hi alice");

    carol.send("/nick carol\n");
    expect(await alice.nextLine()).toBe("* guest-3 is now carol");
    expect(await carol.nextLine()).toBe("* guest-3 is now carol"); // told too
    carol.send("hello both\n");
    expect(await bob.nextLine()).toBe("* guest-3 is now carol");
    expect(await bob.nextLine()).toBe("carol: hello both");

    bob.close();
    expect(await alice.nextLine()).toBe("carol: hello both");
    expect(await alice.nextLine()).toBe("* guest-2 left");
    expect(await carol.nextLine()).toBe("* guest-2 left");

    server.child.kill("SIGTERM");
    expect(await server.exited()).toBe(0);
    await alice.closed();
    await carol.closed();
    alice.close();
    carol.close();
    expect(server.stdout()).toMatch(/guest-1 joined from 127\.0\.0\.1/);
    expect(server.stdout()).toMatch(/chat server stopped/);
  });

  it("stops by itself after --duration", async () => {
    const { code, stdout } = await run("chat-server", ["--port", "0", "--duration", "500ms"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/chat server stopped/);
  });
});
