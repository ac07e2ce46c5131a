/**
 * A batch's keys cross to the writer thread as a structured clone, and V8 clones an array with
 * holey elements as a sparse array: every element written with its index, 2.4× the time to
 * serialize and 2.6× to deserialize 1,000 keys, and on arrival an array of another shape, which
 * deoptimised the writer's hot functions (and the store's landing code, which reads the keys
 * again) with "wrong map". `entries.map((e) => e.key)` gave such an array once its caller was
 * optimised: TurboFan's inlined `map` builds its result holey, the builtin packed — 12 batches of
 * the main job's first 30 were holey.
 */
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../../src/main/engine/batch-builder.js';
import { Entry, EntryState } from '../../src/main/engine/entry.js';
import { v8Codec } from '../../src/shared/codecs.js';

/** The value serializer's tag for an array written densely ('A'); a sparse one is 'a'. */
const DENSE_ARRAY = 0x41;

describe('a batch keys column', () => {
  it('is a dense array, also once the builder runs optimised', () => {
    const entries = Array.from({ length: 50 }, (_, i) => new Entry(`key:${i}`, { i }, EntryState.queued, i + 1, 1, 0));
    const tags = new Map<number, number>();
    // Enough batches for V8 to optimise the builder (the keys came out holey from about then on).
    for (let round = 0; round < 4000; round++) {
      const builder = new BatchBuilder(v8Codec, true);
      for (const entry of entries) builder.add(entry);
      const keys = builder.build().encoded?.batch.keys;
      expect(keys).toHaveLength(entries.length);
      const tag = serialize(keys)[2] as number; // after the 2-byte header
      tags.set(tag, (tags.get(tag) ?? 0) + 1);
    }
    expect([...tags]).toEqual([[DENSE_ARRAY, 4000]]);
  });
});
