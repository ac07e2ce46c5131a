import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('bounded queue (invariant 6)', () => {
  it('set returns false at the high-water mark, then drain fires and drained() resolves', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files', highWaterMark: 10, maxPending: 20 });
    cache.pause();
    const results: boolean[] = [];
    for (let i = 0; i < 12; i++) results.push(cache.set(`k${i}`, i));
    expect(results.slice(0, 9).every(Boolean)).toBe(true);
    expect(results.slice(10)).toEqual([false, false]);
    // overwriting a queued key coalesces but still reports the pressure
    expect(cache.set('k0', 'again')).toBe(false);

    let drained = false;
    const draining = cache.drained().then(() => (drained = true));
    const drainEvent = new Promise<void>((resolve) => cache.once('drain', resolve));
    await new Promise((r) => setTimeout(r, 20));
    expect(drained).toBe(false);
    cache.resume();
    await Promise.all([draining, drainEvent]);
    expect(cache.pendingCount).toBeLessThan(10);
    await expect(cache.drained()).resolves.toBeUndefined();
  });

  it('throws ERR_QUEUE_FULL at maxPending without losing what was accepted', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files', highWaterMark: 5, maxPending: 8 });
    cache.pause();
    for (let i = 0; i < 8; i++) cache.set(`k${i}`, i);
    expect(() => cache.set('k8', 8)).toThrow(expect.objectContaining({ code: 'ERR_QUEUE_FULL' }));
    expect(cache.has('k8')).toBe(false);
    // coalescing into a queued key is not growth and is still accepted
    expect(cache.set('k0', 'new')).toBe(false);
    cache.resume();
    await cache.sync();
    expect(cache.get('k0')).toBe('new');
    expect(cache.get('k7')).toBe(7);
  });
});
