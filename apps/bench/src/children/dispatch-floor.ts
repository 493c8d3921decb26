/**
 * The dispatch suite's floor: the feed scraper written by hand — node:http, undici's
 * `request` (keep-alive pool), feedsmith (the parser the Tendril scraper uses, items skipped
 * the same way), `Promise.all` per request. No global limit, no deadline, no outbound checks:
 * the least work a correct scraper can do. Long-lived: prints `PORT <n>`.
 *
 * usage: node dispatch-floor.js
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseFeed } from "feedsmith";
import { Agent, request } from "undici";

const agent = new Agent({ connections: 256 });

async function fetchTitle(url: string): Promise<string> {
  const { statusCode, body } = await request(url, {
    dispatcher: agent,
    headers: { accept: "application/rss+xml, application/atom+xml, */*" },
  });
  const text = await body.text();
  if (statusCode < 200 || statusCode >= 300) throw new Error(`HTTP ${statusCode}`);
  const title = (parseFeed(text, { maxItems: 0 }).feed as { title?: unknown }).title;
  if (typeof title === "string") return title.trim();
  if (
    title &&
    typeof title === "object" &&
    typeof (title as { value?: unknown }).value === "string"
  ) {
    return (title as { value: string }).value.trim();
  }
  return "";
}

const server = createServer(async (req, res) => {
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "POST" }).end();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const urls = Buffer.concat(chunks)
    .toString("utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const titles = await Promise.all(
    urls.map((u) => fetchTitle(u).catch((e: Error) => `[error] ${e.message}`)),
  );
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(`${titles.join("\n")}\n`);
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => {
  process.stdout.write(`RSS ${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);
  process.exit(0);
});
