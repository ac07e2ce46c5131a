/**
 * Finishes a batch that arrived `packed` (src/main/engine/batch-builder.ts) for a writer that
 * takes its values as one buffer (files, Redis): each value laid into `values` in the per-value
 * layout every writer expects (its own v8 serialization), found by src/shared/format/located-values.ts.
 * The log writer frames records from the located values directly instead.
 */
import type { BatchColumns } from '../shared/protocol.js';
import { LocatedValues } from '../shared/format/located-values.js';

export function unpackValues<T extends BatchColumns>(batch: T, located = new LocatedValues(batch)): T {
  if (batch.packed === undefined) return batch;
  const n = batch.keys.length;
  const values = Buffer.allocUnsafe(located.total);
  const valueOffsets = new Uint32Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    valueOffsets[i] = at;
    at = located.copyTo(i, values, at);
  }
  valueOffsets[n] = at;
  const { packed: _packed, ...others } = batch;
  return { ...others, values, valueOffsets } as unknown as T;
}
