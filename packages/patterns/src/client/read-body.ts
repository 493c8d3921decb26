/**
 * Reading a response body with a size limit, as a green operation. The recipes pass their
 * limit to the HTTP client too; this is the check that holds whatever `fetch` a caller plugs
 * in (the global `fetch`, undici's, a test double): a declared `Content-Length` over the limit
 * is refused before a byte is read, and a body that streams past it is cancelled at once, so a
 * hostile upstream can never make us buffer more than the limit.
 *
 * @module
 */

import { green, TendrilError } from "@tendril/core";

/**
 * A response body larger than the caller's limit. `code` is `ERR_TENDRIL_RESPONSE_TOO_LARGE`.
 *
 * @example
 * ```ts
 * try { await readBody(response, { maxBytes: 1 << 20 }); }
 * catch (error) { if (error instanceof ResponseTooLargeError) console.log(error.limit); }
 * ```
 */
export class ResponseTooLargeError extends TendrilError {
  /** The limit, in bytes. */
  readonly limit: number;
  constructor(limit: number, declared?: number) {
    super(
      "ERR_TENDRIL_RESPONSE_TOO_LARGE",
      declared === undefined
        ? `the response body is larger than the limit of ${limit} bytes`
        : `the response body is ${declared} bytes, more than the limit of ${limit} bytes`,
    );
    this.limit = limit;
  }
}

/**
 * A response whose status is not 2xx, where the recipe wanted a body. `code` is
 * `ERR_TENDRIL_HTTP_STATUS`; `status` and `url` say which.
 *
 * @example
 * ```ts
 * if (!response.ok) throw new HttpStatusError(response.status, response.url);
 * ```
 */
export class HttpStatusError extends TendrilError {
  readonly status: number;
  readonly url: string;
  constructor(status: number, url: string) {
    super("ERR_TENDRIL_HTTP_STATUS", `${url} answered with HTTP status ${status}`);
    this.status = status;
    this.url = url;
  }
}

/** Options of `readBody`. */
export interface ReadBodyOptions {
  /** The most bytes to accept. Default: no limit. */
  maxBytes?: number;
}

/**
 * Reads the body of `response` (or of a `Request`) into one `Uint8Array`, refusing more than
 * `maxBytes`. A green
 * operation: kill or a Timeout interrupts the read and cancels the body stream.
 *
 * @throws {ResponseTooLargeError} when the body (declared or streamed) exceeds `maxBytes`.
 * @example
 * ```ts
 * const bytes = await readBody(await urlopen(url), { maxBytes: 512 * 1024 });
 * ```
 */
export async function readBody(
  response: Response | Request,
  options: ReadBodyOptions = {},
): Promise<Uint8Array> {
  const limit = options.maxBytes ?? Number.POSITIVE_INFINITY;
  if (typeof limit !== "number" || Number.isNaN(limit) || limit < 0) {
    throw new RangeError(`readBody: maxBytes must be a number >= 0, received ${String(limit)}`);
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(limit, declared);
  }
  const body = response.body;
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const cancel = (reason: unknown): void => {
    reader.cancel(reason).catch(() => undefined);
  };
  try {
    for (;;) {
      const { done, value } = await green(reader.read(), cancel);
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        cancel(undefined);
        throw new ResponseTooLargeError(limit);
      }
      chunks.push(value);
    }
  } finally {
    try {
      reader.releaseLock();
    } catch {
      // A read still pending after an interruption: the stream is cancelled anyway.
    }
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Decodes a body to text: the charset of the `Content-Type`, else the XML declaration's
 * `encoding` (feeds often say `ISO-8859-1` there only), else UTF-8. Unknown labels fall back
 * to UTF-8.
 *
 * @example
 * ```ts
 * const text = decodeText(bytes, response.headers.get("content-type"));
 * ```
 */
export function decodeText(bytes: Uint8Array, contentType?: string | null): string {
  let label = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? "")?.[1];
  if (label === undefined) {
    const head = new TextDecoder("latin1").decode(bytes.subarray(0, 200));
    label = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([\w.:-]+)["']/.exec(head)?.[1];
  }
  try {
    return new TextDecoder(label ?? "utf-8").decode(bytes);
  } catch {
    return new TextDecoder("utf-8").decode(bytes); // an unknown label
  }
}
