/**
 * A generated web site: N linked articles with realistic HTML sizes, per-page latency and a
 * few faults, all derived from one seed. The plan (titles, links, sizes, delays, faults) is
 * computed up front — it is small — and each page's HTML is rendered on demand from its own
 * random stream, so a page is byte-for-byte the same on every run.
 *
 * Faults, about 3% of pages in all, are what a crawler meets on the real web:
 * - `error`: the server answers 500;
 * - `hang`: the server accepts the request and never answers in time;
 * - a few pages carry a broken link (404), and some links go through a redirect;
 * - every page links to other origins (example.com, …), which a polite crawler skips.
 *
 * @module
 */

import { Random } from "./random.js";
import { capital, headline, sentence, siteName, slugify } from "./words.js";

/** What goes wrong when a page is fetched. */
export type Fault = "none" | "error" | "hang";

/** Everything needed to serve one page. */
export interface PagePlan {
  /** Path on the site, such as `/wiki/notes-on-backpressure-17`. */
  readonly path: string;
  readonly title: string;
  /** Paths (on this site) and absolute URLs (elsewhere) the page links to. */
  readonly links: readonly string[];
  /** Target size of the HTML, in bytes. */
  readonly size: number;
  /** Time to first byte, in milliseconds, before the latency scale is applied. */
  readonly latencyMs: number;
  readonly fault: Fault;
}

/** Options of `new Site()`. */
export interface SiteOptions {
  /** Seed of everything random (default 1). */
  seed?: number;
  /** Number of pages, the home page included (default 1000): `pages: 5000` is 5,000 pages. */
  pages?: number;
  /** Whether some pages fail (default true). */
  failures?: boolean;
}

const EXTERNAL = ["https://example.com", "https://example.org", "https://example.net"] as const;

/**
 * A deterministic site plan.
 *
 * @example
 * ```ts
 * const site = new Site({ seed: 7, pages: 50 });
 * site.page("/")?.links.length; // the home page's links
 * ```
 */
export class Site {
  readonly name: string;
  readonly seed: number;
  readonly #pages = new Map<string, PagePlan>();
  readonly #redirects = new Map<string, string>();
  readonly #articles: PagePlan[] = [];

  constructor(options: SiteOptions = {}) {
    const seed = options.seed ?? 1;
    const count = options.pages ?? 1000;
    const failures = options.failures ?? true;
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`pages must be an integer >= 1, received ${String(count)}`);
    }
    this.seed = seed;
    const r = new Random(seed, "site");
    this.name = siteName(r);

    const articles = count - 1; // the home page is one of the `count` pages
    const titles: string[] = [];
    const paths: string[] = [];
    for (let i = 0; i < articles; i++) {
      const title = headline(new Random(seed, `title:${i}`));
      titles.push(title);
      paths.push(`/wiki/${slugify(title)}-${i}`);
    }

    for (let i = 0; i < articles; i++) {
      const pr = new Random(seed, `plan:${i}`);
      const links: string[] = [];
      // The next article keeps every page reachable from the home page; the others are
      // mostly nearby (sites have neighbourhoods), sometimes anywhere.
      if (i + 1 < articles) links.push(paths[i + 1] as string);
      const extra = pr.int(4, 12);
      for (let k = 0; k < extra; k++) {
        const j = pr.chance(0.7)
          ? Math.min(articles - 1, Math.max(0, i + pr.int(-25, 25)))
          : pr.int(0, articles - 1);
        if (j !== i) links.push(paths[j] as string);
      }
      if (pr.chance(0.08)) {
        const target = paths[pr.int(0, articles - 1)] as string;
        const from = `/go/${i}`;
        this.#redirects.set(from, target);
        links.push(from);
      }
      if (failures && pr.chance(0.01)) links.push(`/wiki/this-page-was-deleted-${i}`);
      for (let k = pr.int(1, 3); k > 0; k--) {
        links.push(`${pr.pick(EXTERNAL)}/${slugify(headline(pr))}`);
      }
      let fault: Fault = "none";
      if (failures && i > 0) {
        const roll = pr.next();
        if (roll < 0.015) fault = "error";
        else if (roll < 0.02) fault = "hang";
      }
      const plan: PagePlan = {
        path: paths[i] as string,
        title: titles[i] as string,
        links: [...new Set(links)],
        size: Math.round(clamp(pr.logNormal(24_000, 0.6), 3_000, 300_000)),
        latencyMs: Math.round(clamp(pr.logNormal(35, 0.7), 3, 2_000)),
        fault,
      };
      this.#articles.push(plan);
      this.#pages.set(plan.path, plan);
    }

    const home: PagePlan = {
      path: "/",
      title: this.name,
      links: paths.slice(0, 24),
      size: 12_000,
      latencyMs: 8,
      fault: "none",
    };
    this.#pages.set("/", home);
  }

  /** Number of pages, the home page included. */
  get size(): number {
    return this.#pages.size;
  }

  /** All pages, the home page first. */
  pages(): PagePlan[] {
    return [this.#pages.get("/") as PagePlan, ...this.#articles];
  }

  /** The plan of the page at `path`, or `undefined` (a 404). */
  page(path: string): PagePlan | undefined {
    return this.#pages.get(path);
  }

  /** Where `path` redirects to, if it is a redirect. */
  redirect(path: string): string | undefined {
    return this.#redirects.get(path);
  }

  /** The page's HTML, about `plan.size` bytes long, the same on every call. */
  render(plan: PagePlan): string {
    const r = new Random(this.seed, `html:${plan.path}`);
    const nav = plan.links
      .map((href) => `<li><a href="${href}">${escapeHtml(linkText(this, href, r))}</a></li>`)
      .join("\n");
    const head = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(plan.title)} · ${escapeHtml(this.name)}</title>
<style>body{font:16px/1.6 Georgia,serif;max-width:42rem;margin:2rem auto;color:#222}nav a{color:#05c}</style>
</head>
<body>
<header><a href="/">${escapeHtml(this.name)}</a></header>
<article>
<h1>${escapeHtml(plan.title)}</h1>
`;
    const tail = `</article>
<nav><h2>Read next</h2><ul>
${nav}
</ul></nav>
<footer>© ${escapeHtml(this.name)}</footer>
</body>
</html>
`;
    let body = "";
    const budget = plan.size - head.length - tail.length;
    while (body.length < budget) {
      let p = "<p>";
      for (let s = r.int(3, 7); s > 0; s--) p += `${sentence(r)} `;
      body += `${p.trimEnd()}</p>\n`;
      if (r.chance(0.15)) body += `<h2>${escapeHtml(capital(headline(r)))}</h2>\n`;
    }
    return head + body + tail;
  }
}

function linkText(site: Site, href: string, r: Random): string {
  const target = site.page(href) ?? site.page(site.redirect(href) ?? "");
  return target?.title ?? headline(r);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
