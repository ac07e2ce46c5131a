import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashKey } from '../../src/shared/key-hash.js';
import { countingV8Codec, openBucket } from '../helpers/bucket.js';
import { manualClock } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Record files under a files-store directory, by the hash of the stored key, with their sizes. */
function recordFiles(dir: string): Map<string, number> {
  const files = new Map<string, number>();
  for (const shard of readdirSync(dir)) {
    if (!/^[0-9a-f]{2}$/.test(shard)) continue;
    for (const name of readdirSync(join(dir, shard))) files.set(`${shard}${name.replace(/\.rec$/, '')}`, statSync(join(dir, shard, name)).size);
  }
  return files;
}

describe('bucket.prune()', () => {
  it('removes exactly the expired entries and reports their count and bytes, without decoding values', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const codec = countingV8Codec();
    const bucket = await openBucket(dir, { minutes: 10 }, { codec, engine: { timers: clock.timers } });
    for (let i = 0; i < 5; i++) bucket.set(`short${i}`, 'x'.repeat(100 * (i + 1)), { seconds: 1 });
    for (let i = 0; i < 3; i++) bucket.set(`long${i}`, i);
    bucket.set('forever', 'f', { ttl: 0 });
    await bucket.sync();
    const before = recordFiles(dir);
    expect(before.size).toBe(9);
    const expiredBytes = [0, 1, 2, 3, 4].reduce((sum, i) => sum + (before.get(hashKey(bucket.key(`short${i}`))) ?? Number.NaN), 0);

    expect(await bucket.prune()).toEqual({ bytes: 0, count: 0 }); // nothing expired yet
    clock.advance(2_000);
    for (let i = 0; i < 5; i++) bucket.unload(`short${i}`); // on disk only: prune must find them there
    const result = await bucket.prune();
    expect(result).toEqual({ count: 5, bytes: expiredBytes });
    expect(codec.decodes).toBe(0);
    const after = recordFiles(dir);
    expect([...after.keys()].sort()).toEqual(['long0', 'long1', 'long2', 'forever'].map((k) => hashKey(bucket.key(k))).sort());
    expect(await bucket.prune()).toEqual({ bytes: 0, count: 0 });
    expect(bucket.get('long1')).toBe(1);
  });

  it('keeps a key rewritten after it expired', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const bucket = await openBucket(dir, undefined, { engine: { timers: clock.timers } });
    bucket.set('k', 'old', { seconds: 1 });
    await bucket.sync();
    clock.advance(5_000);
    bucket.set('k', 'new'); // expired on disk, but a newer write is pending
    expect(await bucket.prune()).toEqual({ bytes: 0, count: 0 });
    await bucket.sync();
    expect(recordFiles(dir).size).toBe(1);
    expect(bucket.get('k')).toBe('new');
  });

  it('sweeps expired entries in the background when sweepInterval is set', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const bucket = await openBucket(dir, undefined, { sweepInterval: 20, engine: { timers: clock.timers } });
    bucket.set('k', 'v', { ms: 10 });
    await bucket.sync();
    clock.advance(100);
    await expect.poll(() => recordFiles(dir).size, { timeout: 5_000 }).toBe(0);
  });
});
