/**
 * The `log` store's in-memory index: key → (segment, offset, size, expiresAt) of the key's
 * latest record. Locations live in typed-array columns addressed by a slot number, so a
 * million keys cost one small-integer Map entry each plus 24 bytes, not an object each.
 * It also keeps the live bytes of every segment, from which compaction finds dead bytes.
 */

const INITIAL_CAPACITY = 1024;

export class LogIndex {
  #slots = new Map<string, number>();
  #segment = new Uint32Array(INITIAL_CAPACITY);
  #offset = new Float64Array(INITIAL_CAPACITY);
  #size = new Uint32Array(INITIAL_CAPACITY);
  #expiresAt = new Float64Array(INITIAL_CAPACITY);
  #free: number[] = [];
  #next = 0;
  /** Live bytes by segment number (segment numbers are small and dense: an array beats a Map here). */
  #live: number[] = [];

  get size(): number {
    return this.#slots.size;
  }

  /** The slot of `key`, for the `*Of` accessors; undefined when the key has no live record. */
  slot(key: string): number | undefined {
    return this.#slots.get(key);
  }

  segmentOf(slot: number): number {
    return this.#segment[slot] as number;
  }

  offsetOf(slot: number): number {
    return this.#offset[slot] as number;
  }

  sizeOf(slot: number): number {
    return this.#size[slot] as number;
  }

  expiresAtOf(slot: number): number {
    return this.#expiresAt[slot] as number;
  }

  /** Whether `key` is still at exactly this location (compaction moves only records nobody replaced). */
  isAt(key: string, segment: number, offset: number): boolean {
    const slot = this.#slots.get(key);
    return slot !== undefined && this.#segment[slot] === segment && this.#offset[slot] === offset;
  }

  set(key: string, segment: number, offset: number, size: number, expiresAt: number): void {
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = this.#free.pop() ?? this.#allocate();
      this.#slots.set(key, slot);
    } else {
      this.#addLive(this.#segment[slot] as number, -(this.#size[slot] as number));
    }
    this.#segment[slot] = segment;
    this.#offset[slot] = offset;
    this.#size[slot] = size;
    this.#expiresAt[slot] = expiresAt;
    this.#addLive(segment, size);
  }

  delete(key: string): void {
    const slot = this.#slots.get(key);
    if (slot === undefined) return;
    this.#slots.delete(key);
    this.#addLive(this.#segment[slot] as number, -(this.#size[slot] as number));
    this.#free.push(slot);
  }

  keys(): IterableIterator<string> {
    return this.#slots.keys();
  }

  /** (key, slot) pairs; safe to continue across mutations (a Map iterator is). */
  entries(): IterableIterator<[string, number]> {
    return this.#slots.entries();
  }

  liveBytes(segment: number): number {
    return this.#live[segment] ?? 0;
  }

  clear(): void {
    this.#slots.clear();
    this.#free = [];
    this.#next = 0;
    this.#live = [];
  }

  #addLive(segment: number, bytes: number): void {
    this.#live[segment] = (this.#live[segment] ?? 0) + bytes;
  }

  #allocate(): number {
    if (this.#next === this.#segment.length) {
      const capacity = this.#segment.length * 2;
      this.#segment = grow(this.#segment, new Uint32Array(capacity));
      this.#offset = grow(this.#offset, new Float64Array(capacity));
      this.#size = grow(this.#size, new Uint32Array(capacity));
      this.#expiresAt = grow(this.#expiresAt, new Float64Array(capacity));
    }
    return this.#next++;
  }
}

function grow<T extends Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
