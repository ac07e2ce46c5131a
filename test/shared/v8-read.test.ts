/**
 * The v8 codec decodes with a reader of its own (src/shared/format/v8-read.ts) and leaves what it
 * does not read to `v8.deserialize`. Whatever the path, a value must come back exactly as
 * `v8.deserialize` gives it — and a malformed buffer must fail, or decode, exactly as it would.
 */
import { deserialize, serialize } from 'node:v8';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEFT_TO_V8, readV8, tryReadV8 } from '../../src/shared/format/v8-read.js';
import { v8Codec } from '../../src/shared/codecs.js';
import { batchValues, linkedValues, plainValue } from '../helpers/structured-values.js';

const RUNS = Number(process.env.LARDER_V8_READ_RUNS ?? 3000);
/** LARDER_V8_READ_NO_SHRINK=1: report the first failure at once (shrinking these values can take minutes). */
const endOnFailure = process.env.LARDER_V8_READ_NO_SHRINK === '1';
/** Raised runs get time in proportion (~3 ms a run for the linked batches). */
const timeout = Math.max(60_000, RUNS * 5);

/** What `v8.deserialize` gives for `bytes`, or the error it throws. */
function outcome(read: (bytes: Uint8Array) => unknown, bytes: Uint8Array): { value: unknown } | { error: unknown } {
  try {
    return { value: read(bytes) };
  } catch (error) {
    return { error };
  }
}

const printed = (x: unknown): string =>
  inspect(x, { depth: Infinity, showHidden: true, maxArrayLength: Infinity, maxStringLength: Infinity, breakLength: Infinity });

/**
 * Same value graph: the objects of `a` correspond one to one with those of `b` (so sharing and
 * cycles match), with the same prototypes, own keys in the same order and the same property
 * descriptors; primitives by Object.is (NaN, -0); Dates by time; Maps and Sets entry by entry, in
 * order. Re-serializing is no oracle here: whether V8 writes an array dense or sparse depends on
 * how it stores the elements, which two equal arrays need not share.
 */
function sameGraph(a: unknown, b: unknown, pairs = new Map<object, object>(), back = new Map<object, object>()): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (pairs.has(a) || back.has(b)) return pairs.get(a) === b && back.get(b) === a;
  pairs.set(a, b);
  back.set(b, a);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime()) && sameOwnProperties(a, b, pairs, back);
  if (a instanceof Map || a instanceof Set) {
    const x = [...a.entries()];
    const y = [...(b as Map<unknown, unknown>).entries()];
    return x.length === y.length && x.every(([k, v], i) => sameGraph(k, y[i]?.[0], pairs, back) && sameGraph(v, y[i]?.[1], pairs, back)) && sameOwnProperties(a, b, pairs, back);
  }
  return sameOwnProperties(a, b, pairs, back);
}

function sameOwnProperties(a: object, b: object, pairs: Map<object, object>, back: Map<object, object>): boolean {
  const keys = Reflect.ownKeys(a);
  const other = Reflect.ownKeys(b);
  if (keys.length !== other.length || keys.some((key, i) => key !== other[i])) return false;
  return keys.every((key) => {
    const x = Object.getOwnPropertyDescriptor(a, key) as PropertyDescriptor;
    const y = Object.getOwnPropertyDescriptor(b, key) as PropertyDescriptor;
    return x.enumerable === y.enumerable && x.writable === y.writable && x.configurable === y.configurable && x.get === undefined && y.get === undefined && sameGraph(x.value, y.value, pairs, back);
  });
}

/** Same value as `v8.deserialize` gives (see sameGraph). */
function expectSame(actual: unknown, expected: unknown): void {
  expect(sameGraph(actual, expected), printed(actual)).toBe(true);
}

describe('v8 reader: every value comes back as v8.deserialize gives it', () => {
  it(`holds for values of every structured-clonable type, shared and cyclic ones too (${RUNS} runs)`, () => {
    let read = 0;
    let left = 0;
    fc.assert(
      fc.property(batchValues, ({ elements }) => {
        for (const element of [elements, ...elements]) {
          const bytes = serialize(element);
          if (tryReadV8(bytes) === LEFT_TO_V8) left++;
          else read++;
          expectSame(readV8(bytes), deserialize(bytes));
        }
      }),
      { numRuns: RUNS, endOnFailure },
    );
    // Both paths were exercised.
    expect(read).toBeGreaterThan(0);
    expect(left).toBeGreaterThan(0);
  }, timeout);

  it('reads plain data itself, never leaving it to v8.deserialize', () => {
    fc.assert(
      fc.property(linkedValues(plainValue), ({ elements }) => {
        const bytes = serialize(elements);
        const value = tryReadV8(bytes);
        expect(value).not.toBe(LEFT_TO_V8);
        expectSame(value, deserialize(bytes));
      }),
      { numRuns: Math.ceil(RUNS / 3), endOnFailure },
    );
  }, timeout);

  it('fails or decodes a damaged buffer exactly as v8.deserialize does', () => {
    fc.assert(
      fc.property(plainValue, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (value, at, byte, cut) => {
        const bytes = Buffer.from(serialize(value));
        const index = at % bytes.length;
        const damaged = cut ? bytes.subarray(0, index) : Buffer.from(bytes).fill(byte, index, index + 1);
        const ours = outcome(readV8, damaged);
        const theirs = outcome(deserialize, damaged);
        if ('error' in theirs) expect('error' in ours).toBe(true);
        else {
          expect('value' in ours).toBe(true);
          if ('value' in ours) expectSame(ours.value, theirs.value);
        }
      }),
      { numRuns: RUNS, endOnFailure },
    );
  });

  it('leaves a value nested deeper than its stack to v8.deserialize', () => {
    // 100,000 arrays each holding the next: deeper than serialize itself goes on this thread, as
    // a thread with a larger stack could have written it.
    const depth = 100_000;
    const bytes = Buffer.concat([Buffer.from([0xff, 0x0f]), Buffer.from('A\x01'.repeat(depth), 'latin1'), Buffer.from('_'), Buffer.from('$\x00\x01'.repeat(depth), 'latin1')]);
    expect(tryReadV8(bytes)).toBe(LEFT_TO_V8);
    const ours = outcome(readV8, bytes);
    const theirs = outcome(deserialize, bytes);
    expect('error' in ours).toBe('error' in theirs);
    if ('error' in ours && 'error' in theirs) expect(String(ours.error)).toBe(String(theirs.error));
  });

  it('keeps `__proto__` an own property, as V8 makes it, and leaves the prototype alone', () => {
    const value = readV8(serialize(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'a']);
    expect(value.polluted).toBeUndefined();
  });

  it('is the v8 codec’s decoder, on the workload of issue 17', () => {
    const values = Array.from({ length: 200 }, (_, id) => ({ id, name: `item ${id}`, tags: ['alpha', `t${id % 97}`, 'omega'], body: `${id}:${'y'.repeat(900)}`, at: new Date(id) }));
    for (const value of values) {
      const bytes = v8Codec.encode(value);
      expect(tryReadV8(bytes)).not.toBe(LEFT_TO_V8);
      expectSame(v8Codec.decode(bytes), deserialize(bytes));
    }
  });
});
