/**
 * The access log of `serveHttp`, in the Common or Combined Log Format that Apache, nginx and
 * every log analyser read:
 *
 *     127.0.0.1 - - [22/Nov/2026:10:00:00 +0000] "GET /feed HTTP/1.1" 200 1024 "-" "curl/8.5.0"
 *
 * It is off by default (a log line costs more than a small response); pass `accessLog: true`
 * for standard error (Eventlet logs there), a writable, or a function that receives each line
 * and its fields. Request lines and headers are escaped (`"` and control bytes as `\xHH`), so
 * a client cannot forge log lines.
 *
 * @module
 */

/**
 * `"common"`: host, user, time, request line, status, bytes. `"combined"`: plus Referer and User-Agent.
 *
 * @example
 * ```ts
 * await serveHttp(8080, handler, { accessLog: true, accessLogFormat: "common" });
 * ```
 */
export type AccessLogFormat = "common" | "combined";

/**
 * The fields of one access-log line.
 *
 * @example
 * ```ts
 * await serveHttp(8080, handler, {
 *   accessLog: (_line, entry: AccessLogEntry) =>
 *     console.log(entry.status, entry.requestLine, `${entry.durationMs} ms`),
 * });
 * ```
 */
export interface AccessLogEntry {
  /** The client's address (`-` when unknown). */
  readonly remoteAddress: string;
  /** When the request arrived. */
  readonly time: Date;
  /** The request line as sent: `GET /path HTTP/1.1` (or `-` for a request that never parsed). */
  readonly requestLine: string;
  /** The status sent. */
  readonly status: number;
  /** Body bytes sent. */
  readonly bytes: number;
  /** The `Referer` header, if any. */
  readonly referer: string | undefined;
  /** The `User-Agent` header, if any. */
  readonly userAgent: string | undefined;
  /** How long the exchange took, in milliseconds. */
  readonly durationMs: number;
}

/**
 * Where access-log lines go: `true` (standard error), a writable, or a function.
 *
 * @example
 * ```ts
 * await serveHttp(8080, handler, { accessLog: process.stdout }); // or true, or (line) => …
 * ```
 */
export type AccessLogSink =
  | boolean
  | { write(line: string): unknown }
  | ((line: string, entry: AccessLogEntry) => void);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

let cachedSecond = -1;
let cachedStamp = "";

/** `10/Oct/2000:13:55:36 -0700`, the CLF timestamp, in local time (cached per second). */
function clfTime(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second === cachedSecond) return cachedStamp;
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  cachedStamp =
    `${pad(date.getDate())}/${MONTHS[date.getMonth()]}/${date.getFullYear()}:` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
  cachedSecond = second;
  return cachedStamp;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are what we escape.
const UNSAFE = /["\\\x00-\x1f\x7f]/g;

function escapeField(value: string): string {
  return value.replace(UNSAFE, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * Formats one access-log line (without the newline).
 *
 * @example
 * ```ts
 * formatAccessLog({ remoteAddress: "127.0.0.1", time: new Date(), requestLine: "GET / HTTP/1.1",
 *   status: 200, bytes: 11, referer: undefined, userAgent: "curl/8", durationMs: 1 }, "combined");
 * ```
 */
export function formatAccessLog(
  entry: AccessLogEntry,
  format: AccessLogFormat = "combined",
): string {
  const bytes = entry.bytes > 0 ? String(entry.bytes) : "-";
  const common = `${entry.remoteAddress || "-"} - - [${clfTime(entry.time)}] "${escapeField(entry.requestLine)}" ${entry.status} ${bytes}`;
  if (format === "common") return common;
  const referer = entry.referer ? escapeField(entry.referer) : "-";
  const agent = entry.userAgent ? escapeField(entry.userAgent) : "-";
  return `${common} "${referer}" "${agent}"`;
}

/** Turns an `AccessLogSink` into a writer, or `null` when logging is off. @internal */
export function accessLogWriter(
  sink: AccessLogSink | undefined,
  format: AccessLogFormat,
): ((entry: AccessLogEntry) => void) | null {
  if (sink === undefined || sink === false) return null;
  if (sink === true) return (entry) => process.stderr.write(`${formatAccessLog(entry, format)}\n`);
  if (typeof sink === "function") return (entry) => sink(formatAccessLog(entry, format), entry);
  if (typeof sink === "object" && sink !== null && typeof sink.write === "function") {
    return (entry) => void sink.write(`${formatAccessLog(entry, format)}\n`);
  }
  throw new TypeError("serveHttp: accessLog must be a boolean, a writable or a function");
}
