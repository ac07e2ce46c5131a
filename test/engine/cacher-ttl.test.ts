import { describe, expect, it } from 'vitest';
import { manualClock, openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher } from '../../src/main/index.js';

describe('time to live and maxAge', () => {
  it('expires entries by the default ttl and by a per-entry ttl, in memory and on disk', async () => {
    const dir = tempDir();
    const clock = manualClock();
    const { cache } = await openCacher({ dir, store: 'files', ttl: 1_000, timers: clock.timers });
    cache.set('default', 1);
    cache.set('long', 2, { ttl: 10_000 });
    cache.set('forever', 3, { ttl: 0 });
    await cache.sync();
    clock.advance(999);
    expect(cache.get('default')).toBe(1);
    clock.advance(1);
    expect(cache.get('default')).toBeUndefined();
    expect(cache.has('default')).toBe(false);
    expect(cache.get('long')).toBe(2);
    await cache.stop();

    // expiry is stored with the record: a reopened cache agrees
    const reopened = await Cacher.open({ dir, store: 'files', timers: clock.timers });
    try {
      expect(reopened.get('default')).toBeUndefined();
      expect(reopened.get('long')).toBe(2);
      clock.advance(20_000);
      expect(reopened.get('long')).toBeUndefined();
      expect(reopened.get('forever')).toBe(3);
    } finally {
      await reopened.stop();
    }
  });

  it('get(key, { maxAge }) treats older entries as misses without deleting them', async () => {
    const clock = manualClock();
    const { cache } = await openCacher({ dir: tempDir(), store: 'files', timers: clock.timers });
    cache.set('k', 'v');
    clock.advance(5_000);
    expect(cache.get('k', { maxAge: 4_999 })).toBeUndefined();
    expect(cache.get('k', { maxAge: 5_000 })).toBe('v');
    expect(cache.get('k')).toBe('v');
  });

  it('rejects a bad per-entry ttl at once', async () => {
    const { cache } = await openCacher({ store: 'memory' });
    expect(() => cache.set('k', 1, { ttl: -1 })).toThrow(RangeError);
    expect(() => cache.set('k', 1, { ttl: Number.NaN })).toThrow(TypeError);
  });
});
