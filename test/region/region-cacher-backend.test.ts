import { describe, expect, it } from 'vitest';
import { manualClock, openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { type CachedEntry, CacherBackend, NO_VALUE, Region } from '../../src/main/index.js';

describe('CacherBackend over a real Cacher with the files store', () => {
  it('single-flights creation, persists entries with their metadata, and reads them back after a restart', async () => {
    const dir = tempDir();
    const { cache, errors } = await openCacher({ dir, threads: 1 });
    const region = new Region({ store: new CacherBackend(cache), ttl: 3_600_000 });
    let calls = 0;
    const values = await Promise.all(
      Array.from({ length: 25 }, () =>
        region.getOrCreate('report:2024', async () => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { rows: [1, 2, 3], title: 'yearly' };
        }),
      ),
    );
    expect(calls).toBe(1);
    expect(values.every((v) => v === values[0])).toBe(true);
    await region.setMany([['a', 'A'], ['b', 'B']]);
    await region.delete('b');
    const before = (await region.getEntry('report:2024')) as CachedEntry;
    await cache.stop();

    const { cache: reopened } = await openCacher({ dir, threads: 1 });
    const again = new Region({ store: new CacherBackend(reopened) });
    expect(await again.getEntry('report:2024')).toEqual(before);
    expect(await again.getMany(['a', 'b'])).toEqual(['A', NO_VALUE]);
    const keys: string[] = [];
    for await (const key of again.store.keys('report:')) keys.push(key);
    expect(keys).toEqual(['report:2024']);
    expect(errors).toEqual([]);
  });

  it('reads values that are not region entries as misses, and clears the cacher', async () => {
    const { cache } = await openCacher({ dir: tempDir(), threads: 1 });
    const region = new Region({ store: new CacherBackend(cache) });
    cache.set('plain', 'written by other code');
    cache.set('lookalike', { value: 1, createdAt: 'yesterday' });
    expect(await region.getMany(['plain', 'lookalike'])).toEqual([NO_VALUE, NO_VALUE]);
    expect(await region.getOrCreate('plain', () => 'region value')).toBe('region value');
    await region.clear();
    expect(cache.get('plain')).toBeUndefined();
  });

  it('keeps an expired entry for keepStale ms so it can be served stale, then lets the engine drop it', async () => {
    const clock = manualClock();
    const { cache } = await openCacher({ store: 'memory', timers: clock.timers });
    const region = new Region({ store: new CacherBackend(cache, { keepStale: 500 }), ttl: 1000, timers: clock.timers });
    await region.set('k', 'v');
    clock.advance(1200);
    expect(await region.get('k')).toBe(NO_VALUE);
    expect(await region.get('k', { ignoreExpiry: true })).toBe('v');
    clock.advance(400);
    expect(await region.get('k', { ignoreExpiry: true })).toBe(NO_VALUE);
    expect(() => new CacherBackend(cache, { keepStale: -1 })).toThrow(RangeError);
    expect(() => new CacherBackend({} as never)).toThrow(/cacher must be a Cacher/);
  });
});
