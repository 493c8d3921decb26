/**
 * The crawl-redis suite's site: a keep-alive `node:http` server of `n` linked pages, a tree
 * where page i links to pages 10i+1 … 10i+10 (those below `n`) and back to the home page, so a
 * crawler from `/p/0` finds every page. Each page is about `bytes` of HTML. Long-lived: prints
 * `PORT <n>` and runs until SIGTERM.
 *
 * usage: node crawl-site.js <pages> [bytes=1024]
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const pages = Number(process.argv[2] ?? 20_000);
const bytes = Number(process.argv[3] ?? 1024);

function render(i: number): Buffer {
  const links = ['<a href="/p/0">home</a>'];
  for (let k = 10 * i + 1; k <= 10 * i + 10 && k < pages; k++)
    links.push(`<a href="/p/${k}">page ${k}</a>`);
  const head = `<!doctype html><html><head><title>page ${i}</title></head><body>${links.join(" ")}<p>`;
  const tail = "</p></body></html>";
  return Buffer.from(head + "x".repeat(Math.max(0, bytes - head.length - tail.length)) + tail);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const match = /^\/p\/(\d+)$/.exec(req.url ?? "");
  const i = match ? Number(match[1]) : -1;
  if (i < 0 || i >= pages) {
    res.writeHead(404, { "content-length": "0" });
    res.end();
    return;
  }
  const body = render(i);
  res.writeHead(200, { "content-type": "text/html", "content-length": String(body.length) });
  res.end(body);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => process.exit(0));
