import type { AddressInfo } from "node:net";
import { sleep, spawn } from "@tendril/core";
import { connect, type GreenSocket } from "@tendril/green-net";
import { BackdoorNotLoopback, backdoor } from "@tendril/green-net/backdoor";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

let baseline: ReturnType<typeof leakBaseline>;
beforeEach(() => {
  baseline = leakBaseline();
});
afterEach(async () => {
  await expectNoLeaks(baseline);
});

const PROMPT = "tendril> ";

// Reads from the socket until the received text ends with the prompt; returns what came
// before it (bounded: at most 200 chunks).
async function untilPrompt(sock: GreenSocket): Promise<string> {
  let text = "";
  for (let i = 0; i < 200 && !text.endsWith(PROMPT); i++) {
    const chunk = await sock.recv(4096);
    if (chunk.length === 0) break;
    text += Buffer.from(chunk).toString();
  }
  expect(text.endsWith(PROMPT)).toBe(true);
  return text.slice(0, -PROMPT.length);
}

async function evaluate(sock: GreenSocket, line: string): Promise<string> {
  await sock.sendall(`${line}\n`);
  return (await untilPrompt(sock)).trim();
}

describe("backdoor", () => {
  test("each connection gets a REPL that evaluates JavaScript, with the context and the thread listing in scope", async () => {
    const answer = { value: 21 };
    const door = await backdoor({ context: { answer } });
    try {
      const address = door.address() as AddressInfo;
      expect(address.address).toBe("127.0.0.1");
      const sock = await connect(address);
      try {
        await untilPrompt(sock);
        expect(await evaluate(sock, "1 + 2")).toBe("3");
        expect(await evaluate(sock, "answer.value * 2")).toBe("42");
        await evaluate(sock, "answer.value = 7");
        expect(answer.value).toBe(7); // the session sees and changes the server's own objects
        const sleeper = spawn(() => sleep(60_000));
        sleeper.name = "the-sleeper";
        try {
          expect(await evaluate(sock, "listThreads().some((t) => t.name === 'the-sleeper')")).toBe(
            "true",
          );
          expect(await evaluate(sock, "typeof formatThreads()")).toBe("'string'");
          expect(await evaluate(sock, "await Promise.resolve(5)")).toBe("5");
        } finally {
          await sleeper.kill();
        }
        expect(door.sessions()).toBe(1);
        // `.exit` ends the session: the server closes the connection.
        await sock.sendall(".exit\n");
        expect((await sock.recv(100)).length).toBe(0);
      } finally {
        await sock.close();
      }
    } finally {
      await door.close();
    }
    expect(door.sessions()).toBe(0);
  });

  test("close() ends the sessions still open and closes their connections", async () => {
    const door = await backdoor();
    const a = await connect(door.address() as AddressInfo);
    const b = await connect(door.address() as AddressInfo);
    try {
      await untilPrompt(a);
      await untilPrompt(b);
      expect(door.sessions()).toBe(2);
      await door.close();
      expect(door.sessions()).toBe(0);
      expect((await a.recv(10)).length).toBe(0);
      expect((await b.recv(10)).length).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("a syntax error is reported in the session, which carries on", async () => {
    await using door = await backdoor();
    const sock = await connect(door.address() as AddressInfo);
    try {
      await untilPrompt(sock);
      expect(await evaluate(sock, "this is not javascript")).toMatch(/SyntaxError/);
      expect(await evaluate(sock, "2 ** 10")).toBe("1024");
    } finally {
      await sock.close();
    }
  });

  test("refuses a non-loopback address unless allowRemote is set", async () => {
    for (const host of ["0.0.0.0", "::", "192.0.2.1", "example.com"]) {
      const error = await backdoor({ host }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackdoorNotLoopback);
      expect((error as BackdoorNotLoopback).code).toBe("ERR_TENDRIL_BACKDOOR_NOT_LOOPBACK");
      expect((error as Error).message).toContain(JSON.stringify(host));
    }
    const door = await backdoor({ host: "0.0.0.0", allowRemote: true });
    expect((door.address() as AddressInfo).address).toBe("0.0.0.0");
    await door.close();
    const local = await backdoor({ host: "::1" }).catch((e: unknown) => e);
    // ::1 is loopback: allowed (it may fail only where IPv6 is off, never as "not loopback").
    expect(local).not.toBeInstanceOf(BackdoorNotLoopback);
    if (!(local instanceof Error)) await (local as Awaited<ReturnType<typeof backdoor>>).close();
  });

  test("bad options are typed errors that name the received value", async () => {
    await expect(backdoor({ port: -1 })).rejects.toThrow(
      /port must be an integer >= 0, received -1/,
    );
    await expect(backdoor({ port: 70000 })).rejects.toThrow(
      /port must be <= 65535, received 70000/,
    );
    await expect(backdoor({ host: 5 as unknown as string })).rejects.toThrow(
      /host must be a non-empty string, received 5/,
    );
    await expect(backdoor({ context: "x" as unknown as Record<string, unknown> })).rejects.toThrow(
      /context must be an object, received "x"/,
    );
  });
});
