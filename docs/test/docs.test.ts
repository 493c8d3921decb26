/**
 * The docs generators, checked without building the whole site (test/site.test.ts builds it
 * and opens it in a browser): the sample check, the entry list and TSDoc check of the API
 * reference, the benchmark charts, the changelog, and that every TypeScript block written in a
 * page parses — so a page cannot ship a sample that is not code.
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { apiEntries, generateApi } from "../scripts/api.mjs";
import { benchmarksPage, chartSvg, lowerIsBetter, parseResults } from "../scripts/bench.mjs";
import { changelogPage, parseChangeset } from "../scripts/changelog.mjs";
import { checkSnippets, extractRegion, markdownFiles } from "../scripts/snippets.mjs";

const docsDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = join(docsDir, "..");
const pagesDir = join(docsDir, "pages");

/** A scratch folder inside docs/ (so TypeScript finds the repository's @types), removed after. */
function scratch<T>(body: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(docsDir, ".tmp-test-"));
  return Promise.resolve()
    .then(() => body(dir))
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** The samples the pattern guides are built around; each must come from apps/examples. */
const REQUIRED_SAMPLES = [
  "crawler.ts#crawl",
  "echo-server.ts#handle",
  "echo-server.ts#serve",
  "feed-scraper.ts#app",
  "chat-server.ts#broadcast",
];

describe("samples from apps/examples", () => {
  test("every <<< sample in the pages names a file and region that exist", () => {
    const { snippets, errors } = checkSnippets(pagesDir);
    expect(errors).toEqual([]);
    const named = snippets.map((s) => `${s.file.split("/").pop()}#${s.region}`);
    for (const sample of REQUIRED_SAMPLES) expect(named).toContain(sample);
    for (const s of snippets) expect(s.file).toContain(join("apps", "examples", "src"));
  });

  test("no page keeps the old <!-- include --> directive", () => {
    for (const page of markdownFiles(pagesDir)) {
      expect(readFileSync(page, "utf8"), page).not.toMatch(/<!--\s*include:/);
    }
  });

  test("a missing file or region is reported with the page and the path", () =>
    scratch((dir) => {
      mkdirSync(join(dir, "pages"));
      writeFileSync(join(dir, "a.ts"), "// #region here\nconst a = 1;\n// #endregion here\n");
      writeFileSync(
        join(dir, "pages", "p.md"),
        "# P\n\n<<< @/../a.ts#here\n\n<<< @/../a.ts#gone\n\n<<< @/../b.ts#here\n",
      );
      const { snippets, errors } = checkSnippets(join(dir, "pages"));
      expect(snippets).toHaveLength(3);
      expect(errors).toEqual([
        expect.stringContaining('p.md: <<< @/../a.ts#gone: no region "gone"'),
        "p.md: <<< @/../b.ts#here: no such file",
      ]);
    }));

  test("a region drops nested markers; a missing, unclosed or empty region is null", () => {
    const source = [
      "function f() {",
      "  // #region outer",
      "  const a = 1;",
      "  // #region inner",
      "  const b = 2;",
      "  // #endregion inner",
      "  // #endregion outer",
      "}",
      "// #region empty",
      "// #endregion empty",
      "// #region open",
    ].join("\n");
    expect(extractRegion(source, "outer")).toBe("  const a = 1;\n  const b = 2;");
    expect(extractRegion(source, "nope")).toBeNull();
    expect(extractRegion(source, "open")).toBeNull();
    expect(extractRegion(source, "empty")).toBeNull();
  });
});

describe("navigation", () => {
  test("every page is in the sidebar, and every sidebar entry is a page", () => {
    const config = readFileSync(join(docsDir, ".vitepress", "config.mts"), "utf8");
    const sidebar = config.slice(config.indexOf("guideSidebar"), config.indexOf("export default"));
    const linked = [...sidebar.matchAll(/link: "\/([\w-]*)"/g)].map((m) => m[1] || "index");
    const generated = ["benchmarks", "changelog"]; // written by scripts/prepare.mjs
    const pages = markdownFiles(pagesDir)
      .map((f: string) => f.slice(pagesDir.length + 1).replace(/\.md$/, ""))
      .filter((p: string) => !generated.includes(p));
    expect([...linked].sort()).toEqual([...pages, ...generated].sort());
  });
});

describe("the API reference", () => {
  test("has one entry per package export subpath, named as users import it", () => {
    const names = apiEntries().map((e) => e.name);
    for (const name of [
      "@tendril/core",
      "@tendril/core/testing",
      "@tendril/green-net",
      "@tendril/green-net/testing",
      "@tendril/patterns",
    ]) {
      expect(names).toContain(name);
    }
    expect(names.some((n) => n.includes("package.json"))).toBe(false);
  });

  test("entries come from each package.json exports map, so new subpaths need no docs edit", () =>
    scratch((dir) => {
      const pkg = join(dir, "packages", "widget");
      mkdirSync(join(pkg, "src", "extra"), { recursive: true });
      writeFileSync(
        join(pkg, "package.json"),
        JSON.stringify({
          name: "@tendril/widget",
          exports: {
            ".": { source: "./src/index.ts", default: "./dist/index.js" },
            "./extra": { source: "./src/extra/index.ts", default: "./dist/extra/index.js" },
            "./package.json": "./package.json",
          },
        }),
      );
      mkdirSync(join(dir, "packages", "hidden"));
      writeFileSync(
        join(dir, "packages", "hidden", "package.json"),
        JSON.stringify({ name: "hidden", private: true, exports: { ".": { source: "./x.ts" } } }),
      );
      expect(apiEntries(join(dir, "packages"))).toEqual([
        {
          name: "@tendril/widget",
          pkg: "@tendril/widget",
          subpath: ".",
          source: join(pkg, "src", "index.ts"),
        },
        {
          name: "@tendril/widget/extra",
          pkg: "@tendril/widget",
          subpath: "./extra",
          source: join(pkg, "src", "extra", "index.ts"),
        },
      ]);
    }));

  test(
    "the TSDoc check names every export without a summary or an @example",
    () =>
      scratch(async (dir) => {
        const pkg = join(dir, "packages", "widget");
        mkdirSync(join(pkg, "src"), { recursive: true });
        writeFileSync(
          join(pkg, "package.json"),
          JSON.stringify({
            name: "@tendril/widget",
            exports: { ".": { source: "./src/index.ts" } },
          }),
        );
        writeFileSync(
          join(pkg, "src", "index.ts"),
          [
            "/** Adds two numbers.\n * @example\n * ```ts\n * add(1, 2); // 3\n * ```\n */",
            "export function add(a: number, b: number): number { return a + b; }",
            "/** Subtracts, but shows no example. */",
            "export function sub(a: number, b: number): number { return a - b; }",
            "export const bare = 1;",
            "/** A shape.\n * @example\n * ```ts\n * const p: Point = { x: 1 };\n * ```\n */",
            "export interface Point { x: number }",
            "export { add as plus };",
          ].join("\n"),
        );
        const { problems, modules } = await generateApi({
          entries: apiEntries(join(dir, "packages")),
          write: false,
          tsconfigDir: dir,
        });
        expect(modules).toEqual(["@tendril/widget"]);
        expect(problems.sort()).toEqual([
          "@tendril/widget: bare has no @example",
          "@tendril/widget: bare has no summary",
          "@tendril/widget: sub has no @example",
        ]);
      }),
    60_000,
  );
});

describe("the benchmarks page", () => {
  const results = readFileSync(join(repoRoot, "apps", "bench", "RESULTS.md"), "utf8");

  test("reads every suite table of RESULTS.md, with each contender's ratio to the floor", () => {
    const tables = parseResults(results);
    const suites = new Set(tables.map((t) => t.suite));
    for (const suite of ["crawl", "dispatch", "echo", "imap", "pool", "spawn"]) {
      expect(suites).toContain(suite);
    }
    for (const table of tables) {
      expect(table.metric).toMatch(/×floor$/);
      expect(table.rows.length).toBeGreaterThan(1);
      // Every table has its floor at exactly 1x.
      expect(table.rows.some((r) => r.ratio === 1)).toBe(true);
      expect(table.rows.some((r) => r.name.startsWith("Tendril"))).toBe(true);
    }
  });

  test("parses a table's cells by the bench's column rule", () => {
    const [table] = parseResults(
      [
        "```text",
        "pool: 10 tasks — node v20.1.0",
        "contender             tasks/s  tasks/s ×floor",
        "-------------------  --------  --------------",
        "raw Node (floor)        1,000           1.00x",
        "Tendril spawnN            500           0.50x",
        "Tendril: 0.5x the floor",
        "```",
      ].join("\n"),
    );
    expect(table).toMatchObject({ suite: "pool", title: "10 tasks", node: "v20.1.0" });
    expect(table?.rows).toEqual([
      { name: "raw Node (floor)", cells: ["raw Node (floor)", "1,000", "1.00x"], ratio: 1 },
      { name: "Tendril spawnN", cells: ["Tendril spawnN", "500", "0.50x"], ratio: 0.5 },
    ]);
  });

  test("draws one bar per contender, longest for the largest ratio, and a floor line", () => {
    const table = parseResults(results).find((t) => t.suite === "pool");
    if (table === undefined) throw new Error("no pool suite in RESULTS.md");
    const svg = chartSvg(table);
    const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(table.rows.length);
    const largest = table.rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    expect(Math.max(...widths)).toBe(widths[table.rows.indexOf(largest)]);
    expect(svg).toContain('class="floor-line"');
    expect(svg).toContain("higher is better");
    expect(lowerIsBetter("ms ×floor")).toBe(true);
    expect(lowerIsBetter("req/s ×floor")).toBe(false);
  });

  test("the page has a chart and a table per suite, and fails on results without a table", () => {
    const page = benchmarksPage(results);
    expect(page.match(/<svg class="bench-chart"/g)?.length).toBe(parseResults(results).length);
    expect(() => benchmarksPage("# Measured results\n\nnothing yet\n")).toThrow(/no suite table/);
  });
});

describe("the changelog page", () => {
  test("groups pending changesets by package, with their bump", () => {
    expect(parseChangeset('---\n"@tendril/core": minor\n---\n\nAdds a thing.\n')).toEqual({
      bumps: { "@tendril/core": "minor" },
      summary: "Adds a thing.",
    });
    expect(parseChangeset("# Changesets\n")).toBeNull();
    const page = changelogPage(repoRoot);
    expect(page).toMatch(/^# Changelog/);
    expect(page).toContain("### @tendril/core");
    expect(page).toMatch(/- \*\*(major|minor|patch)\*\*: /);
  });
});

/** Every fenced TypeScript block written by hand in the pages. */
function tsBlocks(): Array<{ label: string; text: string }> {
  const blocks: Array<{ label: string; text: string }> = [];
  for (const page of markdownFiles(pagesDir)) {
    const name = page.slice(pagesDir.length + 1);
    const markdown = readFileSync(page, "utf8");
    let index = 0;
    for (const m of markdown.matchAll(/^(`{3,})(ts|typescript)\b[^\n]*\n([\s\S]*?)\n\1\s*$/gm)) {
      blocks.push({ label: `${name} block ${index++}`, text: m[3] ?? "" });
    }
  }
  return blocks;
}

function syntaxErrors(code: string, fileName: string): string[] {
  const out = ts.transpileModule(code, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  });
  return (out.diagnostics ?? []).map((d) => {
    const where =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    return where ? `${fileName}:${where.line + 1}:${where.character + 1}: ${text}` : text;
  });
}

describe("TypeScript written in the pages", () => {
  const blocks = tsBlocks();
  test("there are samples to check", () => {
    expect(blocks.length).toBeGreaterThan(10);
  });
  test.each(blocks.map((b) => [b.label, b] as const))("%s parses", (label, block) => {
    expect(syntaxErrors(block.text, `${label.replace(/[\s/]+/g, "-")}.ts`)).toEqual([]);
  });
});
