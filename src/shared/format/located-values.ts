/**
 * A batch's values as records store them, found but not yet copied. A v8 put that arrived
 * `packed` (src/main/engine/batch-builder.ts) is stored as its own v8 serialization: the packed
 * array's header followed by the element's bytes, cut from the packed buffer where
 * src/shared/format/v8-split.ts proves the cut standalone — no decode, no re-encode. The others
 * (back-references, layouts the scan does not know) are serialized again one by one, from one
 * decode of the whole array made only if some element needs it. Every other value is the bytes the
 * caller's thread encoded, in `values` — every value of a batch that did not arrive packed.
 *
 * Each value is then copied once, straight to where it goes: the log writer frames it into its
 * record (src/shared/writers/log-writer.ts), the other writers lay all of them into one buffer
 * (src/worker/unpack-values.ts). The log writer used to lay them out first and frame from there,
 * copying every value twice.
 */
import { deserialize, serialize } from 'node:v8';
import type { BatchColumns } from '../protocol.js';
import { v8Codec } from '../codecs.js';
import { RecordKind } from './record.js';
import { splitV8Array } from './v8-split.js';

const FROM_VALUES = 0;
const FROM_PACKED = 1;
const SERIALIZED_AGAIN = 2;

export class LocatedValues {
  /** Each value's size in bytes, as stored (the caller's thread counts these against `maxBytes`). */
  readonly sizes: Uint32Array;
  /** The sum of `sizes`. */
  readonly total: number;
  /** Where each value comes from: FROM_VALUES, FROM_PACKED or SERIALIZED_AGAIN. */
  readonly #sources: Uint8Array;
  /** Where it starts in `values` or `packed`; for one serialized again, its index in `#again`. */
  readonly #starts: Uint32Array;
  readonly #values: Buffer;
  readonly #packed: Buffer;
  /** Bytes of the packed array's header, which every value cut from it starts with. */
  readonly #headerLength: number;
  readonly #again: Uint8Array[];

  constructor(batch: BatchColumns) {
    const n = batch.keys.length;
    this.sizes = new Uint32Array(n);
    this.#sources = new Uint8Array(n);
    this.#starts = new Uint32Array(n);
    this.#values = Buffer.from(batch.values.buffer, batch.values.byteOffset, batch.values.byteLength);
    const packed = batch.packed;
    this.#packed = packed === undefined ? this.#values : Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
    this.#again = [];
    const split = packed === undefined ? undefined : splitV8Array(packed);
    this.#headerLength = split?.headerLength ?? 0;
    let total = this.#locate(batch, split?.ranges);
    if (total < 0) total = this.#locate(batch, undefined);
    this.total = total;
  }

  /** Copies value `i` into `target` at `at` and returns the offset after it. */
  copyTo(i: number, target: Uint8Array, at: number): number {
    const size = this.sizes[i] as number;
    const start = this.#starts[i] as number;
    switch (this.#sources[i]) {
      case FROM_VALUES:
        this.#values.copy(target, at, start, start + size);
        break;
      case FROM_PACKED: {
        const header = this.#headerLength;
        // The header is 2–6 bytes: a loop beats a copy call.
        for (let h = 0; h < header; h++) target[at + h] = this.#packed[h] as number;
        this.#packed.copy(target, at + header, start, start + size - header);
        break;
      }
      default:
        target.set(this.#again[start] as Uint8Array, at);
    }
    return at + size;
  }

  /**
   * Fills the columns from the split's `ranges` (undefined: every packed value is serialized
   * again). -1 when the packed array does not hold one element per v8 put: not one the caller
   * built, so the ranges cannot be trusted — located again without them.
   */
  #locate(batch: BatchColumns, ranges: Int32Array | undefined): number {
    const n = batch.keys.length;
    const packed = batch.packed !== undefined;
    let rest: unknown[] | undefined;
    let element = 0;
    let total = 0;
    this.#again.length = 0;
    for (let i = 0; i < n; i++) {
      let size: number;
      if (packed && batch.kinds[i] === RecordKind.put && batch.codecs[i] === v8Codec.id) {
        const start = ranges?.[2 * element] ?? -1;
        if (start >= 0) {
          this.#sources[i] = FROM_PACKED;
          this.#starts[i] = start;
          size = this.#headerLength + (ranges?.[2 * element + 1] as number) - start;
        } else {
          rest ??= deserialize(batch.packed as Uint8Array) as unknown[];
          // The caller's thread serialized these very values, so serializing them again cannot fail.
          const bytes = serialize(rest[element]);
          this.#sources[i] = SERIALIZED_AGAIN;
          this.#starts[i] = this.#again.length;
          this.#again.push(bytes);
          size = bytes.length;
        }
        element++;
      } else {
        const start = batch.valueOffsets[i] as number;
        this.#sources[i] = FROM_VALUES;
        this.#starts[i] = start;
        size = (batch.valueOffsets[i + 1] as number) - start;
      }
      this.sizes[i] = size;
      total += size;
    }
    return ranges !== undefined && ranges.length !== 2 * element ? -1 : total;
  }
}
