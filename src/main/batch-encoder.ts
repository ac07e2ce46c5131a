/**
 * Packs entries into one batch for a store's writer. Two ways, chosen by the codec and the store:
 *
 * - packed (v8 codec, store encodes in its worker): a string value is written here as UTF-8
 *   straight into the batch's buffer, under the `utf8` codec (it reads back as the same string,
 *   and nobody has to serialize it again); every other value goes in ONE `v8.serialize` of
 *   their array, which the worker splits into one encoding per value. Per 1 KB entry on the
 *   caller's thread (bench/encode.bench.ts): the UTF-8 write ≈ 0.2 µs, the array serialization
 *   0.3–0.6 µs, a `serialize` call per value 2–3 µs (the per-call wrapper dominates); in the
 *   worker the UTF-8 bytes cost nothing more, a value from the array ≈ 0.8 µs to deserialize
 *   plus 2–3 µs to serialize alone.
 * - encoded (any other codec, or a store that needs byte sizes up front): each value encoded
 *   here, laid end to end in one transferred buffer.
 *
 * Either way a value that cannot be encoded is found here, by key, before anything is sent.
 */
import { serialize } from 'node:v8';
import { utf8Codec, type Codec } from '../shared/codecs.js';
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
  /** Each entry's `dirtySince` at encoding time: the oldest write the batch carries (see barriers.ts). */
  since: number[];
}

export interface BuiltBatch {
  /** undefined when every entry failed to encode. */
  encoded: EncodedBatch | undefined;
  /** Entries left out because their value cannot be encoded, with the codec's error. */
  unencodable: Unencodable[];
}

export interface Unencodable {
  entry: Entry;
  error: unknown;
  /** The entry's `dirtySince` when it was taken. */
  since: number;
}

export class BatchBuilder {
  readonly #codec: Codec;
  readonly #packed: boolean;
  #entries: Entry[] = [];
  #seqs: number[] = [];
  #since: number[] = [];
  /** Encoded bytes (encoded mode) or the values themselves (packed mode). */
  #values: unknown[] = [];
  #unencodable: Unencodable[] = [];

  /** `packed`: send one v8 serialization of all values (the codec must be v8). */
  constructor(codec: Codec, packed: boolean) {
    this.#codec = codec;
    this.#packed = packed;
  }

  get length(): number {
    return this.#entries.length;
  }

  /** Adds an entry; in encoded mode a value that cannot be encoded is set aside by key. */
  add(entry: Entry): void {
    let value: unknown;
    if (entry.deleted) value = this.#packed ? undefined : EMPTY;
    else if (this.#packed) value = entry.value;
    else {
      try {
        value = this.#codec.encode(entry.value);
      } catch (error) {
        this.#unencodable.push({ entry, error, since: entry.dirtySince });
        return;
      }
    }
    this.#entries.push(entry);
    this.#seqs.push(entry.seq);
    this.#since.push(entry.dirtySince);
    this.#values.push(value);
  }

  build(): BuiltBatch {
    const unencodable = this.#unencodable;
    if (this.#entries.length === 0) return { encoded: undefined, unencodable };
    if (!this.#packed) return { encoded: this.#encodedColumns(), unencodable };
    let packed: Uint8Array | undefined;
    try {
      packed = this.#serializeRest();
    } catch {
      // Some value cannot be serialized: find which, one by one (only on this rare path).
      this.#dropUnserializable();
      if (this.#entries.length === 0) return { encoded: undefined, unencodable };
      packed = this.#serializeRest();
    }
    return { encoded: this.#packedColumns(packed), unencodable };
  }

  /** One v8 serialization of the values that do not go as UTF-8; undefined if there are none. */
  #serializeRest(): Uint8Array | undefined {
    const rest: unknown[] = [];
    for (let i = 0; i < this.#entries.length; i++) {
      const value = this.#values[i];
      if (!(this.#entries[i] as Entry).deleted && !isUtf8(value)) rest.push(value);
    }
    return rest.length === 0 ? undefined : serialize(rest);
  }

  #dropUnserializable(): void {
    const keep: number[] = [];
    this.#values.forEach((value, i) => {
      try {
        if (!isUtf8(value)) serialize(value);
        keep.push(i);
      } catch (error) {
        this.#unencodable.push({ entry: this.#entries[i] as Entry, error, since: this.#since[i] as number });
      }
    });
    this.#entries = keep.map((i) => this.#entries[i] as Entry);
    this.#seqs = keep.map((i) => this.#seqs[i] as number);
    this.#since = keep.map((i) => this.#since[i] as number);
    this.#values = keep.map((i) => this.#values[i]);
  }

  /** The columns every batch has; `codecs` filled with the store's codec. */
  #metaColumns(): { keys: string[]; kinds: Uint8Array; codecs: Uint8Array; createdAt: Float64Array; expiresAt: Float64Array } {
    const n = this.#entries.length;
    const keys = new Array<string>(n);
    const kinds = new Uint8Array(n);
    const codecs = new Uint8Array(n).fill(this.#codec.id);
    const createdAt = new Float64Array(n);
    const expiresAt = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const entry = this.#entries[i] as Entry;
      keys[i] = entry.key;
      kinds[i] = entry.deleted ? RecordKind.delete : RecordKind.put;
      createdAt[i] = entry.createdAt;
      expiresAt[i] = entry.expiresAt;
    }
    return { keys, kinds, codecs, createdAt, expiresAt };
  }

  #encodedColumns(): EncodedBatch {
    const n = this.#entries.length;
    const meta = this.#metaColumns();
    const valueOffsets = new Uint32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      valueOffsets[i] = total;
      total += (this.#values[i] as Uint8Array).length;
    }
    valueOffsets[n] = total;
    const values = new Uint8Array(new ArrayBuffer(total));
    for (let i = 0; i < n; i++) values.set(this.#values[i] as Uint8Array, valueOffsets[i] as number);
    const batch: BatchColumns = { ...meta, valueOffsets, values };
    return this.#finish(batch, [values.buffer as ArrayBuffer, valueOffsets.buffer as ArrayBuffer]);
  }

  /**
   * UTF-8 values written into `values` here; the others get an empty range and come, in order,
   * from `packed` (the worker tells them apart by codec id).
   */
  #packedColumns(packed: Uint8Array | undefined): EncodedBatch {
    const n = this.#entries.length;
    const meta = this.#metaColumns();
    const valueOffsets = new Uint32Array(n + 1);
    // Sized for one byte per UTF-16 unit (plus a little), grown when a string needs more:
    // measuring each string first (Buffer.byteLength) cost as much as writing it.
    let room = 1024;
    for (let i = 0; i < n; i++) {
      const value = this.#values[i];
      if (meta.kinds[i] === RecordKind.put && isUtf8(value)) {
        meta.codecs[i] = utf8Codec.id;
        room += value.length;
      }
    }
    // allocUnsafeSlow: an ArrayBuffer of its own (transferable), not zero-filled (only written bytes are read).
    let values: Buffer = Buffer.allocUnsafeSlow(room + (room >> 3));
    let at = 0;
    for (let i = 0; i < n; i++) {
      valueOffsets[i] = at;
      if (meta.codecs[i] !== utf8Codec.id) continue;
      const text = this.#values[i] as string;
      if (values.length - at < text.length * 3) values = grow(values, at, text.length * 3);
      at += values.write(text, at, 'utf8');
    }
    valueOffsets[n] = at;
    const batch: BatchColumns = { ...meta, valueOffsets, values: values.subarray(0, at) };
    const transfer = [values.buffer as ArrayBuffer, valueOffsets.buffer as ArrayBuffer];
    if (packed !== undefined) {
      // Transfer needs an ArrayBuffer of its own; copy only if the Buffer shares one.
      if (packed.byteOffset !== 0 || packed.buffer.byteLength !== packed.length) packed = new Uint8Array(packed);
      batch.packed = packed;
      transfer.push(packed.buffer as ArrayBuffer);
    }
    return this.#finish(batch, transfer);
  }

  #finish(batch: BatchColumns, transfer: ArrayBuffer[]): EncodedBatch {
    transfer.push(batch.createdAt.buffer as ArrayBuffer, batch.expiresAt.buffer as ArrayBuffer);
    return { batch, transfer, entries: this.#entries, seqs: this.#seqs, since: this.#since };
  }
}

/** A buffer with the first `used` bytes of `buffer` and room for `more` after them. */
function grow(buffer: Buffer, used: number, more: number): Buffer {
  const bigger = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, used + more));
  buffer.copy(bigger, 0, 0, used);
  return bigger;
}

/**
 * A string that UTF-8 carries exactly. A lone surrogate would come back as U+FFFD, so such a
 * string goes through v8 serialization instead.
 */
function isUtf8(value: unknown): value is string {
  return typeof value === 'string' && value.isWellFormed();
}
