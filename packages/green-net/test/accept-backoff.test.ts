// AcceptBackoff: the one accept-retry policy of serve and serveConnections — which failures are
// transient, and the wait between tries (10 ms doubling to 1 s, from the start again after a
// successful accept). Time is the virtual hub's.
import { getHub, spawn } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { AcceptBackoff } from "@tendril/green-net";
import { describe, expect, test } from "vitest";

const failure = (code: string) =>
  Object.assign(new Error(`accept ${code}`), { code, syscall: "accept" });

describe("AcceptBackoff", () => {
  test("transient accept failures are retryable; anything else is not", () => {
    for (const code of ["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM", "ECONNABORTED", "EPROTO"]) {
      expect(AcceptBackoff.retryable(failure(code)), code).toBe(true);
    }
    expect(AcceptBackoff.retryable(failure("EINVAL"))).toBe(false);
    expect(AcceptBackoff.retryable(failure("EBADF"))).toBe(false);
    expect(AcceptBackoff.retryable(new TypeError("a bug"))).toBe(false);
    expect(AcceptBackoff.retryable({ code: "EMFILE" })).toBe(false);
    expect(AcceptBackoff.retryable(undefined)).toBe(false);
  });

  test("wait() sleeps 10 ms, doubling up to 1 s; reset() starts over", () =>
    withVirtualHub(async (hub) => {
      const backoff = new AcceptBackoff();
      const slept: number[] = [];
      const thread = spawn(async () => {
        for (let i = 0; i < 9; i++) {
          const before = getHub().now();
          await backoff.wait();
          slept.push(getHub().now() - before);
        }
        backoff.reset();
        const before = getHub().now();
        await backoff.wait();
        slept.push(getHub().now() - before);
      });
      await hub.runUntilIdle();
      await thread.wait();
      expect(slept).toEqual([10, 20, 40, 80, 160, 320, 640, 1000, 1000, 10]);
      expect(backoff.nextDelay).toBe(20);
    }));
});
