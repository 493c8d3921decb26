/**
 * `PriorityQueue`: a `Queue` whose `get` returns the lowest item first, on a binary heap.
 *
 * Items of equal priority come out in the order they were put (a sequence number breaks
 * ties; Python's heap leaves that order unspecified). With no comparator, numbers, strings and
 * bigints compare naturally and arrays compare element by element, so the Python habit of
 * `[priority, data]` tuples works as is.
 *
 * @module
 */

import { checkFunction } from "../errors.js";
import { Queue } from "./queue.js";

/**
 * Orders two items: negative when `a` comes first.
 *
 * @example
 * ```ts
 * type Job = { name: string; deadline: number };
 * const byDeadline: Comparator<Job> = (a, b) => a.deadline - b.deadline;
 * const jobs = new PriorityQueue<Job>(null, byDeadline); // the earliest deadline comes out first
 * ```
 */
export type Comparator<T> = (a: T, b: T) => number;

interface Slot<T> {
  item: T;
  seq: number;
}

/**
 * The default order: `<` on numbers, strings and bigints; arrays element by element
 * (shorter first on a tie), so `[priority, data]` pairs sort by priority.
 */
function naturalOrder(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = naturalOrder(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/**
 * A queue that returns its lowest item first (by `compare`, or the natural order), with
 * everything else of `Queue`.
 *
 * @throws {TypeError|RangeError} when `maxsize` is invalid, or `compare` is not a function.
 * @example
 * ```ts
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([2, "later"]);
 * q.putNowait([1, "first"]);
 * q.getNowait(); // [1, "first"]
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  readonly #heap: Array<Slot<T>> = [];
  readonly #compare: Comparator<T>;
  #seq = 0;

  constructor(maxsize?: number | null, compare?: Comparator<T>) {
    super(maxsize);
    if (compare !== undefined) checkFunction("PriorityQueue compare", compare);
    this.#compare = compare ?? (naturalOrder as Comparator<T>);
  }

  #before(a: Slot<T>, b: Slot<T>): boolean {
    const c = this.#compare(a.item, b.item);
    return c < 0 || (c === 0 && a.seq < b.seq);
  }

  /** @internal */
  protected override _qsize(): number {
    return this.#heap.length;
  }

  /** @internal */
  protected override _put(item: T): void {
    const heap = this.#heap;
    const slot: Slot<T> = { item, seq: this.#seq++ };
    let i = heap.length;
    heap.push(slot);
    // Invariant: swaps only, so a comparator that throws leaves every item in the heap once.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Slot<T>;
      if (!this.#before(slot, p)) break;
      heap[i] = p;
      heap[parent] = slot;
      i = parent;
    }
  }

  /** @internal */
  protected override _get(): T {
    const heap = this.#heap;
    const top = heap[0] as Slot<T>;
    const last = heap.pop() as Slot<T>;
    const n = heap.length;
    if (n > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        const right = child + 1;
        if (right < n && this.#before(heap[right] as Slot<T>, heap[child] as Slot<T>))
          child = right;
        const c = heap[child] as Slot<T>;
        if (!this.#before(c, last)) break;
        heap[i] = c;
        heap[child] = last;
        i = child;
      }
    }
    return top.item;
  }
}
