/**
 * Checks the code samples the guides take from `apps/examples`. A page includes one with
 * VitePress's snippet syntax, `<<< @/../../apps/examples/src/crawler.ts#crawl`, which renders
 * the lines between `// #region crawl` and `// #endregion crawl`. VitePress renders the whole
 * file when the region is missing, silently; this check makes a missing file or region fail
 * the build instead, so a renamed region cannot turn a five-line sample into a whole program.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** Matches a snippet line; group 1 is the path, group 2 the optional region. */
export const SNIPPET = /^<<<\s+(\S+?)(?:#([\w-]+))?(?:\{[^}]*\})?(?:\s*\[[^\]]*\])?\s*$/gm;

/**
 * The text of region `name` in `source` (between `// #region name` and `// #endregion
 * name`), without the markers of nested regions; `null` when it is missing, never closed or
 * empty.
 */
export function extractRegion(source, name) {
  const lines = source.split("\n");
  const marker = /^\s*\/\/\s*#(region|endregion)\s+([\w-]+)\s*$/;
  const start = lines.findIndex((l) => {
    const m = marker.exec(l);
    return m !== null && m[1] === "region" && m[2] === name;
  });
  if (start < 0) return null;
  const end = lines.findIndex((l, i) => {
    if (i <= start) return false;
    const m = marker.exec(l);
    return m !== null && m[1] === "endregion" && m[2] === name;
  });
  if (end < 0) return null;
  const body = lines.slice(start + 1, end).filter((l) => !marker.test(l));
  return body.join("\n").trim() === "" ? null : body.join("\n");
}

/** Every markdown file under `dir`, skipping generated folders (`api`, `public`). */
export function markdownFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (entry.name === "api" || entry.name === "public" || entry.name.startsWith(".")) continue;
      out.push(...markdownFiles(join(dir, entry.name)));
    } else if (entry.name.endsWith(".md")) out.push(join(dir, entry.name));
  }
  return out.sort();
}

/**
 * The snippets of every page in `pagesDir`: `{ snippets: [{ page, file, region }], errors }`,
 * with one error per snippet whose file or region does not exist.
 */
export function checkSnippets(pagesDir) {
  const snippets = [];
  const errors = [];
  for (const page of markdownFiles(pagesDir)) {
    const name = relative(pagesDir, page);
    const text = readFileSync(page, "utf8");
    for (const [, path = "", region] of text.matchAll(SNIPPET)) {
      const file = path.startsWith("@/")
        ? resolve(pagesDir, path.slice(2))
        : resolve(dirname(page), path);
      snippets.push({ page: name, file, region });
      const label = `${name}: <<< ${path}${region ? `#${region}` : ""}`;
      if (!existsSync(file)) {
        errors.push(`${label}: no such file`);
        continue;
      }
      if (region !== undefined && extractRegion(readFileSync(file, "utf8"), region) === null) {
        errors.push(
          `${label}: no region "${region}" (mark it with // #region ${region} … // #endregion ${region})`,
        );
      }
    }
  }
  return { snippets, errors };
}
