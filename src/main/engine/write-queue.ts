/**
 * The queue of entries waiting to be written, in the order they first became dirty.
 * An entry is in the queue exactly when its state is `queued`; coalescing happens in the entry
 * itself, so the queue never holds a key twice.
 */
import { objectArray } from '../core/arrays.js';
import type { Entry } from './entry.js';

export class WriteQueue {
  #items = objectArray<Entry>();
  #head = 0;

  constructor() {
    // Stored twice on purpose: a field stored only by its initializer is a constant of the
    // object's shape to V8, and the first `shift` (or compaction) threw away the code compiled on
    // that (`size`, and `#enqueue` and `#checkCapacity` in the engine); see src/main/engine/entry.ts.
    this.#head = 0;
    this.#items = objectArray();
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(entry: Entry): void {
    this.#items.push(entry);
  }

  /** The next entry, or undefined when empty. */
  shift(): Entry | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const entry = this.#items[this.#head];
    this.#items[this.#head++] = undefined as unknown as Entry; // let it be collected
    // Compact once the consumed prefix dominates, so the array does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }

  /** Removes and returns everything queued. */
  drain(): Entry[] {
    const all = this.#items.slice(this.#head);
    this.#items = objectArray();
    this.#head = 0;
    return all;
  }

  *[Symbol.iterator](): IterableIterator<Entry> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i] as Entry;
  }
}
