/**
 * Reads a web `ReadableStream` of bytes to its end, into one array (the chunk itself when
 * there is only one). Used by `Response` and `ServerRequest` to buffer a streamed body.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */
export async function readStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, length);
}
