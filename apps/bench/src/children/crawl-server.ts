/**
 * The crawl suite's origin: a keep-alive `node:http` server answering every path with the same
 * 1 KiB body. Long-lived: prints `PORT <n>` and runs until SIGTERM.
 *
 * usage: node crawl-server.js [bodyBytes=1024]
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const size = Number(process.argv[2] ?? 1024);
const body = Buffer.alloc(size, "x");
const server = createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "content-length": String(body.length) });
  res.end(body);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => process.exit(0));
