/**
 * One key's state in the memory layer. The entry is the unit of coalescing: a key has at most
 * one entry while it has anything unwritten, and repeated writes mutate that entry in place
 * instead of queueing again, which is what keeps `set` at about one Map operation.
 */

import type { SlotHolder } from '../stores/engine-store.js';

/**
 * clean        → matches the store; may be evicted.
 * queued       → in the write queue, not yet handed to a worker.
 * inFlight     → its latest version is being written.
 * inFlightDirty→ being written, and written to again since: queued again when the flight ends,
 *                so the key is never in flight twice and the newer version always lands last.
 * failed       → its value cannot be encoded; kept in memory, reported, not retried.
 */
export const EntryState = { clean: 0, queued: 1, inFlight: 2, inFlightDirty: 3, failed: 4 } as const;
export type EntryState = (typeof EntryState)[keyof typeof EntryState];

/** A `save()` waiting for one entry's write (sync-waiter.ts). */
export interface Waiter {
  settle(): void;
  fail(error: Error): void;
}

export class Entry implements SlotHolder {
  value: unknown;
  /** A delete not yet written: reads answer a miss without asking the store. */
  deleted = false;
  state: EntryState;
  /** Version: the engine-wide write counter at this entry's latest write. */
  seq: number;
  // A number from the start, not the `undefined` a field without an initializer is defined with
  // first: from `undefined` V8 keeps the field as a tagged pointer, and every `set` stored its
  // timestamp (a double) by allocating a heap number. As a double field it is written in place:
  // `set` overwrite 0.47–0.48× → 0.56–0.62× `Map.set` (a script of the hot-path bench's loops,
  // four alternate runs, fastest of 40 rounds). `expiresAt` stays tagged on purpose: its common
  // value, 0, costs nothing there, and a double field made `set` slower (0.51–0.55×).
  createdAt = 0;
  /** 0 = never. */
  expiresAt: number;
  /** Encoded bytes, known once encoded or read from the store; -1 until then. */
  size = -1;
  /** Sequence number of the oldest write not yet handed to a worker; 0 when none (see barriers.ts). */
  dirtySince = 0;
  /** save() calls waiting on this entry, with the version each waits for. */
  waiters: Array<{ waiter: Waiter; seq: number }> | undefined = undefined;
  /** discard() hit it while in flight: drop it from memory when the flight ends. */
  discarded = false;
  /** The store's slot for this key (SlotHolder in stores/engine-store.ts); -1 when none. */
  storeSlot = -1;

  readonly key: string;

  constructor(
    key: string,
    value: unknown,
    state: EntryState,
    seq: number,
    createdAt: number,
    expiresAt: number,
  ) {
    this.key = key;
    this.value = value;
    this.state = state;
    this.seq = seq;
    this.createdAt = createdAt;
    this.expiresAt = expiresAt;
    // Stored twice on purpose. V8 treats a field stored only by its initializer as a constant of
    // the object's shape and compiles code that reads it (`set`, `#dirty`, this constructor) on
    // that assumption; the first batch to land writes these, and every function compiled on it was
    // thrown away and compiled again, within the first thousands of writes (`--trace-deopt`:
    // "code dependencies"). A second store here marks them variable before anything is compiled.
    this.size = -1;
    this.storeSlot = -1;
    this.discarded = false;
  }
}
