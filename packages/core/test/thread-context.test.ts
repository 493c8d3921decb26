import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type GreenThread, getCurrent, sleep, spawn } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { describe, expect, test } from "vitest";

// Thread identity travels on V8 promise hooks (or AsyncLocalStorage with TENDRIL_CONTEXT=als); CI
// runs this file on Node 20 and 24, and the "als" carrier has a run of its own below.
describe("thread identity across continuations", () => {
  test("survives awaits of native promises, thenables, Promise.all, async generators and then()", () =>
    withVirtualHub(async () => {
      const seen: Array<GreenThread<unknown>> = [];
      const note = () => seen.push(getCurrent());
      async function* numbers() {
        await sleep(1);
        yield 1;
        note();
        yield 2;
      }
      const t = spawn(async () => {
        note();
        await Promise.resolve();
        note();
        // biome-ignore lint/suspicious/noThenProperty: the point is to await a thenable
        await { then: (resolve: (v: number) => void) => resolve(1) };
        note();
        await Promise.all([sleep(2), sleep(3)]);
        note();
        for await (const _ of numbers()) note();
        await Promise.resolve().then(note);
        await new Promise<void>((resolve) => queueMicrotask(resolve));
        note();
      });
      await t.wait();
      expect(seen.length).toBe(9);
      for (const s of seen) expect(s).toBe(t);
    }));

  test("two threads interleaving on the same promises keep their own identity", () =>
    withVirtualHub(async () => {
      const gate = sleep(5);
      const mismatches: string[] = [];
      const worker = async (name: string) => {
        const me = getCurrent();
        for (let i = 0; i < 5; i++) {
          await gate;
          await sleep(i);
          if (getCurrent() !== me) mismatches.push(`${name}@${i}`);
        }
      };
      const a = spawn(worker, "a");
      const b = spawn(worker, "b");
      await a.wait();
      await b.wait();
      expect(mismatches).toEqual([]);
    }));

  test("does not leak out of a thread into later callbacks of the main program", async () => {
    const t = spawn(async () => {
      await sleep(0);
      return getCurrent();
    });
    const inside = await t.wait();
    expect(inside).toBe(t);
    const outside = await new Promise<GreenThread<unknown>>((resolve) =>
      setImmediate(() => resolve(getCurrent())),
    );
    expect(outside.name).toBe("main");
    expect(getCurrent().name).toBe("main");
  });
});

// The carrier is chosen once per process, so the AsyncLocalStorage one runs in a child process
// against the built package (the README's test command builds before testing).
describe("the AsyncLocalStorage carrier (TENDRIL_CONTEXT=als)", () => {
  test("keeps identity across awaits and still lets kill and Timeout interrupt", async () => {
    const script = `
      import { getCurrent, sleep, spawn, withTimeout, GreenThreadExit } from "@tendril/core";
      const t = spawn(async () => {
        const me = getCurrent();
        await Promise.resolve();
        await sleep(1);
        const late = await withTimeout({ ms: 5, timeoutValue: "late" }, () => sleep(1000));
        return getCurrent() === me && late === "late";
      });
      const k = spawn(() => sleep(10_000));
      await sleep(0);
      await k.kill();
      const killed = await k.wait().catch((e) => e instanceof GreenThreadExit);
      console.log(JSON.stringify({ same: await t.wait(), killed }));
    `;
    const cwd = join(dirname(fileURLToPath(import.meta.url)), "..");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", script],
      { cwd, env: { ...process.env, TENDRIL_CONTEXT: "als" }, timeout: 20_000 },
    );
    expect(JSON.parse(stdout)).toEqual({ same: true, killed: true });
  }, 30_000);
});

// What importing Tendril costs a process that does not use it: the promise hooks carrier is
// installed only once the first thread starts or the first Timeout or scope is created, and
// where AsyncLocalStorage rides on AsyncContextFrame (Node 24 and later) it is the default.
describe("the carrier's cost to code that does not use it", () => {
  const cwd = join(dirname(fileURLToPath(import.meta.url)), "..");
  const countHooks = async (use: string, env: Record<string, string>) => {
    const script = `
      import { promiseHooks } from "node:v8";
      let installed = 0;
      const createHook = promiseHooks.createHook;
      promiseHooks.createHook = (hooks) => { installed++; return createHook(hooks); };
      const core = await import("@tendril/core");
      for (let i = 0; i < 100; i++) await Promise.resolve(i);
      const before = installed;
      await (${use})(core);
      console.log(JSON.stringify({ before, after: installed }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", script],
      { cwd, env: { ...process.env, ...env }, timeout: 20_000 },
    );
    return JSON.parse(stdout) as { before: number; after: number };
  };
  const uses = {
    "a thread": "async ({ spawn }) => spawn(() => 1).wait()",
    "a Timeout": "async ({ Timeout }) => new Timeout(10).cancel()",
    "a withTimeout scope": "({ withTimeout }) => withTimeout(10, () => 1)",
  };

  for (const [what, use] of Object.entries(uses)) {
    test(`TENDRIL_CONTEXT=hooks installs the hooks at ${what}, not at import`, async () => {
      expect(await countHooks(use, { TENDRIL_CONTEXT: "hooks" })).toEqual({ before: 0, after: 1 });
    }, 30_000);
  }

  test.skipIf(Number(process.versions.node.split(".")[0]) < 24)(
    "on Node 24+, a thread starts in the root async context: the spawner's own AsyncLocalStorage values stay out, scopes inside keep them",
    async () => {
      const script = `
        import { AsyncLocalStorage } from "node:async_hooks";
        const core = await import("@tendril/core");
        const als = new AsyncLocalStorage();
        const t = als.run("request-1", () =>
          core.spawn(async () => {
            const atStart = als.getStore();
            const inScope = await als.run("inner", () =>
              core.withTimeout(1000, async () => {
                await core.sleep(1);
                return als.getStore();
              }),
            );
            return { atStart: atStart ?? null, inScope, same: core.getCurrent() === t };
          }),
        );
        console.log(JSON.stringify(await t.wait()));
      `;
      const { TENDRIL_CONTEXT: _, ...env } = process.env;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--input-type=module", "-e", script],
        { cwd, env: { ...env, TENDRIL_CONTEXT: "" }, timeout: 20_000 },
      );
      expect(JSON.parse(stdout)).toEqual({ atStart: null, inScope: "inner", same: true });
    },
    30_000,
  );

  test("by default, Node 24 and later carry scopes on AsyncLocalStorage: no hooks at all", async () => {
    const { TENDRIL_CONTEXT: _, ...env } = process.env;
    const major = Number(process.versions.node.split(".")[0]);
    const result = await countHooks(uses["a thread"], { ...env, TENDRIL_CONTEXT: "" });
    expect(result).toEqual({ before: 0, after: major >= 24 ? 0 : 1 });
  }, 30_000);
});
