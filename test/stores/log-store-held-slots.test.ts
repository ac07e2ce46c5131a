/**
 * Through the engine: the `log` store keeps the index slot of a key on the engine's entry while
 * the entry is in memory, and takes it back when the engine drops the entry (log-index.ts).
 * Every way an entry leaves memory — eviction, unload, expiry, discard, invalidation by a delete
 * — must leave the key readable from the store with its latest written value.
 */
import { describe, expect, it } from 'vitest';
import { manualClock, openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { LogStore } from '../../src/main/index.js';

const value = (i: number, round = 0): string => `v${round}:${i}:${'x'.repeat(40)}`;

describe('log store slots kept on the engine entries', () => {
  it('evicted entries read back from the store (maxEntries)', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'log', threads: 1, batchSize: 50, maxEntries: 20 });
    for (let i = 0; i < 500; i++) cache.set(`k${i}`, value(i));
    await cache.sync();
    for (let i = 0; i < 500; i++) cache.set(`k${i}`, value(i, 1)); // second version, after eviction began
    await cache.sync();
    expect(cache.stats.evictions).toBeGreaterThan(0);
    for (let i = 0; i < 500; i++) expect(cache.get(`k${i}`)).toBe(value(i, 1));
    expect(cache.storeStats?.keys).toBe(500);
  });

  it('unload, read back, write again, unload: the newest value each time, one index entry per key', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'log', threads: 1 });
    cache.set('a', 'one');
    await cache.sync();
    expect(cache.unload('a')).toBe(true);
    expect(cache.get('a')).toBe('one'); // read back: its slot is in the store's own map now
    cache.set('a', 'two');
    await cache.sync();
    expect(cache.unload('a')).toBe(true);
    expect(cache.get('a')).toBe('two');
    const stats = cache.storeStats;
    expect(stats?.keys).toBe(1);
    expect(stats?.liveBytes).toBeLessThan(stats?.totalBytes as number); // 'one' is dead bytes now
  });

  it('a delete that lands frees the key; stats and keys() agree', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'log', threads: 1 });
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, value(i));
    await cache.sync();
    cache.delete('k3');
    await cache.sync();
    for (let i = 0; i < 10; i++) cache.unload(`k${i}`);
    expect(cache.get('k3')).toBeUndefined();
    expect(cache.storeStats?.keys).toBe(9);
    const keys: string[] = [];
    for await (const key of cache.keys()) keys.push(key);
    expect(keys.sort()).toEqual(['k0', 'k1', 'k2', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']);
  });

  it('an entry expired in memory leaves the store answering a miss', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const { cache } = await openCacher({ dir, store: 'log', threads: 1, timers: clock.timers });
    cache.set('short', 'lived', { ttl: 1000 });
    cache.set('long', 'lived');
    await cache.sync();
    clock.advance(2000);
    expect(cache.get('short')).toBeUndefined(); // dropped from memory here
    expect(cache.get('short')).toBeUndefined(); // and the store's copy is expired too
    cache.unload('long');
    expect(cache.get('long')).toBe('lived');
  });

  it('discard() of an entry in flight drops it after it lands, and the landed value reads back', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'log', threads: 1 });
    cache.set('a', 'first');
    await cache.sync();
    cache.set('a', 'second');
    const synced = cache.sync();
    cache.discard(); // 'second' may be queued or in flight: either way, memory falls back to the store
    await synced.catch(() => {});
    await cache.sync();
    const read = cache.get('a');
    expect(['first', 'second']).toContain(read);
    expect(cache.storeStats?.keys).toBe(1);
  });

  it('compaction moves records of keys held in memory, and they read back after eviction and after reopen', async () => {
    const dir = tempDir();
    const small = { segmentSize: 4096, autoCompact: false };
    const { cache } = await openCacher({ dir, store: new LogStore(dir, small), threads: 1, batchSize: 20 });
    // Odd keys are written once (their records stay live in old segments), even keys four times.
    const last = (i: number): number => (i % 2 === 0 ? 3 : 0);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 60; i++) if (round === 0 || i % 2 === 0) cache.set(`k${i}`, value(i, round));
      await cache.sync();
    }
    const report = await cache.compact();
    expect(report?.recordsKept).toBeGreaterThanOrEqual(30);
    for (let i = 0; i < 60; i++) expect(cache.unload(`k${i}`)).toBe(true);
    for (let i = 0; i < 60; i++) expect(cache.get(`k${i}`)).toBe(value(i, last(i)));
    expect((await cache.verify())?.problems).toEqual([]);
    await cache.stop();
    const again = await openCacher({ dir, store: new LogStore(dir, small), threads: 1 });
    for (let i = 0; i < 60; i++) expect(again.cache.get(`k${i}`)).toBe(value(i, last(i)));
  });

  it('clear() while entries hold slots: nothing reads back, and new writes index afresh', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'log', threads: 1 });
    for (let i = 0; i < 30; i++) cache.set(`k${i}`, value(i));
    await cache.sync();
    await cache.clear();
    for (let i = 0; i < 30; i++) expect(cache.get(`k${i}`)).toBeUndefined();
    expect(cache.storeStats?.keys).toBe(0);
    cache.set('k1', 'after');
    await cache.sync();
    cache.unload('k1');
    expect(cache.get('k1')).toBe('after');
    expect(cache.storeStats?.keys).toBe(1);
  });
});
