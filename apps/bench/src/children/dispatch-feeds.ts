/**
 * The dispatch suite's upstream: a node:http server with ten distinct feeds of realistic size
 * (5–20 KB; RSS 2.0, Atom and RDF) answered after a small latency (2–20 ms), and ten "slow"
 * feeds (/slow/0..9, 60–240 ms) for the one-request latency check. Long-lived: prints
 * `PORT <n>` and serves until killed.
 *
 * usage: node dispatch-feeds.js
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const WORDS =
  "green thread pool pile queue timeout socket feed title dispatch crawler server client hub event semaphore".split(
    " ",
  );

function sentence(seed: number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[(seed * 7 + i * 13) % WORDS.length] as string);
  return out.join(" ");
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
}

function rss(n: number, bytes: number): string {
  const items: string[] = [];
  let body = "";
  for (let i = 0; body.length < bytes; i++) {
    items.push(
      `<item><title>${escapeXml(sentence(n + i, 6))}</title><link>http://127.0.0.1/feed/${n}/${i}</link>` +
        `<guid isPermaLink="false">feed-${n}-item-${i}</guid><pubDate>Mon, 0${(i % 9) + 1} Jun 2026 10:00:00 GMT</pubDate>` +
        `<description>${escapeXml(`<p>${sentence(i, 40)}</p>`)}</description></item>`,
    );
    body = items.join("\n");
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Feed ${n}: ${sentence(n, 3)}</title><link>http://127.0.0.1/</link><description>Feed number ${n}</description>\n${body}\n</channel></rss>\n`;
}

function atom(n: number, bytes: number): string {
  const entries: string[] = [];
  let body = "";
  for (let i = 0; body.length < bytes; i++) {
    entries.push(
      `<entry><title>${escapeXml(sentence(n + i, 6))}</title><id>urn:feed:${n}:${i}</id><updated>2026-06-0${(i % 9) + 1}T10:00:00Z</updated>` +
        `<link href="http://127.0.0.1/feed/${n}/${i}"/><summary type="html">${escapeXml(`<p>${sentence(i, 40)}</p>`)}</summary></entry>`,
    );
    body = entries.join("\n");
  }
  return `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>Feed ${n}: ${sentence(n, 3)}</title><id>urn:feed:${n}</id><updated>2026-06-01T10:00:00Z</updated>\n${body}\n</feed>\n`;
}

function rdf(n: number, bytes: number): string {
  const items: string[] = [];
  let body = "";
  for (let i = 0; body.length < bytes; i++) {
    items.push(
      `<item rdf:about="http://127.0.0.1/feed/${n}/${i}"><title>${escapeXml(sentence(n + i, 6))}</title><link>http://127.0.0.1/feed/${n}/${i}</link>` +
        `<description>${escapeXml(sentence(i, 40))}</description></item>`,
    );
    body = items.join("\n");
  }
  return `<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://127.0.0.1/"><title>Feed ${n}: ${sentence(n, 3)}</title><link>http://127.0.0.1/</link><description>Feed number ${n}</description></channel>\n${body}\n</rdf:RDF>\n`;
}

interface Feed {
  body: Buffer;
  type: string;
  delay: number;
}

const feeds = new Map<string, Feed>();
for (let n = 0; n < 10; n++) {
  const size = 5_000 + n * 1_650; // 5 KB .. ~20 KB
  const kind = n % 5 < 3 ? "rss" : n % 5 === 3 ? "atom" : "rdf";
  const text = kind === "rss" ? rss(n, size) : kind === "atom" ? atom(n, size) : rdf(n, size);
  const type =
    kind === "rss"
      ? "application/rss+xml"
      : kind === "atom"
        ? "application/atom+xml"
        : "application/rdf+xml";
  const body = Buffer.from(text);
  feeds.set(`/feed/${n}`, { body, type, delay: 2 + ((n * 7) % 19) }); // 2..20 ms
  feeds.set(`/slow/${n}`, { body, type, delay: 60 + n * 20 }); // 60..240 ms
}

const server = createServer((request, response) => {
  const feed = feeds.get(request.url ?? "");
  if (feed === undefined) {
    response.writeHead(404).end();
    return;
  }
  setTimeout(() => {
    response
      .writeHead(200, { "content-type": feed.type, "content-length": feed.body.length })
      .end(feed.body);
  }, feed.delay);
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => process.exit(0));
