import { describe, expect, it } from 'vitest';
import { createJsonCodec } from '../../src/shared/codecs.js';
import { openBucket } from '../helpers/bucket.js';
import { tempDir } from '../helpers/temp-dir.js';
import { BucketMismatchError, HashKeyMaker, type LarderError } from '../../src/main/index.js';

const structured: Record<string, unknown> = {
  string: 'héllo',
  number: 1.5,
  nan: Number.NaN,
  bigint: 2n ** 60n,
  nested: { list: [1, 'two', null, true], deep: { x: [] } },
  undefinedValue: undefined,
  date: new Date(Date.UTC(2024, 1, 3)),
  map: new Map<unknown, unknown>([['a', 1], [2, { b: 3 }]]),
  set: new Set([1, 'x']),
  regexp: /ab+c/gi,
  bytes: new Uint8Array([1, 2, 3]),
  floats: new Float64Array([0.5, -2]),
};

const jsonSafe: Record<string, unknown> = {
  string: 'héllo',
  number: -1e-7,
  nested: { list: [1, 'two', null, true], deep: { x: [] } },
  empty: {},
};

const unserializable = {
  function: () => 1,
  symbol: Symbol('s'),
  functionInside: { handler: () => 1 },
};

const notJson = {
  ...unserializable,
  map: new Map([[1, 2]]),
  set: new Set([1]),
  undefined: undefined,
  undefinedField: { a: undefined },
  undefinedElement: [1, undefined],
  nan: Number.NaN,
  infinity: Number.POSITIVE_INFINITY,
  bigint: 1n,
  bytes: new Uint8Array([1]),
};

const cases = [
  { codec: 'v8', good: structured, bad: { ...unserializable, weakMap: new WeakMap(), promise: Promise.resolve(1) } },
  { codec: 'msgpack', good: structured, bad: unserializable },
  { codec: 'json', good: jsonSafe, bad: notJson },
] as const;

describe.each(cases)('the $codec codec', ({ codec, good, bad }) => {
  it('round-trips what it supports, through the disk and a reopen', async () => {
    const dir = tempDir();
    const writer = await openBucket(dir, undefined, { codec });
    for (const [name, value] of Object.entries(good)) writer.set(name, value);
    await writer.close();
    const reader = await openBucket(dir, undefined, { codec });
    for (const [name, value] of Object.entries(good)) {
      const read = reader.get(name);
      // Buffers come back as Uint8Array (v8, msgpack): same bytes.
      expect(read, name).toEqual(value);
      expect(reader.has(name), name).toBe(true);
    }
  });

  it('rejects what it does not support with ERR_NOT_SERIALIZABLE naming the key', async () => {
    const bucket = await openBucket(tempDir(), undefined, { codec });
    const errors: LarderError[] = [];
    bucket.cacher.on('error', (e: LarderError) => errors.push(e));
    for (const [name, value] of Object.entries(bad)) {
      bucket.set(name, value);
      await expect(bucket.sync(), name).rejects.toMatchObject({ code: 'ERR_NOT_SERIALIZABLE', keys: [bucket.key(name)] });
      // Still served from memory (never dropped silently) until the caller decides.
      expect(bucket.has(name), name).toBe(true);
      bucket.cacher.discard();
      expect(bucket.has(name), name).toBe(false);
    }
    expect(errors.map((e) => e.code)).toEqual(Object.keys(bad).map(() => 'ERR_NOT_SERIALIZABLE'));
  });
});

describe('a directory read with another codec or key maker', () => {
  it('fails at start with ERR_CODEC_MISMATCH naming both codecs', async () => {
    const dir = tempDir();
    const writer = await openBucket(dir, undefined, { codec: 'json' });
    writer.set('k', { a: 1 });
    await writer.close();
    const error = await openBucket(dir, undefined, { codec: 'v8' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BucketMismatchError);
    expect(error).toMatchObject({ code: 'ERR_CODEC_MISMATCH', stored: 'json (id 2)', configured: 'v8 (id 1)' });
    // The same codec with other options is the same format: allowed.
    const reader = await openBucket(dir, undefined, { codec: createJsonCodec({ reviver: (_k, v) => v }) });
    expect(reader.get('k')).toEqual({ a: 1 });
  });

  it('fails at start with ERR_KEY_MAKER_MISMATCH', async () => {
    const dir = tempDir();
    await (await openBucket(dir)).close();
    class UpperKeys extends HashKeyMaker {
      override readonly name = 'upper';
      override makeKey(value: unknown): string {
        return super.makeKey(value).toUpperCase();
      }
    }
    await expect(openBucket(dir, undefined, { keyMaker: new UpperKeys() as never })).rejects.toMatchObject({
      code: 'ERR_KEY_MAKER_MISMATCH',
      message: expect.stringMatching(/written with keyMaker canonical-sha256 but is opened with upper/),
    });
  });
});
