/**
 * The writer thread's cost to turn a packed batch (one `v8.serialize` of its object values) into
 * one v8 serialization per value: before, decoding the array and serializing each value again;
 * now, cutting each value out of the packed bytes (src/shared/format/v8-split.ts) and copying.
 * And the log writer's whole framing of such a batch: laying the values out into one buffer and
 * then framing each into its record, against framing each straight from where it is located
 * (src/shared/format/located-values.ts, what `frameBatch` does).
 * 1000 values `{ id, name, tags: [3 strings], body: 900 chars }` (the workload of issue 17),
 * `--rounds` rounds, old and new interleaved in each round so load on the machine hits both;
 * medians, µs per value.
 *
 *   node --import tsx bench/unpack.bench.ts [--rounds 200] [--values 1000]
 */
import { deserialize, serialize } from 'node:v8';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { v8Codec } from '../src/shared/codecs.js';
import { RecordKind, recordBound, writeRecord } from '../src/shared/format/record.js';
import { LocatedValues } from '../src/shared/format/located-values.js';
import { frameBatch } from '../src/shared/writers/log-writer.js';
import { splitV8Array } from '../src/shared/format/v8-split.js';
import type { BatchColumns } from '../src/shared/protocol.js';
import { unpackValues } from '../src/worker/unpack-values.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '200' }, values: { type: 'string', default: '1000' } },
});
const rounds = Number(args.rounds);
const n = Number(args.values);

/** The function as it was before the split (src/worker/unpack-values.ts), kept here to compare. */
function unpackValuesBefore<T extends BatchColumns>(batch: T): T {
  if (batch.packed === undefined) return batch;
  const rest = deserialize(batch.packed) as unknown[];
  const count = batch.keys.length;
  const parts = new Array<Uint8Array>(count);
  const valueOffsets = new Uint32Array(count + 1);
  let next = 0;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const fromRest = batch.kinds[i] === RecordKind.put && batch.codecs[i] === v8Codec.id;
    const bytes = fromRest ? serialize(rest[next++]) : batch.values.subarray(batch.valueOffsets[i], batch.valueOffsets[i + 1]);
    parts[i] = bytes;
    valueOffsets[i] = total;
    total += bytes.length;
  }
  valueOffsets[count] = total;
  const values = Buffer.allocUnsafe(total);
  for (let i = 0; i < count; i++) values.set(parts[i] as Uint8Array, valueOffsets[i] as number);
  const { packed: _packed, ...others } = batch;
  return { ...others, values, valueOffsets } as unknown as T;
}

const body = 'x'.repeat(900);
const objects = Array.from({ length: n }, (_, id) => ({ id, name: `user ${id}`, tags: ['alpha', 'beta', `t${id % 17}`], body: `${id}:${body}` }));
const batch: BatchColumns = {
  keys: objects.map((_, i) => `key:${i}`),
  kinds: new Uint8Array(n).fill(RecordKind.put),
  codecs: new Uint8Array(n).fill(v8Codec.id),
  createdAt: new Float64Array(n).fill(1),
  expiresAt: new Float64Array(n),
  valueOffsets: new Uint32Array(n + 1),
  values: new Uint8Array(0),
  packed: serialize(objects),
};

// Same bytes out of both, or the comparison means nothing.
const a = unpackValuesBefore(batch);
const b = unpackValues(batch);
if (!Buffer.from(a.values).equals(Buffer.from(b.values)) || !a.valueOffsets.every((x, i) => x === b.valueOffsets[i])) {
  // Object numbering or padding may legitimately differ; then each value must still decode the same.
  for (let i = 0; i < n; i++) {
    const x = deserialize(a.values.subarray(a.valueOffsets[i], a.valueOffsets[i + 1]));
    const y = deserialize(b.values.subarray(b.valueOffsets[i], b.valueOffsets[i + 1]));
    if (JSON.stringify(x) !== JSON.stringify(y)) throw new Error(`value ${i} differs`);
  }
}

let sink = 0;
let bound = unpackValues(batch).values.length;
for (let i = 0; i < n; i++) bound += recordBound(batch.keys[i] as string, 0);
/** The earlier framing's buffer, reused as the log writer reuses its own. */
const frame = Buffer.allocUnsafeSlow(bound);
const cases: Record<string, () => void> = {
  'caller: v8.serialize of the array (reference)': () => {
    sink += serialize(objects).length;
  },
  'writer before: deserialize array + serialize each': () => {
    sink += unpackValuesBefore(batch).values.length;
  },
  'of which: deserialize the array alone': () => {
    sink += (deserialize(batch.packed as Uint8Array) as unknown[]).length;
  },
  'writer now: split + copy (unpackValues)': () => {
    sink += unpackValues(batch).values.length;
  },
  'of which: splitV8Array alone': () => {
    sink += splitV8Array(batch.packed as Uint8Array)?.ranges.length ?? 0;
  },
  'log writer, laid out then framed (unpackValues + writeRecord)': () => {
    const unpacked = unpackValues(batch);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const value = unpacked.values.subarray(unpacked.valueOffsets[i], unpacked.valueOffsets[i + 1]);
      at = writeRecord(frame, at, unpacked.keys[i] as string, value, { kind: RecordKind.put, codec: v8Codec.id, createdAt: 1, expiresAt: 0 });
    }
    sink += at;
  },
  'log writer now: framed from where each value is (frameBatch)': () => {
    sink += frameBatch(batch, new LocatedValues(batch)).total;
  },
};
const names = Object.keys(cases);
const samples = new Map<string, number[]>(names.map((name) => [name, []]));
for (let warm = 0; warm < 20; warm++) for (const name of names) cases[name]?.();
for (let round = 0; round < rounds; round++) {
  for (const name of names) {
    const start = performance.now();
    cases[name]?.();
    samples.get(name)?.push(((performance.now() - start) * 1000) / n);
  }
}
const median = (xs: number[]): number => {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const before = median(samples.get(names[1] as string) ?? []);
console.log(`Node ${process.version}, ${n} values of ~${Math.round((batch.packed as Uint8Array).length / n)} B, ${rounds} rounds (medians)`);
console.table(
  names.map((name) => {
    const m = median(samples.get(name) ?? []);
    return { case: name, 'µs per value': Number(m.toFixed(3)), 'vs writer before': Number((m / before).toFixed(3)) };
  }),
);
void sink;
