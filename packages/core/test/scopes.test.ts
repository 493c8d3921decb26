import {
  GreenThreadExit,
  getCurrent,
  Queue,
  sleep,
  spawn,
  spawnAfter,
  Timeout,
  withTimeout,
} from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { context, Scope } from "../src/thread/scope.js";

const settledShape = (results: PromiseSettledResult<unknown>[]) =>
  results.map((r) =>
    r.status === "fulfilled"
      ? r.value
      : r.reason instanceof Timeout
        ? "rejected Timeout"
        : `rejected ${String(r.reason)}`,
  );

describe("cancel scopes", () => {
  test("a withTimeout deadline does not reach a sibling branch of the same thread", () =>
    withVirtualHub(async (hub) => {
      const t = spawn(async () => {
        const results = await Promise.allSettled([
          withTimeout({ ms: 30, timeoutValue: "A" }, () => sleep(200)),
          (async () => {
            await sleep(120);
            return "B";
          })(),
        ]);
        return { results: settledShape(results), at: hub.now() };
      });
      expect(await t.wait()).toEqual({ results: ["A", "B"], at: 120 });
    }));

  test("an operation started before a withTimeout is not interrupted by it", () =>
    withVirtualHub(async () => {
      const q = new Queue<string>();
      const t = spawn(async () => {
        const pending = q.get();
        const late = await withTimeout({ ms: 10, timeoutValue: "late" }, () => sleep(100));
        return [late, await pending];
      });
      spawnAfter(50, () => q.put("item"));
      expect(await t.wait()).toEqual(["late", "item"]);
    }));

  test("two flows outside any spawned thread keep their own deadlines", () =>
    withVirtualHub(async (hub) => {
      const flow = async (name: string, deadline: number, work: number) => {
        try {
          await withTimeout(deadline, () => sleep(work));
          return `${name} done at ${hub.now()}`;
        } catch (error) {
          return `${name} ${error instanceof Timeout ? "timed out" : "failed"} at ${hub.now()}`;
        }
      };
      expect(getCurrent().name).toBe("main");
      const results = await Promise.all([flow("short", 100, 1000), flow("long", 5000, 200)]);
      expect(results).toEqual(["short timed out at 100", "long done at 200"]);
    }));

  test("a new Timeout covers the rest of its async function, not the branch beside it", () =>
    withVirtualHub(async (hub) => {
      const t = spawn(async () => {
        const guarded = async () => {
          await sleep(0);
          using _deadline = new Timeout(30);
          await sleep(200);
          return "not reached";
        };
        const beside = async () => {
          await sleep(120);
          return "beside";
        };
        const results = await Promise.allSettled([guarded(), beside()]);
        return { results: settledShape(results), at: hub.now() };
      });
      expect(await t.wait()).toEqual({ results: ["rejected Timeout", "beside"], at: 120 });
    }));

  test("a new Timeout created before the first await still covers its own function", () =>
    withVirtualHub(async (hub) => {
      const t = spawn(async () => {
        const timeout = new Timeout(30);
        try {
          await sleep(200);
          return "not reached";
        } catch (error) {
          return { same: error === timeout, at: hub.now() };
        } finally {
          timeout.cancel();
        }
      });
      expect(await t.wait()).toEqual({ same: true, at: 30 });
    }));

  test("after cancel() the code that follows belongs to the enclosing scope again", () =>
    withVirtualHub(async () => {
      const t = spawn(async () => {
        const outer = new Timeout(1000);
        const inner = new Timeout(10);
        inner.cancel();
        await sleep(50); // the cancelled inner deadline's time passes: nothing fires
        try {
          await sleep(2000);
          return "not reached";
        } catch (error) {
          return error === outer ? "outer" : "other";
        } finally {
          outer.cancel();
        }
      });
      expect(await t.wait()).toBe("outer");
    }));

  test("a loop over a function that arms a Timeout before its first await does not nest scopes", () =>
    withVirtualHub(async () => {
      // The Timeout's scope is entered in the caller's synchronous job too, so the caller's
      // next await carries it on, closed. Scopes opened after it must nest in the open one
      // around it, not in it: else the chain grows by one per call (memory, and every
      // operation walks it).
      const guarded = async () => {
        const deadline = new Timeout(1000);
        try {
          await sleep(1);
        } finally {
          deadline.cancel();
        }
      };
      const depth = () => {
        let n = 0;
        const here = context.get();
        for (let s = here instanceof Scope ? here : null; s !== null; s = s.parent) n++;
        return n;
      };
      let deepest = 0;
      const t = spawn(() =>
        withTimeout(5000, async () => {
          for (let i = 0; i < 1000; i++) {
            await guarded();
            await withTimeout(1000, () => sleep(1));
            deepest = Math.max(deepest, depth());
          }
          await sleep(10_000); // the enclosing deadline still reaches this thread
        }),
      );
      const outcome = await t.wait().then(
        () => "not reached",
        (error: unknown) =>
          error instanceof Timeout && error.ms === 5000 ? "fired" : String(error),
      );
      expect({ deepest, outer: outcome }).toEqual({ deepest: 2, outer: "fired" });
    }));

  test("kill interrupts every scope of the thread at once", () =>
    withVirtualHub(async () => {
      const outcomes: string[] = [];
      const note = (name: string) => (error: unknown) => {
        outcomes.push(`${name}: ${error instanceof GreenThreadExit ? "exit" : String(error)}`);
      };
      const t = spawn(async () => {
        await Promise.allSettled([
          withTimeout(1000, () => sleep(500)).catch(note("withTimeout")),
          withTimeout(1000, () => withTimeout(900, () => sleep(500))).catch(note("nested")),
          sleep(500).catch(note("root")),
        ]);
      });
      await sleep(10);
      await t.kill();
      expect(outcomes.sort()).toEqual(["nested: exit", "root: exit", "withTimeout: exit"]);
    }));

  test("an outer deadline passes through an inner withTimeout; timeoutValue claims only its own", () =>
    withVirtualHub(async () => {
      const t = spawn(() =>
        withTimeout({ ms: 10, timeoutValue: "outer" }, async () => {
          const inner = await withTimeout({ ms: 100, timeoutValue: "inner" }, () => sleep(1000));
          return `inner returned ${inner}`;
        }),
      );
      expect(await t.wait()).toBe("outer");
    }));

  test("an inner deadline leaves the enclosing withTimeout running", () =>
    withVirtualHub(async (hub) => {
      const result = await withTimeout(100, async () => {
        const inner = await withTimeout({ ms: 10, timeoutValue: "inner" }, () => sleep(50));
        await sleep(20);
        return `${inner} at ${hub.now()}`;
      });
      expect(result).toBe("inner at 30");
    }));

  test("a thread spawned inside a scope is its own thread, not part of the scope", () =>
    withVirtualHub(async () => {
      let child!: ReturnType<typeof spawn<[], string>>;
      const parent = await withTimeout({ ms: 10, timeoutValue: "parent timed out" }, async () => {
        child = spawn(async () => {
          await sleep(50);
          return "child finished";
        });
        await sleep(100);
        return "parent finished";
      });
      expect(parent).toBe("parent timed out");
      expect(await child.wait()).toBe("child finished");
    }));
});

// A random program: a thread runs branches side by side; a branch is a sequence of steps; a
// step sleeps, opens a scope (withTimeout, or a `new Timeout` in an async function) around
// branches of its own, or runs branches side by side. Optionally the thread is killed.
//
// Times are chosen so that no two events coincide: sleeps are multiples of 4 (every operation
// starts and ends at a multiple of 4), deadlines are 3 mod 4 after their scope's start plus a
// fraction unique to the scope, and the kill lands at 1 mod 4.
type Step =
  | { kind: "sleep"; ms: number }
  | { kind: "withTimeout" | "timeout"; ms: number; branches: Step[][] }
  | { kind: "all"; branches: Step[][] };

const stepArb = fc.letrec<{ step: Step; branches: Step[][] }>((tie) => ({
  step: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({
      kind: fc.constant("sleep" as const),
      ms: fc.integer({ min: 0, max: 10 }).map((n) => n * 4),
    }),
    fc.record({
      kind: fc.constantFrom("withTimeout" as const, "timeout" as const),
      ms: fc.integer({ min: 0, max: 10 }).map((n) => n * 4 + 3),
      branches: tie("branches") as fc.Arbitrary<Step[][]>,
    }),
    fc.record({
      kind: fc.constant("all" as const),
      branches: tie("branches") as fc.Arbitrary<Step[][]>,
    }),
  ),
  branches: fc.array(fc.array(tie("step") as fc.Arbitrary<Step>, { maxLength: 3 }), {
    minLength: 1,
    maxLength: 3,
  }),
}));

type Outcome = { start: number; end: number; result: "ok" | "timeout" | "exit" };

interface ScopeWindow {
  deadline: number;
  closeAt: number;
}

// The model: when each sleep starts and how it ends, computed from the scope rules alone.
function model(branches: Step[][], kill: number, ids: Map<Step, number>): Outcome[] {
  const out: Outcome[] = [];
  let killAt = Number.POSITIVE_INFINITY;
  type R = { end: number; failed: boolean };
  const runAll = (bs: Step[][], start: number, scopes: ScopeWindow[], rec: boolean): R => {
    const rs = bs.map((b) => runSeq(b, start, scopes, rec));
    const failed = rs.filter((r) => r.failed);
    if (failed.length > 0) return { end: Math.min(...failed.map((r) => r.end)), failed: true };
    return { end: Math.max(start, ...rs.map((r) => r.end)), failed: false };
  };
  const runSeq = (seq: Step[], start: number, scopes: ScopeWindow[], rec: boolean): R => {
    let t = start;
    for (const step of seq) {
      const r = runStep(step, t, scopes, rec);
      if (r.failed) return r;
      t = r.end;
    }
    return { end: t, failed: false };
  };
  const runStep = (step: Step, start: number, scopes: ScopeWindow[], rec: boolean): R => {
    if (step.kind === "sleep") {
      const end = start + step.ms;
      let hit = Number.POSITIVE_INFINITY;
      let result: Outcome["result"] = "ok";
      for (const s of scopes) {
        if (s.deadline > start && s.deadline < end && s.deadline <= s.closeAt && s.deadline < hit) {
          hit = s.deadline;
          result = "timeout";
        }
      }
      if (killAt > start && killAt < end && killAt < hit) {
        hit = killAt;
        result = "exit";
      }
      if (rec) out[ids.get(step) as number] = { start, end: result === "ok" ? end : hit, result };
      return { end: result === "ok" ? end : hit, failed: result !== "ok" };
    }
    if (step.kind === "all") return runAll(step.branches, start, scopes, rec);
    const deadline = start + deadlineOf(step, ids);
    const body = runAll(
      step.branches,
      start,
      [...scopes, { deadline, closeAt: Number.POSITIVE_INFINITY }],
      false,
    );
    const closeAt = Math.min(body.end, (scopes[0] as ScopeWindow).closeAt);
    return runAll(step.branches, start, [...scopes, { deadline, closeAt }], rec);
  };
  // When the thread's function settles the thread ends: its Timeouts are cancelled and a
  // later kill finds it dead, while detached branches run on in it untouched.
  const root = { deadline: Number.POSITIVE_INFINITY, closeAt: Number.POSITIVE_INFINITY };
  const threadEnd = runAll(branches, 0, [root], false).end;
  killAt = kill < threadEnd ? kill : Number.POSITIVE_INFINITY;
  runAll(branches, 0, [{ deadline: Number.POSITIVE_INFINITY, closeAt: threadEnd }], true);
  return out;
}

// Numbers the steps in tree order; a scope's deadline gets its number as a unique fraction.
function numberSteps(branches: Step[][]): Map<Step, number> {
  const ids = new Map<Step, number>();
  const visit = (bs: Step[][]) => {
    for (const b of bs)
      for (const s of b) {
        ids.set(s, ids.size);
        if (s.kind !== "sleep") visit(s.branches);
      }
  };
  visit(branches);
  return ids;
}
const deadlineOf = (step: Step & { ms: number }, ids: Map<Step, number>) =>
  step.ms + ((ids.get(step) as number) + 1) / 1024;

describe("cancel scope properties", () => {
  test("every operation is interrupted iff a deadline of its scope fired or its thread was killed", async () => {
    await fc.assert(
      fc.asyncProperty(
        stepArb.branches,
        fc.option(
          fc.integer({ min: 0, max: 30 }).map((n) => n * 4 + 1),
          { nil: undefined },
        ),
        (branches, killAt) =>
          withVirtualHub(async (hub) => {
            const ids = numberSteps(branches);
            const seen: Outcome[] = [];
            const runAll = (bs: Step[][]) => Promise.all(bs.map(runSeq));
            const runSeq = async (seq: Step[]) => {
              for (const step of seq) await runStep(step);
            };
            const runStep = async (step: Step): Promise<unknown> => {
              if (step.kind === "sleep") {
                const start = hub.now();
                const id = ids.get(step) as number;
                try {
                  await sleep(step.ms);
                  seen[id] = { start, end: hub.now(), result: "ok" };
                } catch (error) {
                  const result = error instanceof Timeout ? "timeout" : "exit";
                  seen[id] = { start, end: hub.now(), result };
                  throw error;
                }
                return;
              }
              if (step.kind === "all") return runAll(step.branches);
              const ms = deadlineOf(step, ids);
              if (step.kind === "withTimeout") return withTimeout(ms, runAll, step.branches);
              // `new Timeout` after the function's first await (see Timeout's documentation).
              await null;
              using _deadline = new Timeout(ms);
              await runAll(step.branches);
            };
            const thread = spawn(() => runAll(branches));
            const killer = killAt === undefined ? null : spawnAfter(killAt, () => thread.kill());
            await thread.wait().catch(() => {});
            killer?.cancel();
            await killer?.wait().catch(() => {});
            // Detached branches (siblings of a failed one) run on: let them finish.
            await hub.runUntilIdle();
            const expected = model(branches, killAt ?? Number.POSITIVE_INFINITY, ids);
            expect(seen).toEqual(expected);
          }),
      ),
      { numRuns: 150 },
    );
  });
});
