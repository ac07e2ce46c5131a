import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher } from '../../src/main/index.js';

describe('read-your-writes (invariant 1)', () => {
  it('returns the newest value while queued, in flight, written, and after reopen', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'files', flushDelay: 10_000 });

    cache.set('k', 'queued');
    expect(cache.stats.queued).toBe(1);
    expect(cache.get('k')).toBe('queued');

    const syncing = cache.sync();
    // sync() starts the flush on the next turn: wait until the batch is with a worker.
    await new Promise((r) => setImmediate(r));
    expect(cache.stats.inFlight).toBe(1);
    expect(cache.get('k')).toBe('queued');
    cache.set('k', 'newer-while-in-flight');
    expect(cache.get('k')).toBe('newer-while-in-flight');
    await syncing;
    expect(cache.get('k')).toBe('newer-while-in-flight');

    await cache.sync();
    expect(cache.stats.queued + cache.stats.inFlight).toBe(0);
    await cache.stop();

    const reopened = await Cacher.open({ dir, store: 'files' });
    try {
      expect(reopened.get('k')).toBe('newer-while-in-flight');
    } finally {
      await reopened.stop();
    }
  });

  it('a delete hides the old value at once, even before it reaches the store', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'files' });
    await cache.save('gone', 1);
    cache.pause();
    expect(cache.delete('gone')).toBe(true);
    expect(cache.get('gone')).toBeUndefined();
    expect(cache.has('gone')).toBe(false);
    expect(cache.delete('never-there')).toBe(false);
    cache.resume();
    await cache.sync();
    expect(cache.get('gone')).toBeUndefined();
  });

  it('reads back an evicted entry from the store', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'files', maxEntries: 10 });
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, { i });
    await cache.sync();
    await new Promise((r) => setImmediate(r));
    expect(cache.stats.entries).toBeLessThanOrEqual(10);
    expect(cache.stats.evictions).toBeGreaterThanOrEqual(90);
    for (let i = 0; i < 100; i++) expect(cache.get(`k${i}`)).toEqual({ i });
  });

  it('tells a stored undefined from a miss with has()', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files' });
    await cache.save('u', undefined);
    expect(cache.get('u')).toBeUndefined();
    expect(cache.has('u')).toBe(true);
    expect(cache.has('nothing')).toBe(false);
  });
});
