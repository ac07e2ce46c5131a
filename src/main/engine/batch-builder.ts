/**
 * Packs entries into one batch for a store's writer. Two ways, chosen by the codec and the store:
 *
 * - packed (v8 codec, store encodes in its worker): a string value is written here as UTF-8
 *   straight into the batch's buffer, under the `utf8` codec (it reads back as the same string,
 *   and nobody has to serialize it again); every other value goes in ONE `v8.serialize` of
 *   their array, which the worker splits into one encoding per value. Per 1 KB value
 *   (`node --import tsx bench/encode.bench.ts`, fresh cons strings): on the caller's thread the
 *   UTF-8 write ≈ 0.3–0.4 µs (0.1 for flat strings), one serialization of the array 0.6–0.9, a
 *   `serialize` call per value 1.8–3 (the per-call wrapper dominates); in the worker the UTF-8
 *   bytes cost nothing more, and each other value is cut out of the array's serialization as it
 *   stands (src/shared/format/v8-split.ts: ~0.5 µs per value, bench/unpack.bench.ts).
 * - encoded (any other codec, or a store that needs byte sizes up front): each value encoded
 *   here, laid end to end in one transferred buffer.
 *
 * Either way a value that cannot be encoded is found here, by key, before anything is sent.
 *
 * A batch may fill over several turns (cacher.ts #pump), and the caller may write or delete an
 * entry it holds in between. So `add` takes ONE snapshot of the entry — kind, value, createdAt,
 * expiresAt, version — and nothing reads the entry again: the batch carries the version it was
 * given, and the newer write goes out in a later batch. (Reading the kind again at build time
 * once let a delete in between shift every later packed value onto the key before it.)
 */
import { serialize } from 'node:v8';
import { utf8Codec, type Codec } from '../../shared/codecs.js';
import { RecordKind } from '../../shared/format/record.js';
import type { BatchColumns } from '../../shared/protocol.js';
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
  /** Entries dropped because v8 cannot serialize their value, with its error. */
  unencodable: Unencodable[];
}

export interface Unencodable {
  entry: Entry;
  error: unknown;
  /** The entry's `dirtySince` when it was taken. */
  since: number;
  /** The version that could not be encoded (the entry may have a newer one by now). */
  seq: number;
}

export class BatchBuilder {
  /** Bytes of text the last packed batch held: the next one starts with about that much room. */
  static #textHint = 64 * 1024;
  readonly #codec: Codec;
  readonly #packed: boolean;
  #entries: Entry[] = [];
  #seqs: number[] = [];
  #since: number[] = [];
  #codecs: number[] = [];
  /** The snapshot's kind (RecordKind), createdAt and expiresAt, one each per entry. */
  #kinds: number[] = [];
  #createdAt: number[] = [];
  #expiresAt: number[] = [];
  /** Encoded mode: each value's bytes. */
  #encoded: Uint8Array[] = [];
  /** Packed mode: string values as UTF-8, end to end; entry i's start at `#starts[i]` and end where i + 1's start. */
  #text: Buffer | undefined;
  #at = 0;
  #starts: number[] = [];
  /** Packed mode: the other values, in entry order, to be serialized together at build. */
  #rest: unknown[] = [];
  #unencodable: Unencodable[] = [];

  /** `packed`: strings as UTF-8 here, the rest as one v8 serialization (the codec must be v8). */
  constructor(codec: Codec, packed: boolean) {
    this.#codec = codec;
    this.#packed = packed;
  }

  get length(): number {
    return this.#entries.length;
  }

  /** Entries added so far (an unencodable one is not among them), in order. */
  get entries(): readonly Entry[] {
    return this.#entries;
  }

  /** Their versions when added. */
  get seqs(): readonly number[] {
    return this.#seqs;
  }

  /** Their `dirtySince` when added. */
  get since(): readonly number[] {
    return this.#since;
  }

  /**
   * Adds an entry. The encoding happens here, entry by entry, so a caller that stops adding when
   * its time slice is up has also stopped encoding. In encoded mode a value the codec refuses
   * is not added: its error comes back. (In packed mode such values are found by `build`.)
   */
  add(entry: Entry): { error: unknown } | undefined {
    let codec = this.#codec.id;
    const deleted = entry.deleted;
    if (!this.#packed) {
      let bytes: Uint8Array = EMPTY;
      if (!deleted) {
        try {
          bytes = this.#codec.encode(entry.value);
        } catch (error) {
          return { error };
        }
      }
      this.#encoded.push(bytes);
    } else {
      this.#starts.push(this.#at);
      const value = entry.value;
      if (!deleted) {
        if (isUtf8(value)) {
          codec = utf8Codec.id;
          this.#write(value);
        } else this.#rest.push(value);
      }
    }
    this.#entries.push(entry);
    this.#seqs.push(entry.seq);
    this.#since.push(entry.dirtySince);
    this.#codecs.push(codec);
    this.#kinds.push(deleted ? RecordKind.delete : RecordKind.put);
    this.#createdAt.push(entry.createdAt);
    this.#expiresAt.push(entry.expiresAt);
    return undefined;
  }

  build(): BuiltBatch {
    const unencodable = this.#unencodable;
    let packed: Uint8Array | undefined;
    if (this.#rest.length > 0) {
      try {
        packed = serialize(this.#rest);
      } catch {
        // Some value cannot be serialized: find which, one by one (only on this rare path).
        this.#dropUnserializable();
        packed = this.#rest.length > 0 ? serialize(this.#rest) : undefined;
      }
    }
    if (this.#entries.length === 0) return { encoded: undefined, unencodable };
    return { encoded: this.#packed ? this.#packedColumns(packed) : this.#encodedColumns(), unencodable };
  }

  #write(text: string): void {
    // Room for the worst case (3 bytes per UTF-16 unit): measuring each string first cost as much as writing it.
    const need = this.#at + text.length * 3;
    if (this.#text === undefined || this.#text.length < need) {
      // allocUnsafeSlow: an ArrayBuffer of its own (transferable), not zero-filled (only written bytes are read).
      const bigger = Buffer.allocUnsafeSlow(Math.max(need, BatchBuilder.#textHint, (this.#text?.length ?? 0) * 2));
      this.#text?.copy(bigger, 0, 0, this.#at);
      this.#text = bigger;
    }
    this.#at += this.#text.write(text, this.#at, 'utf8');
  }

  /**
   * Packed mode: drops the entries whose value v8 cannot serialize (their byte ranges are empty).
   * Works from the snapshots (`#kinds`, `#rest`), never the entries, which may have changed.
   */
  #dropUnserializable(): void {
    const keep: number[] = [];
    const rest: unknown[] = [];
    let next = 0;
    for (let i = 0; i < this.#entries.length; i++) {
      if (this.#kinds[i] === RecordKind.delete || this.#codecs[i] === utf8Codec.id) {
        keep.push(i);
        continue;
      }
      const value = this.#rest[next++];
      try {
        serialize(value);
        keep.push(i);
        rest.push(value);
      } catch (error) {
        this.#unencodable.push({ entry: this.#entries[i] as Entry, error, since: this.#since[i] as number, seq: this.#seqs[i] as number });
      }
    }
    const pick = <T>(list: T[]): T[] => keep.map((i) => list[i] as T);
    this.#entries = pick(this.#entries);
    this.#seqs = pick(this.#seqs);
    this.#since = pick(this.#since);
    this.#codecs = pick(this.#codecs);
    this.#kinds = pick(this.#kinds);
    this.#createdAt = pick(this.#createdAt);
    this.#expiresAt = pick(this.#expiresAt);
    this.#starts = pick(this.#starts);
    this.#rest = rest;
  }

  /** The columns every batch has, from the snapshots taken by `add`. */
  #metaColumns(): { keys: string[]; kinds: Uint8Array; codecs: Uint8Array; createdAt: Float64Array; expiresAt: Float64Array } {
    // Pushed, not `map`ped: once this code is optimised, TurboFan's `map` builds a holey array,
    // which crosses to the worker as a sparse one (2.4× the serializing, 2.6× the deserializing)
    // and arrives in another shape (test/engine/batch-keys-dense.test.ts).
    const keys: string[] = [];
    for (const entry of this.#entries) keys.push(entry.key);
    return {
      keys,
      kinds: Uint8Array.from(this.#kinds),
      codecs: Uint8Array.from(this.#codecs),
      createdAt: Float64Array.from(this.#createdAt),
      expiresAt: Float64Array.from(this.#expiresAt),
    };
  }

  #encodedColumns(): EncodedBatch {
    const n = this.#entries.length;
    const valueOffsets = new Uint32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      valueOffsets[i] = total;
      total += (this.#encoded[i] as Uint8Array).length;
    }
    valueOffsets[n] = total;
    const values = new Uint8Array(new ArrayBuffer(total));
    for (let i = 0; i < n; i++) values.set(this.#encoded[i] as Uint8Array, valueOffsets[i] as number);
    const batch: BatchColumns = { ...this.#metaColumns(), valueOffsets, values };
    return this.#finish(batch, [values.buffer as ArrayBuffer, valueOffsets.buffer as ArrayBuffer]);
  }

  /**
   * Strings are already in `#text`, end to end (a dropped entry's range was empty, so dropping
   * leaves no gap); the other values get an empty range and come, in order, from `packed` (the
   * worker tells them apart by codec id).
   */
  #packedColumns(packed: Uint8Array | undefined): EncodedBatch {
    const n = this.#entries.length;
    const valueOffsets = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) valueOffsets[i] = this.#starts[i] as number;
    valueOffsets[n] = this.#at;
    BatchBuilder.#textHint = Math.max(64 * 1024, Math.ceil(this.#at * 1.1));
    const text = this.#text ?? Buffer.allocUnsafeSlow(0);
    const batch: BatchColumns = { ...this.#metaColumns(), valueOffsets, values: text.subarray(0, this.#at) };
    const transfer = [text.buffer as ArrayBuffer, valueOffsets.buffer as ArrayBuffer];
    if (packed !== undefined) {
      // Transfer needs an ArrayBuffer of its own; copy only if the Buffer shares one.
      if (packed.byteOffset !== 0 || packed.buffer.byteLength !== packed.length) packed = new Uint8Array(packed);
      batch.packed = packed;
      transfer.push(packed.buffer as ArrayBuffer);
    }
    return this.#finish(batch, transfer);
  }

  /**
   * Only the value bytes are transferred; the small per-entry columns are cloned (a few KB), so
   * the caller's thread keeps them for when the batch lands (the log store indexes `expiresAt`).
   */
  #finish(batch: BatchColumns, transfer: ArrayBuffer[]): EncodedBatch {
    return { batch, transfer, entries: this.#entries, seqs: this.#seqs, since: this.#since };
  }
}

/**
 * A string that UTF-8 carries exactly. A lone surrogate would come back as U+FFFD, so such a
 * string goes through v8 serialization instead.
 */
function isUtf8(value: unknown): value is string {
  return typeof value === 'string' && value.isWellFormed();
}
