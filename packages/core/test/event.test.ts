import { Event, GreenThreadExit, sleep, spawn, TendrilError, Timeout } from "@tendril/core";
import { withVirtualHub } from "@tendril/core/testing";
import { describe, expect, test } from "vitest";

describe("Event", () => {
  test("wait resolves with the sent value, for every waiter, in FIFO order", () =>
    withVirtualHub(async () => {
      const event = new Event<number>();
      const order: number[] = [];
      const threads = [0, 1, 2].map((i) =>
        spawn(async () => {
          const v = await event.wait();
          order.push(i);
          return v;
        }),
      );
      await sleep(0);
      expect(event.waiting()).toBe(3);
      event.send(7);
      expect(await Promise.all(threads.map((t) => t.wait()))).toEqual([7, 7, 7]);
      expect(order).toEqual([0, 1, 2]);
      expect(await event.wait()).toBe(7); // returns at once once sent
    }));

  test("send never waits and a second send throws", () => {
    const event = new Event<string>();
    event.send("a");
    expect(() => event.send("b")).toThrow(TendrilError);
    expect(() => event.sendException(new Error("x"))).toThrow(/already sent/);
    expect(event.poll()).toBe("a");
  });

  test("a stored exception is re-thrown by every wait", async () => {
    const event = new Event();
    const boom = new Error("boom");
    event.sendException(boom);
    await expect(event.wait()).rejects.toBe(boom);
    await expect(event.wait()).rejects.toBe(boom);
    expect(event.hasException()).toBe(true);
    expect(event.hasResult()).toBe(false);
    expect(() => event.poll()).toThrow(boom);
  });

  test("wait with a timeout resolves undefined instead of throwing", () =>
    withVirtualHub(async (hub) => {
      const event = new Event<number>();
      expect(await event.wait({ timeout: 100 })).toBeUndefined();
      expect(hub.now()).toBe(100);
      expect(event.waiting()).toBe(0);
    }));

  test("ready, hasResult, poll and reset", () => {
    const event = new Event<number>();
    expect(event.ready()).toBe(false);
    expect(event.poll("not yet")).toBe("not yet");
    expect(() => event.reset()).toThrow(/never sent/);
    event.send(1);
    expect(event.ready()).toBe(true);
    expect(event.hasResult()).toBe(true);
    event.reset();
    expect(event.ready()).toBe(false);
    event.send(2);
    expect(event.poll()).toBe(2);
  });

  test("kill and Timeout interrupt a wait and leave no waiter", () =>
    withVirtualHub(async () => {
      const event = new Event();
      const killed = spawn(() => event.wait());
      const timed = spawn(async () => {
        using _t = new Timeout(10);
        await event.wait();
      });
      await sleep(0);
      expect(event.waiting()).toBe(2);
      await killed.kill();
      await expect(killed.wait()).rejects.toBeInstanceOf(GreenThreadExit);
      await expect(timed.wait()).rejects.toBeInstanceOf(Timeout);
      expect(event.waiting()).toBe(0);
    }));
});
