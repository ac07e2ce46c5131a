/**
 * Finishes a batch that arrived `packed` (src/main/engine/batch-builder.ts): string values are
 * already UTF-8 in `values`; the rest came as one v8 serialization of their array. Each of those
 * is laid into `values` in the per-value layout every writer expects (its own v8 serialization):
 * the array's header followed by the element's own bytes, cut from the packed buffer where
 * src/shared/format/v8-split.ts proves the cut standalone — no decode, no re-encode. The others
 * (back-references, layouts the scan does not know) are serialized again one by one, from one
 * decode of the whole array made only if some element needs it.
 * Also reports each value's encoded size, which the caller's thread needs for `maxBytes`.
 *
 * `scratch`, when given, supplies the buffer the values are laid into (src/shared/reusable-buffer.ts),
 * for a writer done with them before it returns: the log writer frames them into records at once
 * (measured: 0.52 against 0.56 µs per 1 KB value, bench/unpack.bench.ts's workload).
 */
import { deserialize, serialize } from 'node:v8';
import type { BatchColumns } from '../shared/protocol.js';
import { v8Codec } from '../shared/codecs.js';
import { RecordKind } from '../shared/format/record.js';
import { splitV8Array } from '../shared/format/v8-split.js';

export function unpackValues<T extends BatchColumns>(batch: T, scratch?: (bytes: number) => Buffer): T {
  const packed = batch.packed;
  if (packed === undefined) return batch;
  const split = splitV8Array(packed);
  const n = batch.keys.length;
  const ranges = split?.ranges;
  const headerLength = split?.headerLength ?? 0;
  const source = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const oldValues = Buffer.from(batch.values.buffer, batch.values.byteOffset, batch.values.byteLength);
  let rest: unknown[] | undefined;
  /** Only the values serialized again here; the others are copied from `packed` or `values`. */
  let again: Array<Uint8Array | undefined> | undefined;
  const valueOffsets = new Uint32Array(n + 1);
  let next = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    valueOffsets[i] = total;
    if (batch.kinds[i] === RecordKind.put && batch.codecs[i] === v8Codec.id) {
      const element = next++;
      const start = ranges?.[2 * element] ?? -1;
      if (start >= 0) {
        total += headerLength + (ranges?.[2 * element + 1] as number) - start;
        continue;
      }
      rest ??= deserialize(packed) as unknown[];
      again ??= new Array<Uint8Array | undefined>(n);
      // The caller's thread serialized these very values, so serializing them again cannot fail.
      const bytes = serialize(rest[element]);
      again[i] = bytes;
      total += bytes.length;
    } else total += (batch.valueOffsets[i + 1] as number) - (batch.valueOffsets[i] as number);
  }
  valueOffsets[n] = total;
  // A packed array that does not hold one element per v8 put is not one the caller built.
  if (ranges !== undefined && ranges.length !== 2 * next) return unpackWhole(batch);
  const values = scratch === undefined ? Buffer.allocUnsafe(total) : scratch(total).subarray(0, total);
  next = 0;
  for (let i = 0; i < n; i++) {
    const at = valueOffsets[i] as number;
    if (batch.kinds[i] === RecordKind.put && batch.codecs[i] === v8Codec.id) {
      const element = next++;
      const bytes = again?.[i];
      if (bytes !== undefined) {
        values.set(bytes, at);
        continue;
      }
      // The header is 2–6 bytes: a loop beats a copy call.
      for (let h = 0; h < headerLength; h++) values[at + h] = packed[h] as number;
      source.copy(values, at + headerLength, ranges?.[2 * element] as number, ranges?.[2 * element + 1] as number);
    } else oldValues.copy(values, at, batch.valueOffsets[i] as number, batch.valueOffsets[i + 1] as number);
  }
  const { packed: _packed, ...others } = batch;
  return { ...others, values, valueOffsets } as unknown as T;
}

/** Decodes the packed array whole and serializes each value again: the path when the split does not apply. */
function unpackWhole<T extends BatchColumns>(batch: T): T {
  const rest = deserialize(batch.packed as Uint8Array) as unknown[];
  const n = batch.keys.length;
  const parts = new Array<Uint8Array>(n);
  const valueOffsets = new Uint32Array(n + 1);
  let next = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const fromRest = batch.kinds[i] === RecordKind.put && batch.codecs[i] === v8Codec.id;
    const bytes = fromRest ? serialize(rest[next++]) : batch.values.subarray(batch.valueOffsets[i], batch.valueOffsets[i + 1]);
    parts[i] = bytes;
    valueOffsets[i] = total;
    total += bytes.length;
  }
  valueOffsets[n] = total;
  const values = Buffer.allocUnsafe(total);
  for (let i = 0; i < n; i++) values.set(parts[i] as Uint8Array, valueOffsets[i] as number);
  const { packed: _packed, ...others } = batch;
  return { ...others, values, valueOffsets } as unknown as T;
}

export function valueSizes(batch: BatchColumns): Uint32Array {
  const n = batch.keys.length;
  const sizes = new Uint32Array(n);
  for (let i = 0; i < n; i++) sizes[i] = (batch.valueOffsets[i + 1] as number) - (batch.valueOffsets[i] as number);
  return sizes;
}
