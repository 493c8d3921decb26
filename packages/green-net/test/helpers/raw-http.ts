// Raw HTTP/1.1 over loopback for the server's hostile-input tests: bytes in, bytes out, no
// client library in between to tidy up what is sent or received.
import { connect as netConnect, type Socket } from "node:net";

/** What a raw exchange saw: every byte the server sent, and how the connection ended. */
export interface RawResult {
  /** Everything the server sent (latin1, so bytes map one-to-one to characters). */
  readonly received: string;
  /** True when the server closed (or reset) the connection before the client's deadline. */
  readonly closed: boolean;
}

/** Options of `rawExchange`. */
export interface RawOptions {
  /** Give up (and destroy the socket) after this long. Default 5000. */
  readonly ms?: number;
  /** Half-close the client side once everything is written. */
  readonly endAfter?: boolean;
  /** Resolve as soon as this many complete responses (status lines) arrived. */
  readonly responses?: number;
}

/** Counts the status lines in what a server sent. */
export function statusLines(received: string): string[] {
  return received.match(/HTTP\/1\.[01] \d{3}[^\r\n]*/g) ?? [];
}

/**
 * Writes `chunks` on a fresh connection (each after the previous one was flushed) and collects
 * what the server sends until it closes, `responses` status lines arrived, or `ms` passed.
 */
export function rawExchange(
  port: number,
  chunks: ReadonlyArray<string | Uint8Array>,
  options: RawOptions = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket: Socket = netConnect(port, "127.0.0.1");
    let received = "";
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received, closed });
    };
    const timer = setTimeout(() => finish(false), options.ms ?? 5000);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const want = options.responses;
      if (want !== undefined && statusLines(received).length >= want && complete(received, want)) {
        finish(false);
      }
    });
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    let index = 0;
    const writeNext = (): void => {
      if (settled || socket.destroyed) return;
      if (index >= chunks.length) {
        if (options.endAfter) socket.end();
        return;
      }
      const chunk = chunks[index++] as string | Uint8Array;
      socket.write(typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk, (error) => {
        if (error === null || error === undefined) setImmediate(writeNext);
      });
    };
    socket.once("connect", writeNext);
  });
}

// True when the last of `want` responses has its whole Content-Length body.
function complete(received: string, want: number): boolean {
  const starts: number[] = [];
  const re = /HTTP\/1\.[01] \d{3}/g;
  for (let m = re.exec(received); m !== null; m = re.exec(received)) starts.push(m.index);
  const last = received.slice(starts[want - 1] ?? 0);
  const headEnd = last.indexOf("\r\n\r\n");
  if (headEnd < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(last.slice(0, headEnd));
  if (length === null) return true;
  return last.length - headEnd - 4 >= Number(length[1]);
}

/** A request head with `headers` (name/value pairs) and CRLF framing. */
export function head(
  requestLine: string,
  headers: ReadonlyArray<readonly [string, string]>,
): string {
  return `${requestLine}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`;
}

/** `size` bytes of body split into `pieces` chunks of about equal size. */
export function bodyPieces(size: number, pieces: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const step = Math.ceil(size / pieces);
  for (let at = 0; at < size; at += step)
    out.push(new Uint8Array(Math.min(step, size - at)).fill(97));
  return out;
}

/** The same pieces framed as HTTP/1.1 chunks, with the terminating zero chunk last. */
export function chunked(pieces: ReadonlyArray<Uint8Array>): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const piece of pieces) {
    out.push(
      Buffer.concat([
        Buffer.from(`${piece.byteLength.toString(16)}\r\n`),
        piece,
        Buffer.from("\r\n"),
      ]),
    );
  }
  out.push(Buffer.from("0\r\n\r\n"));
  return out;
}
