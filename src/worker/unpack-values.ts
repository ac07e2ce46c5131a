/**
 * Finishes a batch that arrived `packed` (src/main/batch-encoder.ts): string values are already
 * UTF-8 in `values`; the rest came as one v8 serialization of their array and are encoded here
 * one by one, in order, into the per-value layout every writer expects.
 * Also reports each value's encoded size, which the caller's thread needs for `maxBytes`.
 */
import { deserialize, serialize } from 'node:v8';
import type { BatchColumns } from '../shared/protocol.js';
import { v8Codec } from '../shared/codecs.js';
import { RecordKind } from '../shared/format/record.js';

export function unpackValues<T extends BatchColumns>(batch: T): T {
  if (batch.packed === undefined) return batch;
  const rest = deserialize(batch.packed) as unknown[];
  const n = batch.keys.length;
  const parts = new Array<Uint8Array>(n);
  const valueOffsets = new Uint32Array(n + 1);
  let next = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    // The caller's thread serialized these very values, so serializing them again cannot fail.
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
