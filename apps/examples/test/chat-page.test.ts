/**
 * The chat room's browser page, in a real browser: headless Chromium (Debian's `chromium`)
 * driven by playwright-core. Two browser participants and one TCP participant talk in the
 * same room — the browsers over websockets, the TCP client over a plain socket. On CI a
 * missing Chromium fails the test; locally it is skipped with a message.
 */

import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAll, lineClient, must, type Program, start } from "./run.js";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
const required =
  process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
if (!available && !required) {
  console.warn(`chat-page.test.ts: skipped, ${CHROMIUM} not found (apt-get install -y chromium)`);
}

describe.skipIf(!available && !required)("the chat page in headless Chromium", () => {
  let browser: Browser | undefined;
  let chat: Program | undefined;
  let url = "";
  let tcpPort = 0;

  beforeAll(async () => {
    if (!available)
      throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium`);
    chat = start("chat-server", ["--port", "0", "--web-port", "0"]);
    const [, port] = await chat.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    tcpPort = Number(port);
    [, url] = (await chat.waitFor(/chat page on (http:\/\/\S+\/)/)) as unknown as [string, string];
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    try {
      // Ctrl-C closes the websocket service, the web server and the TCP room, and exits 0.
      chat?.child.kill("SIGINT");
      if (chat !== undefined) expect(await chat.exited()).toBe(0);
    } finally {
      killAll();
    }
  });

  async function join(): Promise<Page> {
    const page = await must(browser, "a browser").newPage();
    await page.goto(url);
    await page.locator("#status", { hasText: /^connected$/ }).waitFor({ timeout: 10_000 });
    return page;
  }

  const lines = (page: Page) => page.locator("#log > li").allTextContents();

  it("browsers and TCP clients talk in one room: the page sends and shows lines over a websocket", async () => {
    const alice = await join();
    const bob = await join();
    const tcp = await lineClient(tcpPort);
    try {
      expect(await alice.title()).toBe("Chat · Tendril");
      await alice.locator("#log > li", { hasText: "welcome, guest-1" }).waitFor();
      await bob.locator("#log > li", { hasText: "welcome, guest-2: 1 here with you" }).waitFor();
      expect(await tcp.nextLine()).toMatch(/welcome, guest-3: 2 here with you/);
      await alice.locator("#log > li", { hasText: "* guest-3 joined" }).waitFor();

      await alice.fill("#line", "/nick alice");
      await alice.click("#send");
      await bob.locator("#log > li", { hasText: "* guest-1 is now alice" }).waitFor();
      expect(await tcp.nextLine()).toBe("* guest-1 is now alice");

      await alice.fill("#line", "hello from a browser");
      await alice.press("#line", "Enter");
      await bob.locator("#log > li", { hasText: "alice: hello from a browser" }).waitFor();
      expect(await tcp.nextLine()).toBe("alice: hello from a browser");
      // The sender sees its own line once, as "you:", not echoed back by the room.
      await alice.locator("#log > li", { hasText: "you: hello from a browser" }).waitFor();
      expect((await lines(alice)).filter((l) => l.includes("alice: hello"))).toEqual([]);

      tcp.send("hi browsers\n");
      await alice.locator("#log > li", { hasText: "guest-3: hi browsers" }).waitFor();
      await bob.locator("#log > li", { hasText: "guest-3: hi browsers" }).waitFor();

      await bob.close(); // closing the page closes its websocket: the room sees them leave
      expect(await tcp.nextLine()).toBe("* guest-2 left");
      await alice.locator("#log > li", { hasText: "* guest-2 left" }).waitFor();
    } finally {
      tcp.close();
      await alice.close();
      if (!bob.isClosed()) await bob.close();
    }
  });
});
