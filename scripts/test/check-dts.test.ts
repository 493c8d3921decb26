/**
 * The published-declarations check: it must flag an `_` member, a leftover `@internal` tag and
 * a declaration file that does not compile on its own, and pass a clean one.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
// @ts-expect-error -- a plain .mjs script without type declarations
import { compileDeclarations, findInternals } from "../check-dts.mjs";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

type Finding = { line: number; message: string };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function files(contents: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), "tendril-check-dts-"));
  dirs.push(dir);
  return Object.entries(contents).map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

describe("findInternals", () => {
  test("passes a declaration file with only public members", () => {
    const text = [
      "/** A pool. */",
      "export declare class Pool {",
      "    #private;",
      "    get size(): number;",
      "    spawn(fn: () => void): void;",
      "}",
      "export interface Options { limit?: number }",
    ].join("\n");
    expect(findInternals("pool.d.ts", text)).toEqual([]);
  });

  test("names every `_` member of a class, an interface and a type literal, with its line", () => {
    const text = [
      "export declare class Thread {",
      "    _flags: number;",
      "    private _secret;",
      "    protected _put(item: unknown): void;",
      "    get _state(): number;",
      "}",
      "export interface Owner { _threadEnded(): void }",
      "export type Shape = { _x: number };",
    ].join("\n");
    const found: Finding[] = findInternals("thread.d.ts", text);
    expect(found.map((f) => `${f.line} ${f.message}`)).toEqual([
      "2 member _flags",
      "3 member _secret",
      "4 member _put",
      "5 member _state",
      "7 member _threadEnded",
      "8 member _x",
    ]);
  });

  test("names a top-level declaration starting with `_` and a leftover @internal tag", () => {
    const text = [
      "export declare function _helper(): void;",
      "/** Not stripped because the tag is not in a doc comment of a declaration: @internal */",
      "export declare const ok = 1;",
    ].join("\n");
    const found: Finding[] = findInternals("helpers.d.ts", text);
    expect(found.map((f) => `${f.line} ${f.message}`)).toEqual([
      "1 declaration _helper",
      "2 an @internal tag",
    ]);
  });
});

// A whole compiler program per test: seconds on a loaded machine.
describe("compileDeclarations", { timeout: 60_000 }, () => {
  test("passes declaration files whose references all resolve", () => {
    const paths = files({
      "a.d.ts": "export interface Options { limit: number }\n",
      "b.d.ts":
        'import type { Options } from "./a.js";\nexport declare function make(o: Options): void;\n',
    });
    expect(compileDeclarations(repoRoot, paths, [])).toEqual([]);
  });

  test("reports a public signature that names a type the build stripped", () => {
    const paths = files({
      "owner.d.ts": "export interface Public { size: number }\n",
      "pool.d.ts": [
        'import type { ThreadOwner } from "./owner.js";',
        "export declare class Pool implements ThreadOwner {}",
      ].join("\n"),
    });
    const diagnostics: Array<{ code: number; file?: { fileName: string } }> = compileDeclarations(
      repoRoot,
      paths,
      [],
    );
    expect(diagnostics.map((d) => d.code)).toContain(2305);
    expect(diagnostics[0]?.file?.fileName).toMatch(/pool\.d\.ts$/);
  });
});
