/**
 * Turns a batch that arrived `packed` (one v8 serialization of all its values, made cheaply on
 * the caller's thread) into the per-value encoding every writer expects, here in the worker.
 * Also reports each value's encoded size, which the caller's thread needs for `maxBytes`.
 */
import { deserialize, serialize } from 'node:v8';
import type { BatchColumns } from '../shared/protocol.js';
import { RecordKind } from '../shared/record.js';

export function unpackValues<T extends BatchColumns>(batch: T): T {
  if (batch.packed === undefined) return batch;
  const raw = deserialize(batch.packed) as unknown[];
  const n = batch.keys.length;
  const encoded = new Array<Uint8Array>(n);
  const valueOffsets = new Uint32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    // The caller's thread serialized these very values, so serializing them again cannot fail.
    const bytes = batch.kinds[i] === RecordKind.delete ? new Uint8Array(0) : serialize(raw[i]);
    encoded[i] = bytes;
    valueOffsets[i] = total;
    total += bytes.length;
  }
  valueOffsets[n] = total;
  const values = Buffer.allocUnsafe(total);
  for (let i = 0; i < n; i++) values.set(encoded[i] as Uint8Array, valueOffsets[i] as number);
  const { packed: _packed, ...rest } = batch;
  return { ...rest, values, valueOffsets } as unknown as T;
}

export function valueSizes(batch: BatchColumns): Uint32Array {
  const n = batch.keys.length;
  const sizes = new Uint32Array(n);
  for (let i = 0; i < n; i++) sizes[i] = (batch.valueOffsets[i + 1] as number) - (batch.valueOffsets[i] as number);
  return sizes;
}
