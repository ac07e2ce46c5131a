import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher, type LarderError } from '../../src/main/index.js';

describe('lifecycle (invariant 8) and watchdogs (invariant 7)', () => {
  it('refuses writes before start and after stop instead of dropping them', async () => {
    const cache = new Cacher({ dir: tempDir(), store: 'files' });
    expect(cache.isStarted).toBe(false);
    expect(() => cache.set('k', 1)).toThrow(expect.objectContaining({ code: 'ERR_STOPPED' }));
    await cache.start();
    await cache.start(); // idempotent
    expect(cache.isStarted).toBe(true);
    cache.set('k', 1);
    await cache.stop();
    await cache.stop(); // idempotent
    expect(cache.isStarted).toBe(false);
    for (const action of [() => cache.set('k', 2), () => cache.push('k', 2), () => cache.delete('k'), () => cache.get('k')]) {
      expect(action).toThrow(expect.objectContaining({ code: 'ERR_STOPPED' }));
    }
    await expect(cache.save('k', 3)).rejects.toMatchObject({ code: 'ERR_STOPPED' });
  });

  it('stop() flushes what was queued; a restarted cacher reads it back', async () => {
    const dir = tempDir();
    const cache = await Cacher.open({ dir, store: 'files', flushDelay: 60_000 });
    for (let i = 0; i < 50; i++) cache.push(`k${i}`, i);
    await cache.stop();
    await cache.start();
    try {
      for (let i = 0; i < 50; i++) expect(cache.pop(`k${i}`)).toBe(i);
    } finally {
      await cache.stop();
    }
  });

  it('sync() while paused times out with ERR_SYNC_TIMEOUT naming the keys, and keeps them queued', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files' });
    cache.pause();
    cache.set('a', 1);
    cache.set('b', 2);
    const error = (await cache.sync({ timeout: 50 }).catch((e: unknown) => e)) as LarderError;
    expect(error.code).toBe('ERR_SYNC_TIMEOUT');
    expect([...error.keys].sort()).toEqual(['a', 'b']);
    expect(cache.stats.queued).toBe(2);
    cache.resume();
    await cache.sync({ timeout: 10_000 });
    expect(cache.stats.queued).toBe(0);
  });

  it('stop() that times out rejects with ERR_STOP_TIMEOUT and leaves the cacher running with its data', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files' });
    await cache.paused(async () => {
      cache.set('x', 'kept');
      const error = (await cache.stop({ timeout: 30 }).catch((e: unknown) => e)) as LarderError;
      expect(error.code).toBe('ERR_STOP_TIMEOUT');
      expect(error.keys).toEqual(['x']);
      expect(cache.isStarted).toBe(true);
      expect(cache.get('x')).toBe('kept');
      cache.set('y', 'still accepted');
    });
    await cache.stop({ timeout: 10_000 });
    expect(cache.isStarted).toBe(false);
  });

  it('save() resolves only once its own write is done', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files', flushDelay: 60_000 });
    let flushedBefore = -1;
    cache.once('flush', () => (flushedBefore = cache.stats.flushed));
    await cache.save('now', 42);
    expect(flushedBefore).toBeGreaterThanOrEqual(1);
    expect(cache.stats.queued + cache.stats.inFlight).toBe(0);
  });

  it('Cacher.shared() is one instance per process until stopped; Symbol.asyncDispose stops', async () => {
    const dir = tempDir();
    const a = Cacher.shared({ dir, store: 'files' });
    expect(Cacher.shared()).toBe(a);
    expect(() => Cacher.shared({ dir, store: 'files' })).toThrow(TypeError);
    await a.start();
    await a[Symbol.asyncDispose]();
    expect(a.isStarted).toBe(false);
    const b = Cacher.shared({ store: 'memory' });
    expect(b).not.toBe(a);
  });
});
