import { afterEach, describe, expect, it } from "vitest";
import { killAll, lineClient, start } from "./run.js";

afterEach(killAll);

describe("backdoor", () => {
  it("serves a REPL on 127.0.0.1 that sees the running program's objects and threads", async () => {
    const program = start("backdoor", ["--port", "0", "--workers", "3"]);
    const [, host, port] = await program.waitFor(/backdoor on (127\.0\.0\.1):(\d+)/);
    expect(host).toBe("127.0.0.1");
    const client = await lineClient(Number(port));
    try {
      client.send("workers.length\n");
      // The prompt carries no newline, so each answer arrives behind one.
      expect(await client.nextLine()).toBe("tendril> 3");
      client.send("listThreads().filter((t) => t.name.startsWith('worker-')).length\n");
      expect(await client.nextLine()).toBe("tendril> 3");
      client.send("await new Promise((r) => setTimeout(r, 100)), stats.processed > 0\n");
      expect(await client.nextLine()).toBe("tendril> true");
    } finally {
      client.close();
    }
    program.child.kill("SIGINT");
    expect(await program.exited()).toBe(0);
    expect(program.stdout()).toMatch(/stopped after \d+ jobs/);
  });
});
