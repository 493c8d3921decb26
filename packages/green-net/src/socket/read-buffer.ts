/**
 * `ReadBuffer`: the bytes a `GreenSocket` received and nobody has read yet — a list of the
 * chunks Node handed over, consumed from the front without copying where it can. `recv` takes
 * from the first chunk as it is; only a read that spans chunks (`recvExactly`, `readLine`)
 * copies, once, into a buffer of its exact size. The search for a line's end resumes where the
 * last one stopped, so a long line arriving in many small chunks is scanned once, not once per
 * chunk. Flow control (pausing the socket) is the socket's business, not this file's.
 *
 * @module
 */

const EMPTY = Buffer.alloc(0);
const NEWLINE = 10;

/** @internal Received, unread bytes. */
export class ReadBuffer {
  /** Bytes buffered. A field, not a getter: the socket reads it on every data event. */
  size = 0;
  #chunks: Buffer[] = [];
  // Invariant: #offset < length of #chunks[0] whenever #chunks is not empty.
  #offset = 0;
  #scanned = 0; // bytes already searched for "\n" since the last resetScan()

  /** Appends a chunk as it came from the socket. */
  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Up to `max` bytes from the front, without copying (the rest of the first chunk at most). */
  take(max: number): Buffer {
    const chunk = this.#chunks[0] as Buffer;
    const offset = this.#offset;
    const available = chunk.length - offset;
    if (available <= max) {
      this.#chunks.shift();
      this.#offset = 0;
      this.size -= available;
      return offset === 0 ? chunk : chunk.subarray(offset);
    }
    this.#offset = offset + max;
    this.size -= max;
    return chunk.subarray(offset, offset + max);
  }

  /** Exactly `n` bytes from the front (the caller checked that `size >= n`). */
  takeExactly(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.#chunks[0] as Buffer;
    if (first.length - this.#offset >= n) return this.take(n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const part = this.take(n - filled);
      part.copy(out, filled);
      filled += part.length;
    }
    return out;
  }

  /** Bytes up to and including the first "\n", or -1. Resumes where the last search stopped. */
  findNewline(): number {
    let skip = this.#scanned;
    let position = 0;
    const chunks = this.#chunks;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i] as Buffer;
      const start = i === 0 ? this.#offset : 0;
      const length = chunk.length - start;
      if (skip >= length) {
        skip -= length;
        position += length;
        continue;
      }
      const found = chunk.indexOf(NEWLINE, start + skip);
      if (found >= 0) return position + (found - start) + 1;
      position += length;
      skip = 0;
    }
    this.#scanned = this.size;
    return -1;
  }

  /** Starts the next line search from the front (a new `readLine`). */
  resetScan(): void {
    this.#scanned = 0;
  }

  /** Drops everything buffered. */
  clear(): void {
    this.#chunks = [];
    this.#offset = 0;
    this.size = 0;
  }
}
