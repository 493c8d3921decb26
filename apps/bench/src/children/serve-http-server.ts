/**
 * The serve-http suite's servers: a "hello world" or a 16 KiB response, from raw `node:http`
 * (the floor) or from Tendril's `serveHttp` (with green-net's `Response`, or with the
 * platform's). Long-lived: prints `PORT <n>` and runs until SIGTERM.
 *
 * usage: node serve-http-server.js <raw|tendril|tendril-platform> <hello|16k>
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Response, serveHttp } from "@tendril/green-net";

const [mode = "raw", size = "hello"] = process.argv.slice(2);
const body = size === "16k" ? Buffer.alloc(16 * 1024, "x") : "hello world";
const contentType = size === "16k" ? "application/octet-stream" : "text/plain";

let port: number;
if (mode === "raw") {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": contentType });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
} else {
  const ResponseClass = mode === "tendril-platform" ? globalThis.Response : Response;
  const server = await serveHttp(
    { host: "127.0.0.1", port: 0 },
    () => new ResponseClass(body, { headers: { "content-type": contentType } }),
  );
  port = (server.address() as AddressInfo).port;
}
process.stdout.write(`PORT ${port}\n`);
// The suite reads the CPU time spent serving (from the first load on) to compute CPU per request.
let cpuStart: NodeJS.CpuUsage | null = null;
process.on("SIGUSR2", () => {
  cpuStart = process.cpuUsage();
});
process.on("SIGTERM", () => {
  const cpu = process.cpuUsage(cpuStart ?? undefined);
  process.stdout.write(`RSS ${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);
  process.stdout.write(`CPU ${cpu.user + cpu.system}\n`);
  process.exit(0);
});
