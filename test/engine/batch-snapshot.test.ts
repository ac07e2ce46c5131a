/**
 * A batch takes one snapshot of each entry when the entry is added: its kind (put or delete),
 * value, createdAt and expiresAt. A batch may fill over several turns of the event loop, and the
 * entries it holds can be written again (or deleted) in between; the batch must still carry
 * what each entry was when it was added — the newer write goes out in a later batch.
 *
 * Regression: the kinds were read again when the batch was built. An entry deleted in between
 * became a delete while its value stayed in the batch's one v8 serialization, so every later
 * object value in the batch was written under the key before its own.
 */
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../../src/main/engine/batch-builder.js';
import { Entry, EntryState } from '../../src/main/engine/entry.js';
import { v8Codec } from '../../src/shared/codecs.js';
import { RecordKind } from '../../src/shared/format/record.js';
import { unpackValues } from '../../src/worker/unpack-values.js';
import { resolveCodec } from '../../src/shared/codecs.js';

function entry(key: string, value: unknown, createdAt = 1, expiresAt = 0): Entry {
  return new Entry(key, value, EntryState.queued, 1, createdAt, expiresAt);
}

/** What a writer would store for each entry of the built batch: kind, times and the decoded value. */
function written(builder: BatchBuilder): Array<{ key: string; kind: number; value: unknown; createdAt: number; expiresAt: number }> {
  const encoded = builder.build().encoded;
  if (encoded === undefined) return [];
  const batch = unpackValues(encoded.batch);
  return batch.keys.map((key, i) => {
    const kind = batch.kinds[i] as number;
    const bytes = batch.values.subarray(batch.valueOffsets[i], batch.valueOffsets[i + 1]);
    return {
      key,
      kind,
      value: kind === RecordKind.delete ? undefined : resolveCodec(batch.codecs[i] as number).decode(bytes),
      createdAt: batch.createdAt[i] as number,
      expiresAt: batch.expiresAt[i] as number,
    };
  });
}

/** What the engine does to an entry on delete() and on set() (cacher.ts #markDeleted / set). */
function deleteIt(e: Entry, at: number): void {
  e.value = undefined;
  e.deleted = true;
  e.createdAt = at;
  e.expiresAt = 0;
}
function setIt(e: Entry, value: unknown, at: number, expiresAt: number): void {
  e.value = value;
  e.deleted = false;
  e.createdAt = at;
  e.expiresAt = expiresAt;
}

describe.each([
  ['packed (v8 values serialized together)', true],
  ['encoded (each value on its own)', false],
])('batch snapshot, %s', (_name, packed) => {
  it('an entry deleted after it was added is still written as the put it was', () => {
    const a = entry('a', { k: 'a' });
    const b = entry('b', { k: 'b' });
    const c = entry('c', { k: 'c' });
    const builder = new BatchBuilder(v8Codec, packed);
    for (const e of [a, b, c]) builder.add(e);
    deleteIt(b, 5);
    const out = written(builder);
    expect(out.map((r) => [r.key, r.kind, r.value])).toEqual([
      ['a', RecordKind.put, { k: 'a' }],
      ['b', RecordKind.put, { k: 'b' }],
      ['c', RecordKind.put, { k: 'c' }],
    ]);
  });

  it('a delete set again after it was added is still written as the delete it was', () => {
    const a = entry('a', { k: 'a' });
    const b = entry('b', undefined);
    deleteIt(b, 1);
    const c = entry('c', { k: 'c' });
    const builder = new BatchBuilder(v8Codec, packed);
    for (const e of [a, b, c]) builder.add(e);
    setIt(b, { k: 'b-new' }, 7, 99);
    const out = written(builder);
    expect(out.map((r) => [r.key, r.kind, r.value])).toEqual([
      ['a', RecordKind.put, { k: 'a' }],
      ['b', RecordKind.delete, undefined],
      ['c', RecordKind.put, { k: 'c' }],
    ]);
    expect(out[1]?.createdAt).toBe(1);
    expect(out[1]?.expiresAt).toBe(0);
  });

  it('createdAt and expiresAt are the added version’s, not a newer set’s', () => {
    const a = entry('a', 'text', 10, 1000);
    const b = entry('b', { n: 1 }, 20, 2000);
    const builder = new BatchBuilder(v8Codec, packed);
    builder.add(a);
    builder.add(b);
    setIt(a, 'newer', 30, 3000);
    setIt(b, { n: 2 }, 40, 0);
    const out = written(builder);
    expect(out.map((r) => [r.value, r.createdAt, r.expiresAt])).toEqual([
      ['text', 10, 1000],
      [{ n: 1 }, 20, 2000],
    ]);
  });

  it('an unserializable value dropped at build keeps the others aligned, whatever happened to the entries since', () => {
    const a = entry('a', { k: 'a' });
    const bad = entry('bad', { f: () => 1 });
    const b = entry('b', { k: 'b' });
    const c = entry('c', { k: 'c' });
    const builder = new BatchBuilder(v8Codec, packed);
    const refused = [a, bad, b, c].map((e) => builder.add(e));
    deleteIt(b, 5);
    setIt(bad, { k: 'fine now' }, 6, 0);
    const out = written(builder);
    expect(out.map((r) => [r.key, r.kind, r.value])).toEqual([
      ['a', RecordKind.put, { k: 'a' }],
      ['b', RecordKind.put, { k: 'b' }],
      ['c', RecordKind.put, { k: 'c' }],
    ]);
    // Encoded mode refuses the value when it is added; packed mode finds it at build.
    expect(refused[1] !== undefined).toBe(!packed);
  });
});
