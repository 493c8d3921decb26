/**
 * Reads a web `ReadableStream` of bytes to its end, into one array (the chunk itself when
 * there is only one). Used by `Response` and `ServerRequest` to buffer a streamed body.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */
import { type Bytes, ownBytes } from "./bytes.js";

export async function readStream(stream: ReadableStream<Uint8Array>): Promise<Bytes> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
  }
  return chunks.length === 1 ? ownBytes(chunks[0] as Uint8Array) : Buffer.concat(chunks, length);
}
