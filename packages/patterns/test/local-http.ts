/**
 * Test helpers: a node:http server on 127.0.0.1 port 0 with a route table, and small feeds in
 * the three formats. Every server is closed (and its keep-alive sockets destroyed) by `close()`.
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Route = (request: IncomingMessage, response: ServerResponse) => void;

export interface LocalServer {
  readonly origin: string;
  url(path: string): string;
  /** Requests seen, by path. */
  readonly hits: Map<string, number>;
  /** Requests in progress now, and the most at once. */
  readonly load: { now: number; peak: number };
  close(): Promise<void>;
}

export async function startServer(routes: Record<string, Route>): Promise<LocalServer> {
  const hits = new Map<string, number>();
  const load = { now: 0, peak: 0 };
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0] as string;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    load.now++;
    load.peak = Math.max(load.peak, load.now);
    response.on("close", () => load.now--);
    const route = routes[path];
    if (route === undefined) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    route(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    hits,
    load,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A route that answers `body` with `type` after `delayMs` (real time: keep it short). */
export function reply(body: string, type = "text/html", delayMs = 0, status = 200): Route {
  return (_request, response) => {
    const send = () => {
      if (!response.destroyed) response.writeHead(status, { "content-type": type }).end(body);
    };
    if (delayMs > 0) {
      const timer = setTimeout(send, delayMs);
      response.on("close", () => clearTimeout(timer));
    } else send();
  };
}

export function redirect(location: string, status = 302): Route {
  return (_request, response) => response.writeHead(status, { location }).end();
}

export const rss = (title: string, items = 3) =>
  `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>${title}</title><link>http://127.0.0.1/</link><description>d</description>${Array.from(
    { length: items },
    (_, i) => `<item><title>item ${i}</title><link>http://127.0.0.1/${i}</link></item>`,
  ).join("")}</channel></rss>`;

export const atom = (title: string) =>
  `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>${title}</title><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated><entry><title>e</title><id>urn:e</id><updated>2026-01-01T00:00:00Z</updated></entry></feed>`;

export const rdf = (title: string) =>
  `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://127.0.0.1/"><title>${title}</title><link>http://127.0.0.1/</link><description>d</description></channel><item rdf:about="http://127.0.0.1/1"><title>i</title><link>http://127.0.0.1/1</link></item></rdf:RDF>`;
