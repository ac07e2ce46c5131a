/**
 * The `log` store's in-memory index: key → (segment, offset, size, expiresAt) of the key's
 * latest record. Locations live in typed-array columns addressed by a slot number, so a
 * million keys cost one small-integer Map entry each plus 24 bytes, not an object each.
 * It also keeps the live bytes of every segment, from which compaction finds dead bytes.
 *
 * A key's slot number is kept in one of two places:
 * - on the engine's entry for the key (a `SlotHolder`), while the engine holds that entry in
 *   memory and one of its writes has landed: a landed write then updates the columns at the
 *   entry's slot, with no Map operation. (A second Map insert per new key was ~0.6 µs of the
 *   caller's thread per entry, 15 % of it, in bench/durable.bench.ts.)
 * - in this index's own Map otherwise: keys loaded at open, read back, or released when the
 *   engine dropped their entry from memory (`release`).
 * Never in both. Lookups by key try the Map, then the engine's entry (`resident`).
 */

import { objectArray } from '../../core/arrays.js';
import type { SlotHolder } from '../engine-store.js';

/** The engine's in-memory entry for a key, if any (may carry the key's slot). */
type ResidentLookup = (key: string) => SlotHolder | undefined;

const INITIAL_CAPACITY = 1024;

const noResident: ResidentLookup = () => undefined;

export class LogIndex {
  /** Keys whose slot no holder carries. */
  #slots = new Map<string, number>();
  /** The holder carrying each slot, where one does (undefined for the Map's slots and free ones); as long as the columns are used. */
  #holders = objectArray<SlotHolder | undefined>();
  #held = 0;
  #resident: ResidentLookup = noResident;
  #segment = new Uint32Array(INITIAL_CAPACITY);
  #offset = new Float64Array(INITIAL_CAPACITY);
  #size = new Uint32Array(INITIAL_CAPACITY);
  #expiresAt = new Float64Array(INITIAL_CAPACITY);
  /** When each slot's record was stored, or (after `touch`) last read: the order of a disk budget's evictions. */
  #tick = new Float64Array(INITIAL_CAPACITY);
  #clock = 0;
  #free: number[] = [];
  #next = 0;
  /**
   * Live bytes by segment number (small and dense: an array beats a Map here). A typed array,
   * not `number[]`: that one changed kind (small integers → doubles) while the first store of a
   * process ran, and the next store's fresh one deoptimised the code that had seen only doubles.
   */
  #live = new Float64Array(16);

  /** Where to find the holder of a key whose slot is not in the Map (the engine's memory map). */
  useResident(lookup: ResidentLookup | undefined): void {
    this.#resident = lookup ?? noResident;
  }

  get size(): number {
    return this.#slots.size + this.#held;
  }

  /** The slot of `key`, for the `*Of` accessors; undefined when the key has no live record. */
  slot(key: string): number | undefined {
    const slot = this.#slots.get(key);
    if (slot !== undefined) return slot;
    const holder = this.#resident(key);
    return holder !== undefined && holder.storeSlot >= 0 && this.#holders[holder.storeSlot] === holder ? holder.storeSlot : undefined;
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

  /** When the slot's record was stored or last touched (larger is more recent). */
  tickOf(slot: number): number {
    return this.#tick[slot] as number;
  }

  /** The slot's key was used (read): it becomes the most recent. */
  touch(slot: number): void {
    this.#tick[slot] = ++this.#clock;
  }

  /** Compaction moved `key`'s record: same record, same size, same tick; only where it lies. */
  relocate(key: string, segment: number, offset: number): void {
    const slot = this.slot(key);
    if (slot === undefined) return;
    this.#addLive(this.#segment[slot] as number, -(this.#size[slot] as number));
    this.#segment[slot] = segment;
    this.#offset[slot] = offset;
    this.#addLive(segment, this.#size[slot] as number);
  }

  /** Whether `key` is still at exactly this location (compaction moves only records nobody replaced). */
  isAt(key: string, segment: number, offset: number): boolean {
    const slot = this.slot(key);
    return slot !== undefined && this.#segment[slot] === segment && this.#offset[slot] === offset;
  }

  /** Records `key`'s new location, wherever its slot is kept. */
  set(key: string, segment: number, offset: number, size: number, expiresAt: number): void {
    let slot = this.slot(key);
    if (slot === undefined) {
      slot = this.#allocate();
      this.#slots.set(key, slot);
    } else this.#addLive(this.#segment[slot] as number, -(this.#size[slot] as number));
    this.#place(slot, segment, offset, size, expiresAt);
  }

  /**
   * Records the new location of `holder`'s key, its write having landed; the holder keeps the
   * slot from now on. The Map is only asked when the holder has no slot yet and the Map is not
   * empty (a key loaded at open or read back, written for the first time since).
   */
  setHeld(holder: SlotHolder, segment: number, offset: number, size: number, expiresAt: number): void {
    let slot = holder.storeSlot;
    if (slot >= 0 && this.#holders[slot] === holder) this.#addLive(this.#segment[slot] as number, -(this.#size[slot] as number));
    else {
      const inMap = this.#slots.size === 0 ? undefined : this.#slots.get(holder.key);
      if (inMap !== undefined) {
        this.#slots.delete(holder.key);
        this.#addLive(this.#segment[inMap] as number, -(this.#size[inMap] as number));
        slot = inMap;
      } else slot = this.#allocate();
      holder.storeSlot = slot;
      this.#holders[slot] = holder;
      this.#held++;
    }
    this.#place(slot, segment, offset, size, expiresAt);
  }

  delete(key: string): void {
    const slot = this.#slots.get(key);
    if (slot !== undefined) {
      this.#slots.delete(key);
      this.#freeSlot(slot);
      return;
    }
    const holder = this.#resident(key);
    if (holder !== undefined) this.deleteHeld(holder);
  }

  /** A landed delete of `holder`'s key: its slot is freed wherever it is kept. */
  deleteHeld(holder: SlotHolder): void {
    const slot = holder.storeSlot;
    if (slot >= 0 && this.#holders[slot] === holder) {
      this.#unhold(holder);
      this.#freeSlot(slot);
    } else if (this.#slots.size > 0) {
      const inMap = this.#slots.get(holder.key);
      if (inMap === undefined) return;
      this.#slots.delete(holder.key);
      this.#freeSlot(inMap);
    }
  }

  /** The engine dropped `holder` from memory: the Map keeps its key's slot from now on. */
  release(holder: SlotHolder): void {
    const slot = holder.storeSlot;
    if (slot < 0) return;
    if (this.#holders[slot] === holder) {
      this.#unhold(holder);
      this.#slots.set(holder.key, slot);
    } else holder.storeSlot = -1; // a slot from before a clear(): nothing to keep
  }

  /**
   * Every (key, slot), held slots first. A key may move from a holder to the Map (`release`)
   * while a caller iterates across turns of the event loop (compaction does): visiting held
   * slots first means such a key is seen at least once (perhaps twice), never missed. New keys
   * added meanwhile may or may not be visited, as with a Map iterator.
   */
  *entries(): IterableIterator<[string, number]> {
    for (let slot = 0; slot < this.#next; slot++) {
      const holder = this.#holders[slot];
      if (holder !== undefined) yield [holder.key, slot];
    }
    yield* this.#slots.entries();
  }

  liveBytes(segment: number): number {
    return segment < this.#live.length ? (this.#live[segment] as number) : 0;
  }

  clear(): void {
    for (const holder of this.#holders) if (holder !== undefined) holder.storeSlot = -1;
    this.#holders = objectArray();
    this.#held = 0;
    this.#slots.clear();
    this.#free = [];
    this.#next = 0;
    this.#clock = 0;
    this.#live.fill(0);
  }

  #place(slot: number, segment: number, offset: number, size: number, expiresAt: number): void {
    this.#segment[slot] = segment;
    this.#offset[slot] = offset;
    this.#size[slot] = size;
    this.#expiresAt[slot] = expiresAt;
    this.#tick[slot] = ++this.#clock;
    this.#addLive(segment, size);
  }

  #unhold(holder: SlotHolder): void {
    this.#holders[holder.storeSlot] = undefined;
    holder.storeSlot = -1;
    this.#held--;
  }

  #freeSlot(slot: number): void {
    this.#addLive(this.#segment[slot] as number, -(this.#size[slot] as number));
    this.#free.push(slot);
  }

  #addLive(segment: number, bytes: number): void {
    if (segment >= this.#live.length) {
      const bigger = new Float64Array(Math.max(segment + 1, this.#live.length * 2));
      bigger.set(this.#live);
      this.#live = bigger;
    }
    this.#live[segment] = (this.#live[segment] as number) + bytes;
  }

  #allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#next === this.#segment.length) {
      const capacity = this.#segment.length * 2;
      this.#segment = grow(this.#segment, new Uint32Array(capacity));
      this.#offset = grow(this.#offset, new Float64Array(capacity));
      this.#size = grow(this.#size, new Uint32Array(capacity));
      this.#expiresAt = grow(this.#expiresAt, new Float64Array(capacity));
      this.#tick = grow(this.#tick, new Float64Array(capacity));
    }
    this.#holders.push(undefined); // kept dense: one element per slot ever allocated
    return this.#next++;
  }
}

function grow<T extends Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
