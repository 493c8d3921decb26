/**
 * A small seeded random generator for the embedded internet. Every page, feed, delay and
 * failure is derived from `(seed, name)`, so the same seed always builds the same world and a
 * crawl is reproducible run after run; and because each path has its own stream, generating a
 * page lazily gives the same page whichever order the pages are asked for.
 *
 * Trade-off: sfc32 is not cryptographic; it is fast, tiny and good enough for fake data.
 *
 * @module
 */

/** Hashes a string to a 32-bit integer (FNV-1a), to derive a stream per name. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A seeded stream of random numbers (sfc32).
 *
 * @example
 * ```ts
 * const r = new Random(42, "/wiki/tea");
 * r.int(1, 6); // the same number on every run
 * ```
 */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** A stream determined by `seed` and, optionally, a name (a path, a feed id). */
  constructor(seed: number, name = "") {
    this.#a = seed >>> 0;
    this.#b = hash32(name);
    this.#c = 0x9e3779b9;
    this.#d = (seed ^ 0x5bd1e995) >>> 0;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /**
   * A log-normal sample: most values near `median`, a long tail above it — the shape of
   * real page sizes and response times.
   */
  logNormal(median: number, sigma: number): number {
    // Box–Muller: two uniforms to one standard normal.
    const u = 1 - this.next();
    const v = this.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.exp(sigma * z);
  }
}
