/**
 * The sample extraction of `check-examples`: which blocks of a README and of doc comments are
 * compiled, and the line each one is reported at.
 */

import { describe, expect, test } from "vitest";
// @ts-expect-error -- a plain .mjs script without type declarations
import { exampleSamples, markdownSamples } from "../check-examples.mjs";

type Sample = { line: number; code: string };

describe("markdownSamples", () => {
  test("takes the ```ts blocks, with the line of their fence, and leaves other languages", () => {
    const text = [
      "# Title",
      "",
      "```ts",
      "const a = 1;",
      "```",
      "",
      "```sh",
      "pnpm build",
      "```",
      "```typescript",
      "let b = 2;",
      "```",
    ].join("\n");
    const samples: Sample[] = markdownSamples(text);
    expect(samples).toEqual([
      { line: 3, code: "const a = 1;" },
      { line: 10, code: "let b = 2;" },
    ]);
  });
});

describe("exampleSamples", () => {
  test("takes the fenced code of each @example, without the comment's stars", () => {
    const text = [
      "/**",
      " * Sleeps.",
      " *",
      " * @example",
      " * ```ts",
      " * await sleep(10);",
      ' * console.log("done");',
      " * ```",
      " */",
      "export function sleep() {}",
      "",
      "  /**",
      "   * A method.",
      "   * @example",
      "   * ```ts",
      "   * pool.free();",
      "   * ```",
      "   */",
    ].join("\n");
    const samples: Sample[] = exampleSamples(text);
    expect(samples.map((s) => s.code)).toEqual([
      'await sleep(10);\nconsole.log("done");',
      "pool.free();",
    ]);
    expect(samples.map((s) => s.line)).toEqual([5, 15]);
  });

  test("ignores an @example without a fenced block, and comments without @example", () => {
    const text = [
      "/** Nothing here. */",
      "/**",
      " * @example sleep(1)",
      " * @returns nothing",
      " */",
    ].join("\n");
    expect(exampleSamples(text)).toEqual([]);
  });
});
