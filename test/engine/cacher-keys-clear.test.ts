import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher } from '../../src/main/index.js';

async function allKeys(cache: Cacher): Promise<string[]> {
  const out: string[] = [];
  for await (const k of cache.keys()) out.push(k);
  return out.sort();
}

describe('keys(), clear() and the memory store', () => {
  it('lists keys from memory and the store, without pending deletes', async () => {
    const dir = tempDir();
    const first = await Cacher.open({ dir, store: 'files' });
    first.set('on-disk-1', 1);
    first.set('on-disk-2', 2);
    await first.stop();
    const { cache } = await openCacher({ dir, store: 'files' });
    cache.set('in-memory', 3);
    cache.delete('on-disk-2');
    expect(await allKeys(cache)).toEqual(['in-memory', 'on-disk-1']);
  });

  it('clear() empties memory and the store', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'files' });
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, i);
    await cache.sync();
    cache.set('queued', 1);
    await cache.clear();
    expect(await allKeys(cache)).toEqual([]);
    expect(cache.get('k1')).toBeUndefined();
    await cache.stop();
    const reopened = await Cacher.open({ dir, store: 'files' });
    try {
      expect(await allKeys(reopened)).toEqual([]);
    } finally {
      await reopened.stop();
    }
  });

  it('the memory store keeps values in memory only and syncs at once', async () => {
    const { cache } = await openCacher({ store: 'memory' });
    cache.set('a', { x: 1 });
    cache.set('fn', () => 1); // never encoded: nothing persists, so nothing to report
    await cache.sync();
    expect(cache.get('a')).toEqual({ x: 1 });
    expect(cache.stats.failed).toBe(0);
    expect(await cache.load('a')).toEqual({ x: 1 });
    cache.delete('a');
    await cache.sync();
    expect(cache.has('a')).toBe(false);
    expect(await allKeys(cache)).toEqual(['fn']);
  });
});
