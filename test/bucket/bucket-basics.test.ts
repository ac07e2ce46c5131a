import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countingV8Codec, openBucket } from '../helpers/bucket.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Bucket, HashKeyMaker } from '../../src/main/index.js';

describe('Bucket basics', () => {
  it('creates its directory recursively and records its codec and key maker', async () => {
    const dir = join(tempDir(), 'a', 'b', 'c');
    await openBucket(dir);
    expect(existsSync(dir)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'bucket.json'), 'utf8'))).toMatchObject({ codec: { id: 1, name: 'v8' }, keyMaker: 'canonical-sha256' });
  });

  it('get/set/has/delete synchronously, keyed by any value', async () => {
    const bucket = await openBucket(tempDir());
    const key = { user: 7, tags: new Set(['a', 'b']) };
    expect(bucket.get(key)).toBeUndefined();
    expect(bucket.has(key)).toBe(false);
    bucket.set(key, { name: 'Ada' });
    expect(bucket.get({ tags: new Set(['b', 'a']), user: 7 })).toEqual({ name: 'Ada' });
    expect(bucket.has(key)).toBe(true);
    expect(bucket.delete(key)).toBe(true);
    expect(bucket.delete(key)).toBe(false);
    expect(bucket.has(key)).toBe(false);
    expect(bucket.get(key)).toBeUndefined();
  });

  it('persists across a reopen, and a delete persists too', async () => {
    const dir = tempDir();
    const first = await openBucket(dir);
    first.set(['a', 1], 'one');
    first.set(['b', 2], 'two');
    await first.sync();
    first.delete(['b', 2]);
    await first.close();
    const second = await openBucket(dir);
    expect(second.get(['a', 1])).toBe('one');
    expect(second.has(['b', 2])).toBe(false);
    expect(second.delete(['a', 1])).toBe(true);
  });

  it('has() answers from metadata without decoding the value', async () => {
    const dir = tempDir();
    const writer = await openBucket(dir);
    writer.set('k', { big: 'x'.repeat(1000) });
    await writer.close();
    const codec = countingV8Codec();
    const reader = await openBucket(dir, undefined, { codec });
    expect(reader.has('k')).toBe(true);
    expect(reader.has('missing')).toBe(false);
    expect(codec.decodes).toBe(0);
    expect(reader.get('k')).toEqual({ big: 'x'.repeat(1000) });
    expect(codec.decodes).toBe(1);
  });

  it('unload() drops a written key from memory and the next get reads it from disk', async () => {
    const codec = countingV8Codec();
    const bucket = await openBucket(tempDir(), undefined, { codec });
    bucket.set('k', [1, 2, 3]);
    expect(bucket.unload('k')).toBe(false); // not written yet: kept
    await bucket.sync();
    expect(bucket.unload('k')).toBe(true);
    expect(bucket.unload('k')).toBe(false); // no longer in memory
    expect(bucket.cacher.stats.entries).toBe(0);
    expect(codec.decodes).toBe(0);
    expect(bucket.get('k')).toEqual([1, 2, 3]);
    expect(codec.decodes).toBe(1);
  });

  it('can switch to the non-streaming key maker, which makes the same keys', async () => {
    const dir = tempDir();
    const streaming = await openBucket(dir); // the default key maker streams
    streaming.set({ q: 'x' }, 1);
    await streaming.close();
    const plainAgain = await openBucket(dir, undefined, { keyMaker: new HashKeyMaker() });
    expect(plainAgain.get({ q: 'x' })).toBe(1);
  });

  it('a memory store bucket needs no directory', async () => {
    const dir = join(tempDir(), 'never');
    const bucket = await openBucket(dir, undefined, { store: 'memory' });
    bucket.set(1, 2);
    expect(bucket.get(1)).toBe(2);
    expect(bucket.unload(1)).toBe(false); // memory is its only copy
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses use after close, and Bucket.open starts it', async () => {
    const bucket = await Bucket.open(tempDir(), undefined, { engine: { threads: 1 } });
    bucket.set('a', 1);
    await bucket.close();
    await bucket.close();
    expect(() => bucket.set('a', 2)).toThrow(expect.objectContaining({ code: 'ERR_STOPPED' }));
    await expect(bucket.start()).rejects.toMatchObject({ code: 'ERR_STOPPED' });
  });
});
