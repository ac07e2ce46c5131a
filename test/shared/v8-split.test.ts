/**
 * The writer thread cuts each object value's record bytes out of the batch's one
 * `v8.serialize(array)` (src/shared/format/v8-split.ts) instead of decoding the array and
 * serializing every value again. A cut is only taken where the scan proves it standalone; every
 * value's bytes must still decode to what a value's own serialize/deserialize round trip gives.
 */
import { deserialize, serialize } from 'node:v8';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { batchValues, value } from '../helpers/structured-values.js';
import { describe, expect, it } from 'vitest';
import { v8Codec, utf8Codec } from '../../src/shared/codecs.js';
import { RecordKind, decodeRecord } from '../../src/shared/format/record.js';
import { LocatedValues } from '../../src/shared/format/located-values.js';
import { frameBatch } from '../../src/shared/writers/log-writer.js';
import { splitV8Array } from '../../src/shared/format/v8-split.js';
import type { BatchColumns } from '../../src/shared/protocol.js';
import { unpackValues } from '../../src/worker/unpack-values.js';

const RUNS = Number(process.env.LARDER_SPLIT_RUNS ?? 3000);
/** LARDER_SPLIT_NO_SHRINK=1: report the first failure at once (shrinking these values can take minutes). */
const endOnFailure = process.env.LARDER_SPLIT_NO_SHRINK === '1';

// --- the batch around them --------------------------------------------------------------------

/** A packed batch as the caller's thread builds it: v8 puts in `packed`, deletes and UTF-8 strings between them. */
function packedBatch(elements: unknown[], extras = true): BatchColumns {
  const keys: string[] = [];
  const kinds: number[] = [];
  const codecs: number[] = [];
  const text: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  const push = (kind: number, codec: number, bytes: Buffer = Buffer.alloc(0)): void => {
    keys.push(`k${keys.length}`);
    kinds.push(kind);
    codecs.push(codec);
    offsets.push(at);
    text.push(bytes);
    at += bytes.length;
  };
  elements.forEach((_, i) => {
    if (extras && i % 3 === 1) push(RecordKind.put, utf8Codec.id, Buffer.from(`text ${i} ☃`));
    if (extras && i % 4 === 2) push(RecordKind.delete, v8Codec.id);
    push(RecordKind.put, v8Codec.id);
  });
  offsets.push(at);
  const n = keys.length;
  return {
    keys,
    kinds: Uint8Array.from(kinds),
    codecs: Uint8Array.from(codecs),
    createdAt: new Float64Array(n).fill(1),
    expiresAt: new Float64Array(n),
    valueOffsets: Uint32Array.from(offsets),
    values: Buffer.concat(text),
    packed: serialize(elements),
  };
}

/**
 * Each v8 put's bytes after unpacking, in order; the other entries' bytes must be untouched. The
 * log writer frames its records from the located values instead of unpacking first: every record
 * it frames must hold the same key, kind, codec and value bytes.
 */
function unpacked(batch: BatchColumns): Uint8Array[] {
  const out = unpackValues(batch);
  expect(out.packed).toBeUndefined();
  const located = new LocatedValues(batch);
  const framed = frameBatch(batch, located);
  for (let i = 0; i < batch.keys.length; i++) {
    const decoded = decodeRecord(framed.out, framed.offsets[i]);
    if (decoded.status !== 'ok') throw new Error(`record ${i}: ${decoded.status}`);
    expect(decoded.record.key).toBe(batch.keys[i]);
    expect([decoded.record.kind, decoded.record.codec]).toEqual([batch.kinds[i], batch.codecs[i]]);
    expect(Buffer.from(decoded.record.value).equals(out.values.subarray(out.valueOffsets[i], out.valueOffsets[i + 1]))).toBe(true);
    expect(located.sizes[i]).toBe(decoded.record.value.length);
    expect(framed.offsets[i + 1]).toBe((framed.offsets[i] as number) + decoded.record.size);
  }
  const v8Values: Uint8Array[] = [];
  for (let i = 0; i < out.keys.length; i++) {
    const bytes = out.values.subarray(out.valueOffsets[i], out.valueOffsets[i + 1]);
    const before = batch.values.subarray(batch.valueOffsets[i], batch.valueOffsets[i + 1]);
    if (out.kinds[i] === RecordKind.put && out.codecs[i] === v8Codec.id) v8Values.push(bytes);
    else expect(Buffer.from(bytes).equals(before)).toBe(true);
  }
  return v8Values;
}

/** `bytes` decode to what the element's own round trip gives: same re-serialization, deep-equal. */
function expectSameValue(bytes: Uint8Array, element: unknown): void {
  const expected = deserialize(serialize(element)) as unknown;
  const actual = deserialize(bytes) as unknown;
  // Re-serializing compares exactly: NaN, -0, sharing and cycles, property order, invalid dates.
  expect(Buffer.from(serialize(actual)).equals(serialize(expected))).toBe(true);
  expect(isDeepStrictEqual(actual, expected)).toBe(true);
}

describe('v8 split: each value cut from the packed array decodes as its own round trip', () => {
  it(`holds for random batches of every structured-clonable type (${RUNS} runs)`, () => {
    let cut = 0;
    let fallback = 0;
    fc.assert(
      fc.property(batchValues, ({ elements }) => {
        const batch = packedBatch(elements);
        const split = splitV8Array(batch.packed as Uint8Array);
        expect(split).toBeDefined();
        for (let i = 0; i < elements.length; i++) {
          if ((split?.ranges[2 * i] ?? -1) >= 0) cut++;
          else fallback++;
        }
        const bytes = unpacked(batch);
        expect(bytes).toHaveLength(elements.length);
        elements.forEach((element, i) => expectSameValue(bytes[i] as Uint8Array, element));
      }),
      { numRuns: RUNS, endOnFailure },
    );
    // Both paths were exercised, the cut one most.
    expect(cut).toBeGreaterThan(fallback);
    expect(fallback).toBeGreaterThan(0);
  });

  it('cuts every element that holds no back-reference (the scan knows every tag Node writes)', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), (elements) => {
        const packed = serialize(elements);
        const split = splitV8Array(packed);
        expect(split).toBeDefined();
        elements.forEach((element, i) => {
          if (!hasSharedObject(element)) expect(split?.ranges[2 * i], `element ${i}`).toBeGreaterThanOrEqual(0);
        });
      }),
      { numRuns: Math.ceil(RUNS / 3), endOnFailure },
    );
  });

  it('cuts the workload of the issue: 1000 objects { id, name, tags, body }', () => {
    const elements = Array.from({ length: 1000 }, (_, id) => ({ id, name: `name ${id}`, tags: ['a', 'b', `t${id}`], body: 'é'.repeat(id % 7) + 'x'.repeat(900) }));
    const split = splitV8Array(serialize(elements));
    expect(split?.ranges.every((r) => r >= 0)).toBe(true);
    const bytes = unpacked(packedBatch(elements, false));
    elements.forEach((element, i) => expectSameValue(bytes[i] as Uint8Array, element));
  });
});

/** True when some object is reachable twice from `root` (then its serialization holds a back-reference). */
function hasSharedObject(root: unknown): boolean {
  const seen = new Set<object>();
  const visit = (x: unknown): boolean => {
    if (typeof x !== 'object' || x === null) return false;
    if (seen.has(x)) return true;
    seen.add(x);
    if (x instanceof Map) return [...x].some(([k, v]) => visit(k) || visit(v));
    if (x instanceof Set) return [...x].some(visit);
    if (x instanceof Error) return 'cause' in x && visit(x.cause);
    if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Date || x instanceof RegExp) return false;
    return Object.values(x).some(visit);
  };
  return visit(root);
}

describe('v8 split: each reason to fall back', () => {
  it('an object shared across elements: the later element falls back, the first is cut', () => {
    const shared = { a: 1 };
    const elements = [shared, { b: shared }, 3];
    const split = splitV8Array(serialize(elements));
    expect(split?.ranges[0]).toBeGreaterThanOrEqual(0);
    expect(split?.ranges[2]).toBe(-1);
    expect(split?.ranges[4]).toBeGreaterThanOrEqual(0);
    const bytes = unpacked(packedBatch(elements));
    elements.forEach((element, i) => expectSameValue(bytes[i] as Uint8Array, element));
  });

  it('the same element twice: the second is a back-reference and falls back', () => {
    const o = { x: [1, 2] };
    const elements = [o, o];
    expect(Array.from(splitV8Array(serialize(elements))?.ranges ?? [])).toEqual([expect.any(Number), expect.any(Number), -1, -1]);
    const bytes = unpacked(packedBatch(elements));
    elements.forEach((element, i) => expectSameValue(bytes[i] as Uint8Array, element));
  });

  it('a cycle or a shared object within one element falls back', () => {
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic.self = cyclic;
    const leafObject = new Date(5);
    const sharedInside = { a: leafObject, b: leafObject };
    const elements = [cyclic, sharedInside, 'plain'];
    const split = splitV8Array(serialize(elements));
    expect(split?.ranges[0]).toBe(-1);
    expect(split?.ranges[2]).toBe(-1);
    expect(split?.ranges[4]).toBeGreaterThanOrEqual(0);
    const bytes = unpacked(packedBatch(elements));
    elements.forEach((element, i) => expectSameValue(bytes[i] as Uint8Array, element));
  });

  it('a layout the scan does not know (an ArrayBufferView in V8\'s own encoding): that element and all later ones fall back', () => {
    // [new Uint8Array([1, 2]) as V8 writes it without Node's host objects, 1, { a: 2 }]
    const packed = Buffer.concat([
      Buffer.from([0xff, 0x0f, 0x41, 0x04, 0x49, 0x0a]),
      Buffer.from([0x42, 0x02, 0x01, 0x02, 0x56, 0x42, 0x00, 0x02, 0x00]),
      Buffer.from([0x49, 0x02, 0x6f, 0x22, 0x01, 0x61, 0x49, 0x04, 0x7b, 0x01, 0x24, 0x00, 0x04]),
    ]);
    const elements = deserialize(packed) as unknown[];
    expect(elements).toEqual([5, new Uint8Array([1, 2]), 1, { a: 2 }]);
    expect(Array.from(splitV8Array(packed)?.ranges ?? []).map((r) => r >= 0)).toEqual([true, true, false, false, false, false, false, false]);
    const batch = { ...packedBatch(elements), packed };
    const bytes = unpacked(batch);
    elements.forEach((element, i) => expectSameValue(bytes[i] as Uint8Array, element));
  });

  it('an unknown tag stops the scan at that element; the earlier ones are still cut', () => {
    const packed = Buffer.from(serialize([1, { a: 2 }, 3]));
    const at = packed.indexOf(0x6f); // 'o' → 'p' (a shared object: not something we write)
    packed[at] = 0x70;
    expect(Array.from(splitV8Array(packed)?.ranges ?? []).map((r) => r >= 0)).toEqual([true, true, false, false, false, false]);
  });

  it('a hole at the top level (never written by the engine) falls back to undefined', () => {
    // A dense array with a hole, as V8 writes a holey array that is not sparse enough for 'a'.
    const packed = Buffer.from([0xff, 0x0f, 0x41, 0x03, 0x49, 0x02, 0x2d, 0x49, 0x06, 0x24, 0x00, 0x03]);
    const elements = deserialize(packed) as unknown[];
    expect(Array.from(splitV8Array(packed)?.ranges ?? []).map((r) => r >= 0)).toEqual([true, true, false, false, true, true]);
    const bytes = unpacked({ ...packedBatch([1, undefined, 3]), packed });
    [1, undefined, 3].forEach((element, i) => expectSameValue(bytes[i] as Uint8Array, element));
    expect(elements).toHaveLength(3);
  });

  it('not a dense array (sparse), extra array properties, another format version, a truncated or trailing buffer: no split at all', () => {
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [1, , 3];
    expect(serialize(sparse)[2]).toBe(0x61);
    expect(splitV8Array(serialize(sparse))).toBeUndefined();

    const withProperty = Object.assign([1, { a: 1 }], { extra: true });
    expect(splitV8Array(serialize(withProperty))).toBeUndefined();
    const bytes = unpacked(packedBatch(withProperty as unknown[]));
    [1, { a: 1 }].forEach((element, i) => expectSameValue(bytes[i] as Uint8Array, element));

    const newer = Buffer.from(serialize([1, 2]));
    newer[1] = 16;
    expect(splitV8Array(newer)).toBeUndefined();

    const whole = serialize([1, 'two', { three: 3 }]);
    for (let cut = 0; cut < whole.length; cut++) {
      const split = splitV8Array(whole.subarray(0, cut));
      // A truncated buffer is either refused, or ends inside an element the scan could not finish.
      if (split !== undefined) expect(split.ranges.at(-1)).toBe(-1);
    }
    expect(splitV8Array(Buffer.concat([whole, Buffer.from([0x5f])]))).toBeUndefined();
    expect(splitV8Array(new Uint8Array(0))).toBeUndefined();
  });

  it('a packed array with more elements than v8 puts keeps the old meaning (the first ones, in order)', () => {
    const batch = packedBatch([{ a: 1 }, { b: 2 }], false);
    batch.packed = serialize([{ a: 1 }, { b: 2 }, { c: 3 }]);
    const bytes = unpacked(batch);
    expect(bytes.map((b) => deserialize(b) as unknown)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('a batch that did not arrive packed (the exit path encodes value by value): every value is framed as the caller encoded it', () => {
    const values = [{ a: 1 }, 'text', [1, 2]].map((v) => serialize(v));
    const offsets = [0];
    for (const v of values) offsets.push((offsets.at(-1) as number) + v.length);
    const batch: BatchColumns = {
      keys: ['a', 'b', 'c'],
      kinds: Uint8Array.from([RecordKind.put, RecordKind.put, RecordKind.put]),
      codecs: Uint8Array.from([v8Codec.id, v8Codec.id, v8Codec.id]),
      createdAt: new Float64Array(3).fill(1),
      expiresAt: new Float64Array(3),
      valueOffsets: Uint32Array.from(offsets),
      values: Buffer.concat(values),
    };
    const framed = frameBatch(batch, new LocatedValues(batch));
    values.forEach((bytes, i) => {
      const decoded = decodeRecord(framed.out, framed.offsets[i]);
      expect(decoded.status === 'ok' && Buffer.from(decoded.record.value).equals(bytes)).toBe(true);
    });
  });

  it('two-byte strings keep their padding and decode unaligned', () => {
    const elements = ['ab', 'x☃', { k: 'é☃' }, ['☃☃', 1], new Map([['☃', 'ü']])].map((v) => (typeof v === 'string' ? { v } : v));
    const split = splitV8Array(serialize(elements));
    expect(split?.ranges.every((r) => r >= 0)).toBe(true);
    const bytes = unpacked(packedBatch(elements));
    elements.forEach((element, i) => expectSameValue(bytes[i] as Uint8Array, element));
  });
});
