// The package's subpath entries: each gives its part of the API, and the light ones stay light
// — importing sockets, DNS or the HTTP server never loads undici.
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as everything from "@tendril/green-net";
import * as dns from "@tendril/green-net/dns";
import * as http from "@tendril/green-net/http";
import * as httpServer from "@tendril/green-net/http-server";
import * as sockets from "@tendril/green-net/sockets";
import { describe, expect, test } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

async function importInChild(
  entry: string,
): Promise<{ npmUndici: boolean; bundledUndici: boolean }> {
  const { stdout } = await run(
    process.execPath,
    ["--conditions=source", "--import", "tsx", join(here, "fixtures", "loaded-modules.ts"), entry],
    { cwd: here, timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) as string);
}

describe("subpath entries", () => {
  test("each subpath exports the same objects as the main entry", () => {
    for (const part of [sockets, dns, http, httpServer]) {
      for (const [name, value] of Object.entries(part)) {
        expect((everything as Record<string, unknown>)[name], name).toBe(value);
      }
    }
    expect(Object.keys(sockets)).toEqual(
      expect.arrayContaining([
        "listen",
        "connect",
        "GreenSocket",
        "GreenListener",
        "serve",
        "watchIo",
      ]),
    );
    expect(Object.keys(dns)).toEqual(expect.arrayContaining(["resolve", "Resolver", "lookup"]));
    expect(Object.keys(http)).toEqual(expect.arrayContaining(["urlopen", "fetch", "patch"]));
    expect(Object.keys(httpServer)).toEqual(expect.arrayContaining(["serveHttp", "Response"]));
  });

  test.each(["@tendril/green-net/sockets", "@tendril/green-net/dns"])(
    "importing %s loads no undici at all",
    async (entry) => {
      const loaded = await importInChild(entry);
      expect(loaded).toMatchObject({ npmUndici: false, bundledUndici: false });
    },
    60_000,
  );

  test("importing @tendril/green-net/http-server does not load the npm undici", async () => {
    // Its handlers speak web Request/Response, which Node builds on its own bundled copy.
    const loaded = await importInChild("@tendril/green-net/http-server");
    expect(loaded.npmUndici).toBe(false);
  }, 60_000);

  test("importing @tendril/green-net/http does load it (the check can fail)", async () => {
    const loaded = await importInChild("@tendril/green-net/http");
    expect(loaded.npmUndici).toBe(true);
  }, 60_000);
});
