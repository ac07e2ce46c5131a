/** The engine pieces added for Bucket: Cacher.unload/prune, has() from metadata, strict codecs. */
import { describe, expect, it } from 'vitest';
import { createJsonCodec, createMsgpackCodec } from '../../src/shared/codecs.js';
import { countingV8Codec } from '../helpers/bucket.js';
import { openCacher, manualClock } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('Cacher.unload', () => {
  it('drops only clean entries; the next get reads the store', async () => {
    const codec = countingV8Codec();
    const { cache } = await openCacher({ dir: tempDir(), codec, threads: 1, flushDelay: 5 });
    cache.set('a', { n: 1 });
    expect(cache.unload('a')).toBe(false);
    expect(cache.get('a')).toEqual({ n: 1 }); // still in memory: never lost
    await cache.sync();
    expect(cache.unload('a')).toBe(true);
    expect(cache.stats.entries).toBe(0);
    expect(cache.get('a')).toEqual({ n: 1 });
    expect(codec.decodes).toBe(1);
    expect(cache.unload('never-set')).toBe(false);
  });

  it('never drops from a store that persists nothing', async () => {
    const { cache } = await openCacher({ store: 'memory' });
    cache.set('a', 1);
    await cache.sync();
    expect(cache.unload('a')).toBe(false);
    expect(cache.get('a')).toBe(1);
  });
});

describe('Cacher.has from metadata', () => {
  it('answers for stored, expired and missing keys without decoding', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const { cache: writer } = await openCacher({ dir, threads: 1, timers: clock.timers });
    writer.set('live', 'x');
    writer.set('dying', 'y', { ttl: 1000 });
    await writer.stop();
    const codec = countingV8Codec();
    const { cache } = await openCacher({ dir, codec, threads: 1, timers: clock.timers });
    expect([cache.has('live'), cache.has('dying'), cache.has('none')]).toEqual([true, true, false]);
    clock.advance(1001);
    expect(cache.has('dying')).toBe(false);
    expect(cache.has('live', { maxAge: 500 })).toBe(false);
    expect(codec.decodes).toBe(0);
  });
});

describe('Cacher.prune', () => {
  it('deletes expired records durably and reports them; a memory store has none', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const { cache } = await openCacher({ dir, threads: 1, flushDelay: 5, timers: clock.timers });
    cache.set('a', 1, { ttl: 10 });
    cache.set('b', 2);
    await cache.sync();
    clock.advance(20);
    const result = await cache.prune();
    expect(result.count).toBe(1);
    expect(result.bytes).toBeGreaterThan(36);
    expect(cache.pendingCount).toBe(0);
    const keys: string[] = [];
    for await (const key of cache.keys()) keys.push(key);
    expect(keys).toEqual(['b']);
    const memory = await openCacher({ store: 'memory' });
    expect(await memory.cache.prune()).toEqual({ bytes: 0, count: 0 });
  });
});

describe('codecs refuse what they would silently change', () => {
  it('json refuses Map, Set, undefined, functions, non-finite numbers, BigInt and typed arrays; strict: false allows them', () => {
    const json = createJsonCodec();
    for (const value of [new Map(), new Set(), undefined, { a: undefined }, [() => 1], Number.NaN, { n: Number.POSITIVE_INFINITY }, 1n, new Uint8Array([1]), new Float64Array(1)]) {
      expect(() => json.encode(value)).toThrow(TypeError);
    }
    expect(() => json.encode({ nested: { m: new Map() } })).toThrow(/Map at key "m"/);
    expect(json.decode(json.encode({ d: new Date(0), a: [1, null] }))).toEqual({ d: '1970-01-01T00:00:00.000Z', a: [1, null] });
    const loose = createJsonCodec({ strict: false });
    expect(loose.decode(loose.encode({ m: new Map(), u: undefined }))).toEqual({ m: {} });
    const withReplacer = createJsonCodec({ replacer: (_k, v) => (v instanceof Set ? [...v] : v) });
    expect(withReplacer.decode(withReplacer.encode({ s: new Set([1]) }))).toEqual({ s: [1] });
  });

  it('msgpack refuses functions instead of writing undefined', () => {
    const msgpack = createMsgpackCodec();
    expect(() => msgpack.encode({ f: () => 1 })).toThrow(/function cannot be serialized/);
    expect(msgpack.decode(msgpack.encode(new Map([[1, new Set([2])]])))).toEqual(new Map([[1, new Set([2])]]));
  });
});
