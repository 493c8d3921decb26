import { GreenThreadExit, isTimeout, sleep, spawn, Timeout, withTimeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { ProcessFailed, run, spawnProcess } from "@tendril/green-net/subprocess";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

const NODE = process.execPath;
// A child that says "ready", writes "term" when it receives SIGTERM and ignores it, and
// otherwise runs for a minute.
const STUBBORN =
  "process.on('SIGTERM', () => process.stdout.write('term\\n'));" +
  "process.stdout.write('ready\\n'); setTimeout(() => {}, 60000);";

function childProcesses(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "ProcessWrap").length;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let baseline: ReturnType<typeof leakBaseline>;
let processes = 0;
beforeEach(() => {
  baseline = leakBaseline();
  processes = childProcesses();
});
afterEach(async () => {
  await expectNoLeaks(baseline);
  // Node closes a child's handle a moment after its exit is reported.
  for (let i = 0; i < 200 && childProcesses() > processes; i++)
    await new Promise((resolve) => setTimeout(resolve, 5));
  expect(childProcesses()).toBe(processes);
});

describe("run", () => {
  test("collects stdout, stderr and the exit status", async () => {
    const result = await run("sh", ["-c", "echo out; echo err >&2; exit 3"]);
    expect(result.stdout.toString()).toBe("out\n");
    expect(result.stderr.toString()).toBe("err\n");
    expect(result.exitCode).toBe(3);
    expect(result.signal).toBeNull();
    expect(result.command).toBe("sh");
  });

  test("feeds input and reads output at the same time, so a megabyte each way does not deadlock", async () => {
    const input = Buffer.alloc(1 << 20, "abcdefgh");
    const result = await run("cat", [], { input });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.equals(input)).toBe(true);
  });

  test("check: true rejects with ProcessFailed carrying the status and what the command wrote", async () => {
    const error = await run("sh", ["-c", "echo nope >&2; exit 2"], { check: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProcessFailed);
    const failed = error as ProcessFailed;
    expect(failed.code).toBe("ERR_TENDRIL_PROCESS_FAILED");
    expect(failed.exitCode).toBe(2);
    expect(failed.stderr.toString()).toBe("nope\n");
    expect(failed.message).toContain("exited with status 2");
  });

  test("a command that does not exist rejects with Node's ENOENT and leaves no pipe open", async () => {
    const error = await run("/nonexistent/tendril-command").catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  test("a child that exits without reading its input is not an error", async () => {
    const result = await run("true", [], { input: Buffer.alloc(1 << 20) });
    expect(result.exitCode).toBe(0);
  });

  test("a Timeout of the calling thread kills the child and the error reaches the caller", async () => {
    await withVirtualHub(async () => {
      let proc: Awaited<ReturnType<typeof spawnProcess>> | undefined;
      const error = await withTimeout(60_000, async () => {
        proc = await spawnProcess("sleep", ["60"]);
        return proc.communicate();
      }).catch((e: unknown) => e);
      expect(isTimeout(error)).toBe(true);
      if (proc === undefined) throw new Error("the process did not start");
      expect(await proc.wait()).toEqual({ exitCode: null, signal: "SIGTERM" });
      expect(isAlive(proc.pid)).toBe(false);
    });
  });
});

describe("spawnProcess", () => {
  test("streams output line by line as green reads while the child runs", async () => {
    const proc = await spawnProcess("sh", ["-c", "read name; echo hello $name; read x; echo bye"]);
    const stdin = proc.stdin as NonNullable<typeof proc.stdin>;
    const stdout = proc.stdout as NonNullable<typeof proc.stdout>;
    await stdin.sendall("tendril\n");
    expect(await stdout.readLine()).toBe("hello tendril\n");
    await stdin.sendall("\n");
    expect(await stdout.readLine()).toBe("bye\n");
    expect(await stdout.readLine()).toBe("");
    expect(await proc.wait()).toEqual({ exitCode: 0, signal: null });
    expect(proc.exit).toEqual({ exitCode: 0, signal: null });
    await stdin.close();
  });

  test("stdout can be read by async iteration, chunk by chunk", async () => {
    const proc = await spawnProcess("sh", ["-c", "for i in 1 2 3; do echo line$i; done"], {
      stdin: "ignore",
      stderr: "ignore",
    });
    expect(proc.stdin).toBeNull();
    expect(proc.stderr).toBeNull();
    let all = "";
    for await (const chunk of proc.stdout as NonNullable<typeof proc.stdout>)
      all += Buffer.from(chunk).toString();
    expect(all).toBe("line1\nline2\nline3\n");
    expect((await proc.wait()).exitCode).toBe(0);
  });

  test("communicate sends input, closes stdin and returns everything", async () => {
    const proc = await spawnProcess("sort");
    const result = await proc.communicate("b\nc\na\n");
    expect(result.stdout.toString()).toBe("a\nb\nc\n");
    expect(result.exitCode).toBe(0);
  });

  test("killing the thread that waits kills the child with the configured signal; wait() again reports it", async () => {
    const proc = await spawnProcess("sleep", ["60"], { killSignal: "SIGINT" });
    const waiter = spawn(() => proc.wait());
    await sleep(0);
    await waiter.kill();
    await expect(waiter.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    expect(await proc.wait()).toEqual({ exitCode: null, signal: "SIGINT" });
    expect(isAlive(proc.pid)).toBe(false);
  });

  test("a child that ignores the kill signal gets SIGKILL after the grace period, on the hub's clock", async () => {
    const proc = await spawnProcess(NODE, ["-e", STUBBORN], { killGraceMs: 5000 });
    const stdout = proc.stdout as NonNullable<typeof proc.stdout>;
    expect(await stdout.readLine()).toBe("ready\n");
    await withVirtualHub(
      async (hub) => {
        const waiter = spawn(async () => {
          using _deadline = new Timeout(1000);
          // `return await`: the Timeout must still be armed while the wait runs.
          return await proc.wait();
        });
        // Observe the thread's failure before it happens, so it is never reported as unobserved.
        const failed = waiter.wait().catch((e: unknown) => e);
        await sleep(0);
        await hub.advance(1000);
        expect(isTimeout(await failed)).toBe(true);
        // SIGTERM came first: the child says so, and is still running.
        expect(await stdout.readLine()).toBe("term\n");
        expect(proc.exit).toBeNull();
        await hub.advance(4999);
        expect(proc.exit).toBeNull();
        await hub.advance(1);
        expect(await proc.wait()).toEqual({ exitCode: null, signal: "SIGKILL" });
      },
      { autojump: false },
    );
    expect(await stdout.readLine()).toBe("");
  });

  test("terminate() ends the child and waits for it", async () => {
    const proc = await spawnProcess("sleep", ["60"]);
    expect(await proc.terminate()).toEqual({ exitCode: null, signal: "SIGTERM" });
    expect(proc.kill()).toBe(false);
  });

  test("await using ends a running child and closes its pipes", async () => {
    let pid = 0;
    {
      await using proc = await spawnProcess("sleep", ["60"]);
      pid = proc.pid;
    }
    expect(isAlive(pid)).toBe(false);
  });

  test("bad arguments are TypeErrors that name what was received", async () => {
    await expect(spawnProcess("")).rejects.toThrow(
      /command must be a non-empty string, received ""/,
    );
    await expect(spawnProcess(42 as unknown as string)).rejects.toThrow(/received 42/);
    await expect(spawnProcess("ls", "-l" as unknown as string[])).rejects.toThrow(
      /args must be an array of strings, received "-l"/,
    );
    await expect(spawnProcess("ls", [], { stdout: "file" as "pipe" })).rejects.toThrow(
      /stdout must be "pipe", "ignore" or "inherit", received "file"/,
    );
    await expect(spawnProcess("ls", [], { killSignal: "SIGNOPE" as "SIGTERM" })).rejects.toThrow(
      /killSignal must be a signal name .* received "SIGNOPE"/,
    );
    await expect(spawnProcess("ls", [], { killGraceMs: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(run("cat", [], { input: 7 as unknown as string })).rejects.toThrow(
      /input must be a string or a Uint8Array, received 7/,
    );
    const proc = await spawnProcess("true", [], { stdin: "ignore" });
    await expect(proc.communicate("x")).rejects.toThrow(/stdin is not "pipe"/);
    await proc.communicate();
  });
});
