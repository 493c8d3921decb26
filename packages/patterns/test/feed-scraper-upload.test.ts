// Issue 17, item 1, as it was found: one POST larger than the feed scraper's maxRequestBytes
// (64 KiB) crashed the process, with Content-Length or chunked. Served by serveHttp over
// loopback, written with a raw socket so the whole upload keeps coming after the refusal.
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { GreenPool, setErrorReporter } from "@tendril/core";
import { serveHttp } from "@tendril/green-net";
import { createFeedScraper } from "@tendril/patterns/feed-scraper";
import { afterEach, describe, expect, test } from "vitest";

let restore: (() => void) | null = null;
afterEach(() => restore?.());

/** Sends `head` and then `size` bytes in 16 KiB pieces; resolves to all the server sent. */
function upload(port: number, head: string, size: number, chunked: boolean): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (data: string) => {
      received += data;
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(received));
    const piece = Buffer.alloc(16 * 1024, "a");
    let sent = 0;
    const next = (): void => {
      if (socket.destroyed) return;
      if (sent >= size) {
        if (chunked) socket.write("0\r\n\r\n");
        return;
      }
      sent += piece.length;
      const data = chunked
        ? Buffer.concat([
            Buffer.from(`${piece.length.toString(16)}\r\n`),
            piece,
            Buffer.from("\r\n"),
          ])
        : piece;
      socket.write(data, (error) => {
        if (!error) setImmediate(next);
      });
    };
    socket.write(head, () => next());
  });
}

describe("the feed scraper refuses a large upload and lives on", () => {
  test.each([false, true])(
    "1 MiB POST (chunked: %s) → 413, and the next request is served",
    async (chunked) => {
      const reported: unknown[] = [];
      const previous = setErrorReporter((error) => {
        reported.push(error);
      });
      restore = () => setErrorReporter(previous);
      const pool = new GreenPool(4);
      const server = await serveHttp({ host: "127.0.0.1", port: 0 }, createFeedScraper({ pool }));
      try {
        const port = (server.address() as AddressInfo).port;
        const framing = chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${1024 * 1024}`;
        const answer = await upload(
          port,
          `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n${framing}\r\n\r\n`,
          1024 * 1024,
          chunked,
        );
        expect(answer).toMatch(/^HTTP\/1\.1 413 /);
        expect(answer).toContain("request body over 65536 bytes");
        // Still alive: an empty list is a well-formed request.
        const again = await upload(
          port,
          "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
          0,
          false,
        );
        expect(again).toMatch(/^HTTP\/1\.1 [24]\d\d /);
        expect(reported).toEqual([]);
      } finally {
        await server.close({ graceMs: 0 });
        await pool.waitall();
      }
    },
  );
});
