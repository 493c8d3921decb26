/**
 * A growable ring buffer: O(1) push and pop at both ends, no `Array.shift` (which copies
 * the whole array once it is large), and slots cleared on removal so that the deque never
 * keeps a consumed item alive. The store behind `Queue`, `LifoQueue` and `GreenPile`.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

/** @internal A double-ended queue on a power-of-two ring. */
export class Deque<T> {
  #ring: Array<T | undefined>;
  #mask: number;
  #head = 0;
  #length = 0;

  constructor(capacity = 16) {
    let n = 4;
    while (n < capacity) n *= 2;
    this.#ring = new Array<T | undefined>(n);
    this.#mask = n - 1;
  }

  get length(): number {
    return this.#length;
  }

  /** Appends at the back. */
  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#ring[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Inserts at the front. */
  unshift(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#head = (this.#head - 1) & this.#mask;
    this.#ring[this.#head] = item;
    this.#length++;
  }

  /** Removes from the front; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const ring = this.#ring;
    const item = ring[this.#head];
    ring[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return item;
  }

  /** Removes from the back; `undefined` when empty. */
  pop(): T | undefined {
    if (this.#length === 0) return undefined;
    this.#length--;
    const index = (this.#head + this.#length) & this.#mask;
    const item = this.#ring[index];
    this.#ring[index] = undefined;
    return item;
  }

  /** The front item, left in place. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#ring[this.#head];
  }

  /** The item `i` places from the front (0 is the front). */
  at(i: number): T | undefined {
    return i < 0 || i >= this.#length ? undefined : this.#ring[(this.#head + i) & this.#mask];
  }

  #grow(): void {
    const old = this.#ring;
    const size = old.length;
    const next = new Array<T | undefined>(size * 2);
    for (let i = 0; i < this.#length; i++) next[i] = old[(this.#head + i) & this.#mask];
    this.#ring = next;
    this.#mask = size * 2 - 1;
    this.#head = 0;
  }
}
