/**
 * Reading a response body with a size limit, as a green operation. The recipes pass their
 * limit to `urlopen` too (`maxResponseBytes`), which enforces it while the body streams; this
 * is the check that holds whatever `fetch` a caller plugs in (the global `fetch`, undici's, a
 * test double): a declared `Content-Length` over the limit is refused before a byte is read,
 * and a body that streams past it is cancelled at once, so a hostile upstream can never make
 * us buffer more than the limit. Errors are green-net's (`ResponseTooLarge`, `HttpError`), so
 * a caller matches one code whichever client fetched.
 *
 * @module
 */

import { TextDecoder } from "node:util";
import { green } from "@tendril/core";
import { HttpError, HttpResponse, ResponseTooLarge } from "@tendril/green-net";
import type { FetchResponse } from "./fetch-function.js";

/**
 * Options of `readBody`.
 *
 * @example
 * ```ts
 * const bytes = await readBody(response, { maxBodyBytes: 1 << 20 }); // rejects past 1 MiB
 * ```
 *
 * @internal
 */
export interface ReadBodyOptions {
  /** The most bytes to accept. Default: no limit. */
  maxBodyBytes?: number;
}

/**
 * Drops a response's body without reading it (frees the connection for reuse).
 *
 * @example
 * ```ts
 * if (!response.ok) await discardBody(response);
 * ```
 *
 * @internal
 */
export async function discardBody(response: FetchResponse): Promise<void> {
  try {
    if (response instanceof HttpResponse) await response.cancel();
    else await response.body?.cancel();
  } catch {
    // Already consumed or failed: nothing to free.
  }
}

/**
 * Discards the body of a response whose status is not 2xx and returns green-net's `HttpError`
 * for it (code `ERR_TENDRIL_HTTP_STATUS`), for the recipe to throw.
 *
 * @example
 * ```ts
 * if (!response.ok) throw await statusError(response, url);
 * ```
 *
 * @internal
 */
export async function statusError(response: FetchResponse, url: string): Promise<HttpError> {
  await discardBody(response);
  return new HttpError(
    response.status,
    response.statusText,
    response.url || url,
    response.headers,
    "",
  );
}

/**
 * Reads the body of `response` (or of a `Request`) into one `Uint8Array`, refusing more than
 * `maxBodyBytes`. A green operation: kill or a Timeout interrupts the read and cancels the body.
 *
 * @throws {ResponseTooLarge} (from `@tendril/green-net`, code
 *   `ERR_TENDRIL_HTTP_RESPONSE_TOO_LARGE`) when the body, declared or streamed, exceeds `maxBodyBytes`.
 * @throws {RangeError} for a bad `maxBodyBytes`.
 * @example
 * ```ts
 * const bytes = await readBody(await urlopen(url, { maxResponseBytes: 1 << 20 }), { maxBodyBytes: 1 << 20 });
 * ```
 *
 * @internal
 */
export async function readBody(
  response: FetchResponse | Request,
  options: ReadBodyOptions = {},
): Promise<Uint8Array> {
  const limit = options.maxBodyBytes ?? Number.POSITIVE_INFINITY;
  if (typeof limit !== "number" || Number.isNaN(limit) || limit < 0) {
    throw new RangeError(`readBody: maxBytes must be a number >= 0, received ${String(limit)}`);
  }
  const url = response.url;
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    if (!(response instanceof Request)) await discardBody(response);
    throw new ResponseTooLarge(limit, url, declared);
  }
  if (response instanceof HttpResponse) {
    // urlopen's own reader: already green and limited by the maxResponseBytes it was given.
    const bytes = await response.bytes();
    if (bytes.byteLength > limit) throw new ResponseTooLarge(limit, url, bytes.byteLength);
    return bytes;
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
        throw new ResponseTooLarge(limit, url, `more than ${limit} bytes`);
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
 *
 * @internal
 */
export function decodeText(bytes: Uint8Array, contentType?: string | null): string {
  let label = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? "")?.[1];
  if (label === undefined) {
    const head = decoderFor("latin1").decode(bytes.subarray(0, 200));
    label = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([\w.:-]+)["']/.exec(head)?.[1];
  }
  return decoderFor(label ?? "utf-8").decode(bytes);
}

const decoders = new Map<string, TextDecoder>();

function decoderFor(label: string): TextDecoder {
  const key = label.toLowerCase();
  let decoder = decoders.get(key);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(key);
    } catch {
      decoder = decoderFor("utf-8"); // an unknown label
    }
    // Invariant: bounded — a hostile server naming endless bogus charsets maps them all to utf-8's
    // decoder but never grows the cache past 64 entries.
    if (decoders.size < 64) decoders.set(key, decoder);
  }
  return decoder;
}
