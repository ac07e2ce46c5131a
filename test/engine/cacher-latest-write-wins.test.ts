import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher } from '../../src/main/index.js';

describe('latest write wins, on disk too (invariant 2)', () => {
  it('keeps the last of thousands of rapid overwrites after reopen', async () => {
    const dir = tempDir();
    // Small batches and a short delay force many flushes to overlap the overwrites.
    const { cache } = await openCacher({ dir, store: 'files', batchSize: 7, flushDelay: 1, threads: 2 });
    const keys = 20;
    const last = new Map<string, number>();
    for (let round = 0; round < 300; round++) {
      for (let k = 0; k < keys; k++) {
        const value = round * keys + k;
        cache.set(`key-${k}`, value);
        last.set(`key-${k}`, value);
      }
      if (round % 10 === 0) await new Promise((r) => setImmediate(r)); // let batches go out mid-stream
    }
    await cache.sync();
    expect(cache.stats.batches).toBeGreaterThan(1);
    await cache.stop();

    const reopened = await Cacher.open({ dir, store: 'files' });
    try {
      for (const [key, value] of last) expect(reopened.get(key)).toBe(value);
    } finally {
      await reopened.stop();
    }
  });

  it('orders deletes with writes: set, delete, set lands the final set; set, delete lands nothing', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'files', batchSize: 1, flushDelay: 0 });
    for (let i = 0; i < 200; i++) {
      cache.set('a', i);
      cache.delete('a');
      cache.set('a', `final-${i}`);
      cache.set('b', i);
      cache.delete('b');
      if (i % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    await cache.stop();
    const reopened = await Cacher.open({ dir, store: 'files' });
    try {
      expect(reopened.get('a')).toBe('final-199');
      expect(reopened.has('b')).toBe(false);
    } finally {
      await reopened.stop();
    }
  });

  it('never has one key in two batches at once', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: 'files', batchSize: 1, flushDelay: 0, threads: 2 });
    let maxInFlight = 0;
    const poll = setInterval(() => (maxInFlight = Math.max(maxInFlight, cache.stats.inFlight)), 0);
    for (let i = 0; i < 500; i++) {
      cache.set('hot', i);
      if (i % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    await cache.sync();
    clearInterval(poll);
    // one key only: at most one entry can ever be in flight
    expect(maxInFlight).toBeLessThanOrEqual(1);
    expect(cache.stats.flushed).toBeGreaterThan(1);
  });
});
