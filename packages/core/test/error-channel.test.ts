import {
  GreenPool,
  getHub,
  RealHub,
  setErrorReporter,
  setHub,
  sleep,
  spawn,
  spawnN,
} from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { afterEach, beforeEach, describe, expect, test } from "vitest";

let printed: unknown[] = [];
let previousReporter: ReturnType<typeof setErrorReporter>;
beforeEach(() => {
  printed = [];
  previousReporter = setErrorReporter((error) => printed.push(error));
});
afterEach(() => {
  setErrorReporter(previousReporter);
});

describe("one error channel: core reports through the hub's reportError", () => {
  test("a failing spawnN under withVirtualHub appears in reportedErrors, then at the reporter", () =>
    withVirtualHub(async (hub) => {
      const boom = new Error("boom");
      spawnN(() => {
        throw boom;
      });
      await sleep(0);
      expect(hub.reportedErrors.map((r) => r.error)).toEqual([boom]);
      expect(hub.reportedErrors[0]?.source).toMatch(/green thread/);
      expect(printed).toEqual([boom]);
    }));

  test("link failures, unobserved spawn failures and pool spawnN failures take the same way", () =>
    withVirtualHub(async (hub) => {
      const inLink = new Error("in link");
      const unobserved = new Error("never waited for");
      const inPool = new Error("in pool");
      const t = spawn(() => 1);
      t.link(() => {
        throw inLink;
      });
      spawn(() => {
        throw unobserved;
      });
      const pool = new GreenPool(1);
      await pool.spawnN(() => {
        throw inPool;
      });
      await pool.waitall();
      await sleep(0);
      const errors = hub.reportedErrors.map((r) => r.error);
      expect(errors).toHaveLength(3);
      expect(errors).toEqual(expect.arrayContaining([inLink, unobserved, inPool]));
      expect(printed).toEqual(errors);
    }));

  test("a hub installed with setHub receives the reports; restoring the default hub stops that", async () => {
    const received: unknown[] = [];
    class RecordingHub extends RealHub {
      override reportError(error: unknown, source?: string): void {
        received.push(error);
        super.reportError(error, source);
      }
    }
    const previous = setHub(new RecordingHub());
    try {
      spawnN(() => {
        throw new Error("seen by the hub");
      });
      await sleep(0);
    } finally {
      setHub(previous);
    }
    expect(received).toHaveLength(1);
    expect(printed).toHaveLength(1);
    expect(getHub()).toBe(previous);
    spawnN(() => {
      throw new Error("after");
    });
    await sleep(0);
    expect(received).toHaveLength(1);
    expect(printed).toHaveLength(2);
  });
});
