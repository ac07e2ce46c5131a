/**
 * Compaction of the `log` store: live records survive it and a reopen after it, expired
 * entries and overwritten versions are dropped, writes made while it runs win, and a
 * compaction interrupted before or after its commit leaves the store as if it had not run or
 * had completed.
 */
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecord, RecordKind } from '../../src/shared/format/record.js';
import { v8Codec } from '../../src/shared/codecs.js';
import { manualClock, openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { sortedKeys } from '../fixtures/log-context.js';
import { LogStore } from '../../src/main/index.js';

const segments = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
const small = { segmentSize: 4096, autoCompact: false };

describe('log store compaction', () => {
  it('keeps the latest version of every key, frees dead bytes, and reopens the same', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: new LogStore(dir, small), threads: 1, batchSize: 20 });
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 40; i++) cache.set(`k${i}`, { round, i, pad: 'p'.repeat(50) });
      await cache.sync();
    }
    cache.delete('k0');
    await cache.sync();
    const before = cache.storeStats;
    expect(before?.deadBytes).toBeGreaterThan(0);
    const report = await cache.compact();
    expect(report?.segments).toBeGreaterThan(1);
    expect(report?.recordsKept).toBeGreaterThan(0);
    const after = cache.storeStats;
    expect(after?.totalBytes).toBeLessThan(before?.totalBytes as number);
    expect(after?.compactions).toBe(1);
    await cache.stop();

    const again = await openCacher({ dir, store: new LogStore(dir, small), threads: 1 });
    expect(again.cache.get('k0')).toBeUndefined();
    for (let i = 1; i < 40; i++) expect(again.cache.get(`k${i}`)).toEqual({ round: 4, i, pad: 'p'.repeat(50) });
    expect((await sortedKeys(again.cache)).length).toBe(39);
    expect((await again.cache.verify())?.problems).toEqual([]);
  });

  it('drops expired entries', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const { cache } = await openCacher({ dir, store: new LogStore(dir, small), threads: 1, timers: clock.timers });
    cache.set('short', 'lived', { ttl: 1000 });
    cache.set('long', 'lived');
    await cache.sync();
    await cache.stop(); // seals the segment so it can be compacted
    const again = await openCacher({ dir, store: new LogStore(dir, small), threads: 1, timers: clock.timers });
    clock.advance(2000);
    const report = await again.cache.compact();
    expect(report?.expiredDropped).toBe(1);
    expect(report?.recordsKept).toBe(1);
    expect(again.cache.storeStats?.keys).toBe(1);
    await again.cache.stop();
    const third = await openCacher({ dir, store: new LogStore(dir, small), threads: 1, timers: manualClock(0).timers });
    // Even with a clock from before the expiry, the dropped record is gone from disk.
    expect(third.cache.get('short')).toBeUndefined();
    expect(third.cache.get('long')).toBe('lived');
  });

  it('lets writes made during a compaction win over the copies it makes', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: new LogStore(dir, small), threads: 2, batchSize: 10 });
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, `old${i}`);
    await cache.sync();
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, `mid${i}`);
    await cache.sync();
    const compaction = cache.compact();
    for (let i = 0; i < 100; i += 3) cache.set(`k${i}`, `new${i}`);
    await Promise.all([compaction, cache.sync()]);
    await cache.stop();
    const again = await openCacher({ dir, store: new LogStore(dir, small), threads: 1 });
    for (let i = 0; i < 100; i++) expect(again.cache.get(`k${i}`)).toBe(i % 3 === 0 ? `new${i}` : `mid${i}`);
  });

  it('ignores a compaction that did not commit and completes one that did', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: new LogStore(dir, small), threads: 1, batchSize: 10 });
    for (let i = 0; i < 30; i++) cache.set(`k${i}`, `v1-${i}`);
    await cache.sync();
    for (let i = 0; i < 30; i++) cache.set(`k${i}`, `v2-${i}`);
    cache.delete('k29');
    await cache.sync();
    await cache.stop();
    const original = segments(dir);
    const stale = encodeRecord('k0', v8Codec.encode('resurrected'), { kind: RecordKind.put, codec: v8Codec.id, createdAt: 1, expiresAt: 0 });

    // Killed before the commit: an output still named .tmp, holding a stale value.
    writeFileSync(join(dir, `${original.at(-1)?.slice(0, 8)}-0001.log.tmp`), stale);
    const uncommitted = await openCacher({ dir, store: new LogStore(dir, small), threads: 1 });
    expect(uncommitted.cache.get('k0')).toBe('v2-0');
    expect(readdirSync(dir).some((n) => n.endsWith('.tmp'))).toBe(false);
    await uncommitted.cache.compact();
    await uncommitted.cache.stop();
    const compacted = segments(dir);
    expect(compacted).toHaveLength(1);

    // Killed after the commit, before removing its inputs: an input left below the output.
    copyFileSync(join(dir, compacted[0] as string), join(dir, '00000000-0000.log'));
    // Its copy of k29 predates the delete, which the output no longer carries: it must not come back.
    writeFileSync(join(dir, '00000000-0001.log'), encodeRecord('k29', v8Codec.encode('resurrected'), { kind: RecordKind.put, codec: v8Codec.id, createdAt: 1, expiresAt: 0 }));
    const committed = await openCacher({ dir, store: new LogStore(dir, small), threads: 1 });
    expect(segments(dir)).toEqual(compacted);
    expect(committed.cache.get('k0')).toBe('v2-0');
    expect(committed.cache.get('k29')).toBeUndefined();
    expect((await sortedKeys(committed.cache)).length).toBe(29);
  });
});
