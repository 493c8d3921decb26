/**
 * Generated news feeds in the three formats a feed reader meets: RSS 2.0, Atom 1.0 and
 * RSS 1.0 (RDF). Titles are realistic — some with `&`, quotes or accents, so a scraper that
 * mishandles entities or non-ASCII text shows it — and each feed has its own latency.
 *
 * Two feeds misbehave on purpose (unless failures are turned off): one answers 500, and one is
 * slower than any sensible deadline, so the dispatch pattern's deadlines and partial results
 * have something to show.
 *
 * @module
 */

import { Random } from "./random.js";
import { escapeHtml } from "./site.js";
import { headline, sentence, siteName, slugify } from "./words.js";

/** The syntax of a feed. */
export type FeedFormat = "rss" | "atom" | "rdf";

/** One entry of a feed. */
export interface FeedItem {
  readonly title: string;
  readonly path: string;
  readonly date: Date;
  readonly summary: string;
}

/** Everything needed to serve one feed. */
export interface FeedPlan {
  /** Path on the internet, such as `/feeds/notes-from-the-harbor.rss`. */
  readonly path: string;
  readonly format: FeedFormat;
  readonly title: string;
  readonly items: readonly FeedItem[];
  /** Time to first byte in milliseconds, before the latency scale. */
  readonly latencyMs: number;
  /** `error`: answers 500. `slow`: answers after the internet's `slowMs`. */
  readonly fault: "none" | "error" | "slow";
}

/** Options of `planFeeds`. */
export interface FeedOptions {
  seed?: number;
  /** Number of feeds (default 17, as many as Eventlet's feedscraper test client posts). */
  count?: number;
  failures?: boolean;
  /** Paths of site pages the items may link to. */
  articles?: readonly string[];
}

const FORMATS: readonly FeedFormat[] = ["rss", "atom", "rdf"];
// Hand-picked names that exercise escaping and Unicode; the rest are generated.
const SPECIAL_TITLES = [
  "Bread & Butter Engineering",
  "Café Über-Latency — Notes",
  'The "Tail Latency" Times',
];
const EPOCH = Date.UTC(2026, 5, 1, 9, 0, 0);

/**
 * Plans `count` feeds, deterministically from the seed.
 *
 * @example
 * ```ts
 * const feeds = planFeeds({ seed: 1, count: 3 });
 * feeds.map((f) => f.format); // ["rss", "atom", "rdf"]
 * ```
 */
export function planFeeds(options: FeedOptions = {}): FeedPlan[] {
  const seed = options.seed ?? 1;
  const count = options.count ?? 17;
  const failures = options.failures ?? true;
  const articles = options.articles ?? [];
  const feeds: FeedPlan[] = [];
  const used = new Set<string>();
  for (let i = 0; i < count; i++) {
    const r = new Random(seed, `feed:${i}`);
    let title =
      i % 6 === 2 ? (SPECIAL_TITLES[((i / 6) % SPECIAL_TITLES.length) | 0] as string) : siteName(r);
    for (let tries = 0; used.has(title); tries++) title = tries < 20 ? siteName(r) : `${title} II`;
    used.add(title);
    const format = FORMATS[i % FORMATS.length] as FeedFormat;
    const items: FeedItem[] = [];
    let t = EPOCH - r.int(0, 48) * 3_600_000;
    for (let k = r.int(8, 25); k > 0; k--) {
      const itemTitle = headline(r);
      items.push({
        title: itemTitle,
        path: articles.length > 0 ? r.pick(articles) : `/posts/${slugify(itemTitle)}`,
        date: new Date(t),
        summary: `${sentence(r)} ${sentence(r)}`,
      });
      t -= r.int(2, 72) * 3_600_000;
    }
    let fault: FeedPlan["fault"] = "none";
    if (failures && i === 4) fault = "error";
    if (failures && i === 9) fault = "slow";
    feeds.push({
      path: `/feeds/${slugify(title)}.${format}`,
      format,
      title,
      items,
      latencyMs: Math.round(Math.min(1_500, Math.max(20, r.logNormal(120, 0.6)))),
      fault,
    });
  }
  return feeds;
}

/** The content type a feed is served with. */
export function feedContentType(format: FeedFormat): string {
  if (format === "atom") return "application/atom+xml; charset=utf-8";
  if (format === "rdf") return "application/rdf+xml; charset=utf-8";
  return "application/rss+xml; charset=utf-8";
}

/** The feed's XML document, with links made absolute against `origin`. */
export function renderFeed(feed: FeedPlan, origin: string): string {
  const x = escapeHtml;
  const home = `${origin}/`;
  const self = `${origin}${feed.path}`;
  const updated = feed.items[0]?.date ?? new Date(EPOCH);
  if (feed.format === "atom") {
    const entries = feed.items
      .map(
        (it) => `  <entry>
    <title>${x(it.title)}</title>
    <link href="${x(origin + it.path)}"/>
    <id>tag:tendril.local,2026:${x(slugify(it.title))}-${it.date.getTime()}</id>
    <updated>${it.date.toISOString()}</updated>
    <summary>${x(it.summary)}</summary>
  </entry>`,
      )
      .join("\n");
    return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>${x(feed.title)}</title>
  <link href="${x(home)}"/>
  <link rel="self" href="${x(self)}"/>
  <id>${x(self)}</id>
  <updated>${updated.toISOString()}</updated>
  <author><name>${x(feed.title)} staff</name></author>
${entries}
</feed>
`;
  }
  if (feed.format === "rdf") {
    const seq = feed.items
      .map((it) => `        <rdf:li rdf:resource="${x(origin + it.path)}"/>`)
      .join("\n");
    const items = feed.items
      .map(
        (it) => `  <item rdf:about="${x(origin + it.path)}">
    <title>${x(it.title)}</title>
    <link>${x(origin + it.path)}</link>
    <dc:date>${it.date.toISOString()}</dc:date>
    <description>${x(it.summary)}</description>
  </item>`,
      )
      .join("\n");
    return `<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="${x(self)}">
    <title>${x(feed.title)}</title>
    <link>${x(home)}</link>
    <description>${x(feed.title)}: the latest posts</description>
    <items>
      <rdf:Seq>
${seq}
      </rdf:Seq>
    </items>
  </channel>
${items}
</rdf:RDF>
`;
  }
  const items = feed.items
    .map(
      (it) => `    <item>
      <title>${x(it.title)}</title>
      <link>${x(origin + it.path)}</link>
      <guid isPermaLink="false">${x(slugify(it.title))}-${it.date.getTime()}</guid>
      <pubDate>${it.date.toUTCString()}</pubDate>
      <description><![CDATA[<p>${it.summary}</p>]]></description>
    </item>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>${x(feed.title)}</title>
    <link>${x(home)}</link>
    <description>${x(feed.title)}: the latest posts</description>
    <language>en</language>
    <lastBuildDate>${updated.toUTCString()}</lastBuildDate>
${items}
  </channel>
</rss>
`;
}
