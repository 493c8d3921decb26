/**
 * The docs site is part of the build: these tests build it, check that every sample it takes
 * from `apps/examples` resolves, and that every TypeScript block written in a page at least
 * parses — so a page cannot ship a sample that is not code.
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Marked, type Tokens } from "marked";
import ts from "typescript";
import { afterAll, describe, expect, test } from "vitest";
import { buildSite, expandIncludes, extractRegion, NAV } from "../build.mjs";

const docsDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = mkdtempSync(join(tmpdir(), "tendril-docs-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** The samples the pattern guides are built around; each must exist in apps/examples. */
const REQUIRED_SAMPLES = [
  "crawler.ts#crawl",
  "echo-server.ts#handle",
  "echo-server.ts#serve",
  "feed-scraper.ts#app",
  "chat-server.ts#broadcast",
];

/** Every fenced code block of every page, with its language. */
type Block = { page: string; index: number; lang: string; text: string };
function codeBlocks(): Block[] {
  const blocks: Block[] = [];
  for (const [page] of NAV) {
    const markdown = readFileSync(join(docsDir, "pages", `${page}.md`), "utf8");
    const tokens = new Marked().lexer(markdown);
    let index = 0;
    const visit = (list: unknown[]) => {
      for (const t of list as Array<{ type: string; tokens?: unknown[]; items?: unknown[] }>) {
        if (t.type === "code") {
          const code = t as unknown as Tokens.Code;
          blocks.push({ page, index: index++, lang: code.lang ?? "", text: code.text });
        }
        if (t.tokens) visit(t.tokens);
        if (t.items) visit(t.items);
      }
    };
    visit(tokens);
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

type Site = ReturnType<typeof buildSite>;
let built: Site | null = null;
let buildError: unknown = null;
try {
  built = buildSite({ outDir });
} catch (error) {
  buildError = error;
}
/** The built site; fails the calling test with the build's own message when it did not build. */
function site(): Site {
  if (built === null) throw buildError;
  return built;
}

describe("the docs site", () => {
  test("builds (every include resolves, every link lands, every page is in the navigation)", () => {
    expect(buildError).toBeNull();
  });

  test("builds one HTML page per navigation entry, and a stylesheet", () => {
    site();
    expect(
      site()
        .pages.map((p) => p.name)
        .sort(),
    ).toEqual(NAV.map(([n]) => n).sort());
    for (const [name, label] of NAV) {
      const html = readFileSync(join(outDir, `${name}.html`), "utf8");
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain(`href="${name}.html">${label}</a>`);
    }
    expect(readFileSync(join(outDir, "style.css"), "utf8")).toContain("main {");
  });

  test("replaces every include directive with the code it names", () => {
    for (const page of site().pages) {
      expect(page.markdown).not.toMatch(/<!--\s*include:/);
      expect(page.html).not.toContain("#region");
    }
    const included = site().includes.map((i) => `${i.file}${i.region ? `#${i.region}` : ""}`);
    for (const sample of REQUIRED_SAMPLES) expect(included).toContain(sample);
  });

  test("links between pages point at .html files that exist", () => {
    const names = new Set(NAV.map(([n]) => n));
    for (const page of site().pages) {
      for (const [, target] of page.html.matchAll(/href="([\w-]+)\.html(?:#[\w-]+)?"/g)) {
        expect(names, `${page.name} links to ${target}.html`).toContain(target);
      }
    }
  });

  const blocks = codeBlocks().filter((b) => b.lang === "ts" || b.lang === "typescript");
  test("has TypeScript samples to check", () => {
    expect(blocks.length).toBeGreaterThan(10);
  });
  test.each(blocks.map((b) => [`${b.page}.md block ${b.index}`, b] as const))(
    "%s parses as TypeScript",
    (name, block) => {
      expect(syntaxErrors(block.text, `${name.replace(/\s+/g, "-")}.ts`)).toEqual([]);
    },
  );

  test("every included sample parses as TypeScript", () => {
    for (const page of site().pages) {
      const fences = page.markdown.matchAll(/^(`{3,})ts\n([\s\S]*?)\n\1$/gm);
      for (const [, , code] of fences) {
        expect(syntaxErrors(code ?? "", `${page.name}-sample.ts`)).toEqual([]);
      }
    }
  });
});

describe("regions", () => {
  const source = [
    "import x from 'x';",
    "function f() {",
    "  // #region outer",
    "  const a = 1;",
    "  // #region inner",
    "  const b = 2;",
    "  // #endregion inner",
    "  return a + b;",
    "  // #endregion outer",
    "}",
    "// #region open",
    "const c = 3;",
  ].join("\n");

  test("a region is dedented, and nested markers are dropped", () => {
    expect(extractRegion(source, "outer")).toBe("const a = 1;\nconst b = 2;\nreturn a + b;");
    expect(extractRegion(source, "inner")).toBe("const b = 2;");
  });

  test("a missing or unclosed region is null; no name means the whole file", () => {
    expect(extractRegion(source, "nope")).toBeNull();
    expect(extractRegion(source, "open")).toBeNull();
    expect(extractRegion(source, undefined)).not.toContain("#region");
  });

  test("an include of a missing region is reported with its file and region", () => {
    const dir = mkdtempSync(join(tmpdir(), "tendril-docs-ex-"));
    try {
      writeFileSync(join(dir, "a.ts"), source);
      const ok = expandIncludes("<!-- include: a.ts#inner -->", dir, "p.md");
      expect(ok.errors).toEqual([]);
      expect(ok.markdown).toContain("```ts\nconst b = 2;\n```");
      const bad = expandIncludes(
        "<!-- include: a.ts#gone -->\n<!-- include: b.ts -->",
        dir,
        "p.md",
      );
      expect(bad.errors).toEqual([
        expect.stringContaining('p.md: include a.ts#gone: no region "gone"'),
        expect.stringContaining("p.md: include b.ts: no file"),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the build fails on a missing region, a broken link, or a page outside the navigation", () => {
    const dir = mkdtempSync(join(tmpdir(), "tendril-docs-site-"));
    try {
      mkdirSync(join(dir, "pages"));
      mkdirSync(join(dir, "src"));
      writeFileSync(join(dir, "src", "a.ts"), source);
      writeFileSync(
        join(dir, "pages", "index.md"),
        "# Home\n\n<!-- include: a.ts#missing -->\n\n[gone](gone.md)\n",
      );
      writeFileSync(join(dir, "pages", "extra.md"), "# Extra\n");
      let message = "";
      try {
        buildSite({
          pagesDir: join(dir, "pages"),
          examplesDir: join(dir, "src"),
          write: false,
          nav: [["index", "Home"]],
        });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain("docs build failed with 3 problem(s)");
      expect(message).toContain('index.md: include a.ts#missing: no region "missing"');
      expect(message).toContain("index.md: link to gone.md: no such page");
      expect(message).toContain("extra.md: not in the navigation");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
