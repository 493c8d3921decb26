/**
 * A user's typo is not a crash: every example answers a bad URL or port with one line naming
 * what it received (plus the `--help` hint) and exit status 2, before doing anything else; an
 * address where nothing listens is one line and exit status 1. Never a stack trace.
 */

import { createServer } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { killAll, run } from "./run.js";

afterEach(killAll);

/** The lines a program printed on stderr. */
const lines = (text: string) => text.split("\n").filter((l) => l !== "");

function expectUsageError(
  name: string,
  result: { code: number | null; stdout: string; stderr: string },
  message: string,
) {
  expect(result.code, result.stderr).toBe(2);
  expect(lines(result.stderr)).toEqual([`${name}: ${message}`, `Try '${name} --help'.`]);
  expect(result.stdout).toBe(""); // nothing started, nothing crawled
}

/** A loopback port where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("crawler", () => {
  test("an unsupported scheme is an input error, not a crawled page", async () => {
    expectUsageError(
      "crawler",
      await run("crawler", ["--quiet", "htp://127.0.0.1/"]),
      'URL must use http:// or https://, received "htp://127.0.0.1/" (scheme "htp:")',
    );
  });

  test("a port out of range in the URL", async () => {
    expectUsageError(
      "crawler",
      await run("crawler", ["--quiet", "http://127.0.0.1:99999/"]),
      'the port in "http://127.0.0.1:99999/" must be 0–65535, received 99999',
    );
  });

  test("something that is not a URL", async () => {
    expectUsageError(
      "crawler",
      await run("crawler", ["--quiet", "127.0.0.1/index.html"]),
      'URL must be an absolute http:// or https:// URL, received "127.0.0.1/index.html"',
    );
  });
});

describe("echo-server and echo-client", () => {
  test("echo-server --port 99999", async () => {
    expectUsageError(
      "echo-server",
      await run("echo-server", ["--port", "99999"]),
      "--port must be 0–65535, received 99999",
    );
  });

  test("echo-client --port 99999", async () => {
    expectUsageError(
      "echo-client",
      await run("echo-client", ["--port", "99999"]),
      "--port must be 0–65535, received 99999",
    );
  });

  test("echo-client --connections 0", async () => {
    expectUsageError(
      "echo-client",
      await run("echo-client", ["--connections", "0"]),
      "--connections must be an integer >= 1, received 0",
    );
  });

  test("echo-client to a port where nothing listens: one line, exit 1", async () => {
    const port = await closedPort();
    const result = await run("echo-client", ["--port", String(port), "--duration", "1s"]);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `connect ECONNREFUSED 127.0.0.1:${port}: is the server running there?`,
    ]);
  });
});

describe("feed-scraper and feed-scraper-client", () => {
  test("feed-scraper --port 99999", async () => {
    expectUsageError(
      "feed-scraper",
      await run("feed-scraper", ["--port", "99999"]),
      "--port must be 0–65535, received 99999",
    );
  });

  test("feed-scraper-client --url with an unsupported scheme", async () => {
    expectUsageError(
      "feed-scraper-client",
      await run("feed-scraper-client", ["--url", "htp://127.0.0.1:9010/"]),
      '--url must use http:// or https://, received "htp://127.0.0.1:9010/" (scheme "htp:")',
    );
  });

  test("feed-scraper-client with a bad feed URL", async () => {
    expectUsageError(
      "feed-scraper-client",
      await run("feed-scraper-client", [
        "--url",
        "http://127.0.0.1:9/",
        "http://127.0.0.1:99999/feed.rss",
      ]),
      'the port in "http://127.0.0.1:99999/feed.rss" must be 0–65535, received 99999',
    );
  });

  test("feed-scraper-client to a scraper that is not running: one line, exit 1", async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/`;
    const result = await run("feed-scraper-client", ["--url", url, "http://127.0.0.1:9/a.rss"]);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `POST ${url} failed: connect ECONNREFUSED 127.0.0.1:${port}: is the server running there?`,
    ]);
  });
});
