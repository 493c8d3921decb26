#!/usr/bin/env node
/**
 * Builds the docs site: every `pages/*.md` becomes `dist/<name>.html`, with a navigation
 * sidebar and one stylesheet. Code samples are not pasted into the pages: a directive
 *
 *     <!-- include: crawler.ts#crawl -->
 *
 * is replaced by the lines between `// #region crawl` and `// #endregion crawl` of
 * `apps/examples/src/crawler.ts` (dedented, with nested region markers removed). The examples
 * are compiled and tested, so a sample on the site can never drift from working code; and the
 * build fails when a directive names a file or region that does not exist, when a page is
 * missing from the navigation, or when a link points to a page that does not exist.
 *
 * Trade-off: a hundred-odd lines on top of `marked` instead of a site generator. The site is
 * small and static; what matters is that every sample is checked, and that the build has no
 * moving parts to update.
 *
 * Usage: `node build.mjs [outDir]` (default `docs/dist`).
 */

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Marked } from "marked";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The navigation, in reading order: `[page name, label]`. Every page must appear here.
 * @type {Array<[string, string]>}
 */
export const NAV = [
  ["index", "Overview"],
  ["getting-started", "Getting started"],
  ["concepts", "Core concepts"],
  ["client", "Client pattern"],
  ["server", "Server pattern"],
  ["dispatch", "Dispatch pattern"],
  ["resources", "Resources and thread-locals"],
  ["testing", "Testing"],
  ["rosetta", "From Eventlet"],
  ["decisions", "Decisions"],
];

/** Matches an include directive; group 1 is the file, group 2 the optional region. */
export const INCLUDE = /<!--\s*include:\s*([\w./-]+?)(?:#([\w-]+))?\s*-->/g;

/**
 * The text of region `name` in `source` (between `// #region name` and `// #endregion name`),
 * dedented, with the markers of nested regions removed; the whole file (without markers) when
 * `name` is undefined. Returns `null` when the region is missing or never closed.
 */
export function extractRegion(source, name) {
  const lines = source.split("\n");
  const marker = /^\s*\/\/\s*#(region|endregion)\b\s*([\w-]*)/;
  let body;
  if (name === undefined) {
    body = lines;
  } else {
    const start = lines.findIndex((l) => {
      const m = marker.exec(l);
      return m !== null && m[1] === "region" && m[2] === name;
    });
    if (start < 0) return null;
    // The matching end: `#endregion name`, or an unnamed `#endregion` at nesting depth 0.
    let depth = 0;
    let end = -1;
    for (let i = start + 1; i < lines.length; i++) {
      const m = marker.exec(lines[i]);
      if (m === null) continue;
      if (m[1] === "region") depth++;
      else if (m[2] === name || (m[2] === "" && depth === 0)) {
        end = i;
        break;
      } else depth--;
    }
    if (end < 0) return null;
    body = lines.slice(start + 1, end);
  }
  body = body.filter((l) => !marker.test(l));
  while (body.length > 0 && body[0].trim() === "") body.shift();
  while (body.length > 0 && body[body.length - 1].trim() === "") body.pop();
  const indent = Math.min(
    ...body.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)[0].length),
  );
  return body.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join("\n");
}

/**
 * Replaces the include directives of one page's markdown. Returns `{ markdown, includes,
 * errors }`; `includes` lists `{ file, region }` for every directive.
 */
export function expandIncludes(markdown, examplesDir, page = "page") {
  const includes = [];
  const errors = [];
  const out = markdown.replace(INCLUDE, (_directive, file, region) => {
    includes.push({ file, region });
    const label = region === undefined ? file : `${file}#${region}`;
    let source;
    try {
      source = readFileSync(join(examplesDir, file), "utf8");
    } catch {
      errors.push(`${page}: include ${label}: no file apps/examples/src/${file}`);
      return "";
    }
    const text = extractRegion(source, region);
    if (text === null || text.trim() === "") {
      errors.push(
        `${page}: include ${label}: no region "${region}" in apps/examples/src/${file} ` +
          `(mark it with // #region ${region} … // #endregion ${region})`,
      );
      return "";
    }
    const fence = text.includes("```") ? "````" : "```";
    return `${fence}ts\n${text}\n${fence}\n\n<p class="source">From <code>apps/examples/src/${file}</code></p>\n`;
  });
  return { markdown: out, includes, errors };
}

function slug(text) {
  return text
    .toLowerCase()
    .replace(/<[^>]+>/g, "")
    .replace(/&[a-z#0-9]+;/g, "")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .replace(/\s+/g, "-");
}

function escapeHtml(text) {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c],
  );
}

function layout({ title, name, body }) {
  const nav = NAV.map(
    ([page, label]) =>
      `<li${page === name ? ' class="current"' : ""}><a href="${page}.html">${escapeHtml(label)}</a></li>`,
  ).join("\n        ");
  const pageTitle = name === "index" ? "Tendril" : `${title} · Tendril`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${escapeHtml(pageTitle)}</title>
    <link rel="stylesheet" href="style.css">
  </head>
  <body>
    <nav>
      <a class="brand" href="index.html">Tendril</a>
      <ul>
        ${nav}
      </ul>
    </nav>
    <main>
${body}
    </main>
  </body>
</html>
`;
}

const STYLE = `:root { --fg: #1d232a; --muted: #5b6570; --accent: #2f7d4f; --code-bg: #f4f6f5; --line: #dde3e0; }
* { box-sizing: border-box; }
body { margin: 0; display: flex; min-height: 100vh; color: var(--fg);
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
nav { flex: 0 0 220px; padding: 24px 16px; border-right: 1px solid var(--line); background: #fafbfa; }
nav .brand { display: block; font-weight: 700; font-size: 1.3em; color: var(--accent); text-decoration: none; margin-bottom: 16px; }
nav ul { list-style: none; margin: 0; padding: 0; }
nav li a { display: block; padding: 4px 8px; border-radius: 4px; color: var(--fg); text-decoration: none; }
nav li.current a { background: #e3efe8; color: var(--accent); font-weight: 600; }
main { flex: 1; min-width: 0; max-width: 980px; padding: 24px 40px 64px; }
h1, h2, h3 { line-height: 1.25; }
h2 { margin-top: 2em; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
a { color: var(--accent); }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code-bg); padding: 1px 4px; border-radius: 3px; }
pre { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; overflow-x: auto; line-height: 1.45; }
pre code { background: none; padding: 0; }
p.source { margin-top: -8px; font-size: 0.85em; color: var(--muted); }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid var(--line); padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #f0f3f1; }
blockquote { margin: 1em 0; padding: 4px 16px; border-left: 4px solid var(--accent); color: var(--muted); }
@media (max-width: 720px) { body { display: block; } nav { border-right: none; border-bottom: 1px solid var(--line); } main { padding: 16px; } }
`;

/**
 * Builds the site. Options: `pagesDir`, `examplesDir`, `outDir` (defaults: this folder's
 * `pages`, `../apps/examples/src`, `dist`), and `write` (default true). Returns `{ pages,
 * includes }`, where `pages` is `[{ name, title, markdown, html }]` (`markdown` with includes
 * expanded). Throws one error listing every problem found.
 */
export function buildSite(options = {}) {
  const pagesDir = options.pagesDir ?? join(here, "pages");
  const examplesDir = options.examplesDir ?? resolve(here, "../apps/examples/src");
  const outDir = options.outDir ?? join(here, "dist");
  const write = options.write ?? true;
  const nav = options.nav ?? NAV;

  const errors = [];
  const names = readdirSync(pagesDir)
    .filter((f) => f.endsWith(".md"))
    .map((f) => basename(f, ".md"))
    .sort();
  const navNames = nav.map(([n]) => n);
  for (const n of names) {
    if (!navNames.includes(n))
      errors.push(`${n}.md: not in the navigation (NAV in docs/build.mjs)`);
  }
  for (const n of navNames) {
    if (!names.includes(n)) errors.push(`NAV names ${n}, but there is no pages/${n}.md`);
  }

  const pages = [];
  const includes = [];
  for (const name of names) {
    const raw = readFileSync(join(pagesDir, `${name}.md`), "utf8");
    const expanded = expandIncludes(raw, examplesDir, `${name}.md`);
    errors.push(...expanded.errors);
    for (const inc of expanded.includes) includes.push({ page: name, ...inc });

    let title = null;
    const seen = new Map();
    const marked = new Marked({ gfm: true });
    marked.use({
      walkTokens(token) {
        if (token.type !== "link") return;
        const m = /^([\w-]+)\.md(#[\w-]+)?$/.exec(token.href);
        if (m) {
          if (!names.includes(m[1])) errors.push(`${name}.md: link to ${token.href}: no such page`);
          token.href = `${m[1]}.html${m[2] ?? ""}`;
        } else if (!/^(https?:|mailto:|#)/.test(token.href)) {
          errors.push(
            `${name}.md: link to ${token.href}: link pages as name.md, or use a full URL`,
          );
        }
      },
      renderer: {
        heading({ tokens, depth }) {
          const inner = this.parser.parseInline(tokens);
          if (depth === 1 && title === null) title = inner.replace(/<[^>]+>/g, "");
          let id = slug(inner);
          const n = seen.get(id) ?? 0;
          seen.set(id, n + 1);
          if (n > 0) id = `${id}-${n}`;
          return `<h${depth} id="${id}">${inner}</h${depth}>\n`;
        },
      },
    });
    const body = marked.parse(expanded.markdown);
    if (title === null) errors.push(`${name}.md: the page needs a "# Title" heading`);
    pages.push({
      name,
      title: title ?? name,
      markdown: expanded.markdown,
      html: layout({ title: title ?? name, name, body }),
    });
  }

  if (errors.length > 0) {
    throw new Error(
      `docs build failed with ${errors.length} problem(s):\n  - ${errors.join("\n  - ")}`,
    );
  }
  if (write) {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    for (const p of pages) writeFileSync(join(outDir, `${p.name}.html`), p.html);
    writeFileSync(join(outDir, "style.css"), STYLE);
  }
  return { pages, includes };
}

const isMain =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const outDir = process.argv[2] === undefined ? undefined : resolve(process.argv[2]);
  try {
    const { pages, includes } = buildSite({ outDir });
    console.log(
      `docs: built ${pages.length} pages with ${includes.length} samples from apps/examples into ${outDir ?? join(here, "dist")}`,
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
