// Issue 17, item 6: a response body being read (or not yet read) belongs to the thread that
// called urlopen. A kill or a Timeout aborts the request and frees its concurrency slot.
import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import { GreenThreadExit, isTimeout, sleep, spawn, withTimeout } from "@tendril/core";
import { HttpClient } from "@tendril/green-net";
import { waitFor } from "@tendril/test-servers";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { expectNoLeaks, leakBaseline } from "./helpers/net.js";

// "/stall": headers and a first chunk, then silence. "/ok": a small whole response.
let server: Server;
let base: string;
const open = new Set<ServerResponse>();
let closedEarly = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/stall") {
      open.add(res);
      res.on("close", () => {
        open.delete(res);
        if (!res.writableFinished) closedEarly++;
      });
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first chunk");
      return;
    }
    res.end("ok");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

let baseline: ReturnType<typeof leakBaseline>;
let client: HttpClient;
beforeEach(() => {
  baseline = leakBaseline();
  closedEarly = 0;
  // One slot: a request that is not freed blocks the next one.
  client = new HttpClient({ pool: 1 });
});
afterEach(async () => {
  for (const res of open) res.destroy();
  await client.close({ graceMs: 0 });
  await expectNoLeaks(baseline);
});

describe("an urlopen response body is tied to its thread", () => {
  test("kill() while the thread reads response.body aborts the request and frees the slot", async () => {
    let reading = false;
    const t = spawn(async () => {
      const response = await client.urlopen(`${base}/stall`);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read(); // "first chunk"
      reading = true;
      await reader.read(); // never comes
    });
    await waitFor(() => reading, "the first chunk to be read");
    await t.kill();
    await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    await waitFor(() => closedEarly === 1, "the server to see the request aborted");
    // The one slot is free again.
    expect(await (await client.urlopen(`${base}/ok`)).text()).toBe("ok");
  });

  test("a Timeout while reading response.body rejects with the Timeout itself", async () => {
    const t = spawn(async () => {
      const response = await client.urlopen(`${base}/stall`);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      return withTimeout(50, () => reader.read());
    });
    const error = await t.wait().catch((e: unknown) => e);
    expect(isTimeout(error)).toBe(true);
    await waitFor(() => closedEarly === 1, "the server to see the request aborted");
    expect(await (await client.urlopen(`${base}/ok`)).text()).toBe("ok");
  });

  test("a kill between urlopen() and text() does not leave the request open", async () => {
    let holding = false;
    const t = spawn(async () => {
      const response = await client.urlopen(`${base}/stall`);
      holding = true;
      await sleep(60_000);
      return response.text();
    });
    await waitFor(() => holding, "the response to arrive");
    await t.kill();
    await expect(t.wait()).rejects.toBeInstanceOf(GreenThreadExit);
    await waitFor(() => closedEarly === 1, "the server to see the request aborted");
    expect(await (await client.urlopen(`${base}/ok`)).text()).toBe("ok");
  });

  test("a response read whole is not touched by a later Timeout of the thread", async () => {
    const t = spawn(async () => {
      const response = await client.urlopen(`${base}/ok`);
      const late = await withTimeout({ ms: 10, timeoutValue: "late" }, () => sleep(1000));
      return [late, await response.text()];
    });
    expect(await t.wait()).toEqual(["late", "ok"]);
  });
});
