import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('discard()', () => {
  it('drops queued writes, returns how many, and falls back to what the store holds', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files' });
    await cache.save('k', 'on disk');
    cache.pause();
    cache.set('k', 'queued');
    cache.set('new', 'queued too');
    cache.delete('also');
    expect(cache.discard()).toBe(3);
    expect(cache.stats.queued).toBe(0);
    expect(cache.get('k')).toBe('on disk');
    expect(cache.has('new')).toBe(false);
    cache.resume();
    await cache.sync();
    expect(cache.get('k')).toBe('on disk');
  });

  it('releases a sync() waiting on discarded writes', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files' });
    cache.pause();
    cache.set('a', 1);
    const syncing = cache.sync({ timeout: 5_000 });
    cache.discard();
    await expect(syncing).resolves.toBeUndefined();
  });
});
