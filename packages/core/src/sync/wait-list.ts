/**
 * The FIFO of parked green operations that every blocking primitive keeps (semaphore
 * acquirers, queue getters and putters, pool spawners, event and join waiters).
 *
 * Trade-off: an entry that leaves early (its thread was killed, its Timeout fired, its own
 * timeout expired) is only *marked* dead — O(1) — and skipped when the list is popped, instead
 * of being spliced out of the middle, which would make a burst of timeouts quadratic. Dead
 * entries are compacted away as soon as they outnumber the live ones, so a loop that polls
 * an idle queue with a short timeout forever does not grow the list.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

/** Something that can sit in a `WaitList`. */
export interface WaitEntry {
  /** Set by the list: true once the entry was removed (popped or cancelled). */
  dead: boolean;
}

/** @internal A FIFO with O(1) push, pop and cancellation. */
export class WaitList<E extends WaitEntry> {
  #items: Array<E | undefined> = [];
  #head = 0;
  #live = 0;

  /** How many entries are waiting (cancelled ones excluded). */
  get size(): number {
    return this.#live;
  }

  /** Appends `entry`. */
  push(entry: E): void {
    entry.dead = false;
    this.#items.push(entry);
    this.#live++;
  }

  /** Removes and returns the oldest live entry, or `undefined`. */
  shift(): E | undefined {
    if (this.#live === 0) return undefined;
    const items = this.#items;
    for (;;) {
      const entry = items[this.#head];
      items[this.#head++] = undefined;
      if (entry !== undefined && !entry.dead) {
        entry.dead = true;
        this.#live--;
        this.#trim();
        return entry;
      }
    }
  }

  /** The oldest live entry, left in place. */
  peek(): E | undefined {
    if (this.#live === 0) return undefined;
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) {
      const entry = items[i];
      if (entry !== undefined && !entry.dead) return entry;
      this.#head = i + 1;
    }
    return undefined;
  }

  /** Cancels `entry` if it is still waiting. Returns whether it was. */
  remove(entry: E): boolean {
    if (entry.dead) return false;
    entry.dead = true;
    this.#live--;
    this.#trim();
    return true;
  }

  /** Removes and returns every live entry, oldest first. */
  drain(): E[] {
    const out: E[] = [];
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) {
      const entry = items[i];
      if (entry !== undefined && !entry.dead) {
        entry.dead = true;
        out.push(entry);
      }
    }
    this.#items = [];
    this.#head = 0;
    this.#live = 0;
    return out;
  }

  #trim(): void {
    const items = this.#items;
    if (this.#live === 0) {
      // Invariant: an empty list holds no array slots, dead or alive.
      if (items.length > 0) {
        this.#items = [];
        this.#head = 0;
      }
      return;
    }
    const held = items.length - this.#head;
    // Invariant: dead entries (and the consumed prefix) never outnumber the live ones by much,
    // so memory stays proportional to what is really waiting.
    if ((this.#head > 1024 && this.#head > held) || (held > 32 && held > 2 * this.#live)) {
      const next: Array<E | undefined> = [];
      for (let i = this.#head; i < items.length; i++) {
        const entry = items[i];
        if (entry !== undefined && !entry.dead) next.push(entry);
      }
      this.#items = next;
      this.#head = 0;
    }
  }
}
