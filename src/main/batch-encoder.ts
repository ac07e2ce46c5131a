/**
 * Packs entries into one `WriteBatch`: values encoded on this thread, laid end to end in a
 * single ArrayBuffer that is transferred (not copied) to the worker, with columns for the rest.
 * The encoder stops early when its time slice is spent, so a flush never holds the event loop
 * for much more than `sliceMs`.
 */
import { performance } from 'node:perf_hooks';
import type { Codec } from '../shared/codecs.js';
import { RecordKind } from '../shared/record.js';
import type { BatchColumns } from '../shared/protocol.js';
import type { Entry } from './entry.js';

const EMPTY = new Uint8Array(0);

export interface EncodedBatch {
  batch: BatchColumns;
  transfer: ArrayBuffer[];
  entries: Entry[];
  /** Each entry's version at encoding time: what the worker writes. */
  seqs: number[];
}

export class BatchBuilder {
  readonly entries: Entry[] = [];
  readonly seqs: number[] = [];
  #values: Uint8Array[] = [];
  #bytes = 0;

  get length(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Encodes one entry; throws what the codec throws (the caller reports it by key). */
  add(entry: Entry, codec: Codec): void {
    const value = entry.deleted ? EMPTY : codec.encode(entry.value);
    entry.size = value.length;
    this.entries.push(entry);
    this.seqs.push(entry.seq);
    this.#values.push(value);
    this.#bytes += value.length;
  }

  build(codec: Codec): EncodedBatch {
    const n = this.entries.length;
    const keys = new Array<string>(n);
    const kinds = new Uint8Array(n);
    const codecs = new Uint8Array(n);
    const createdAt = new Float64Array(n);
    const expiresAt = new Float64Array(n);
    const valueOffsets = new Uint32Array(n + 1);
    const values = new Uint8Array(new ArrayBuffer(this.#bytes));
    let offset = 0;
    for (let i = 0; i < n; i++) {
      const entry = this.entries[i] as Entry;
      const value = this.#values[i] as Uint8Array;
      keys[i] = entry.key;
      kinds[i] = entry.deleted ? RecordKind.delete : RecordKind.put;
      codecs[i] = codec.id;
      createdAt[i] = entry.createdAt;
      expiresAt[i] = entry.expiresAt;
      valueOffsets[i] = offset;
      values.set(value, offset);
      offset += value.length;
    }
    valueOffsets[n] = offset;
    return {
      batch: { keys, kinds, codecs, createdAt, expiresAt, valueOffsets, values },
      transfer: [values.buffer as ArrayBuffer, valueOffsets.buffer as ArrayBuffer, createdAt.buffer as ArrayBuffer, expiresAt.buffer as ArrayBuffer],
      entries: this.entries,
      seqs: this.seqs,
    };
  }
}

/** A monotonic clock for time slices (not the injectable wall clock: slices are real CPU time). */
export const sliceClock = (): number => performance.now();
