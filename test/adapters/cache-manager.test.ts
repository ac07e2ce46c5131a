/**
 * cache-manager 7 with `new Keyv({ store: new KeyvLarder(...) })` as its store: set, get, ttl,
 * wrap, and values that outlive the cacher they were written through.
 */
import { describe, expect, it } from 'vitest';
import { Keyv } from 'keyv';
import { createCache } from 'cache-manager';
import { KeyvLarder } from '../../src/main/adapters/index.js';
import { manualClock, openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { closeAfter } from './adapter-helpers.js';

describe('cache-manager over KeyvLarder', () => {
  it('sets, gets, deletes, and reads back after its cacher stopped and a new one opened the store', async () => {
    const dir = tempDir();
    const first = createCache({ stores: [new Keyv({ store: new KeyvLarder({ dir }) })] });
    expect(await first.set('user:1', { name: 'Ada', roles: ['admin'] })).toEqual({ name: 'Ada', roles: ['admin'] });
    await first.mset([
      { key: 'user:2', value: { name: 'Grace' } },
      { key: 'gone', value: { name: 'nobody' } },
    ]);
    expect(await first.get('user:1')).toEqual({ name: 'Ada', roles: ['admin'] });
    expect(await first.mget(['user:1', 'user:2', 'nobody'])).toEqual([{ name: 'Ada', roles: ['admin'] }, { name: 'Grace' }, undefined]);
    expect(await first.del('gone')).toBe(true);
    // The adapter owns its cacher: disconnect stops it, writing everything queued first.
    await first.disconnect();

    const second = closeAfter(createCache({ stores: [new Keyv({ store: new KeyvLarder({ dir }) })] }), (c) => c.disconnect());
    expect(await second.get('user:1')).toEqual({ name: 'Ada', roles: ['admin'] });
    expect(await second.get('user:2')).toEqual({ name: 'Grace' });
    expect(await second.get('gone')).toBeUndefined();
  });

  it('passes the ttl to larder, which expires the entry by its own clock', async () => {
    const clock = manualClock();
    const { cache: cacher } = await openCacher({ dir: tempDir(), timers: clock.timers });
    const cache = createCache({ stores: [new Keyv({ store: new KeyvLarder(cacher) })] });
    const before = Date.now();
    await cache.set('session', 'token', 60_000);
    const expires = await cache.ttl('session');
    expect(expires).toBeGreaterThanOrEqual(before + 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60_000);
    // Keyv namespaces the key; larder holds it with the expiry the ttl gave.
    expect(cacher.has('keyv:session')).toBe(true);
    clock.advance(60_001);
    // Keyv's own clock (Date.now) has not reached the expiry: the miss comes from larder.
    expect(cacher.has('keyv:session')).toBe(false);
    expect(await cache.get('session')).toBeUndefined();
  });

  it('wrap computes once, serves the stored value, and computes again once larder expired it', async () => {
    const clock = manualClock();
    const { cache: cacher } = await openCacher({ dir: tempDir(), timers: clock.timers });
    const cache = createCache({ stores: [new Keyv({ store: new KeyvLarder(cacher) })] });
    let calls = 0;
    const load = async () => ({ n: ++calls });
    expect(await cache.wrap('report', load, 10_000)).toEqual({ n: 1 });
    expect(await cache.wrap('report', load, 10_000)).toEqual({ n: 1 });
    expect(calls).toBe(1);
    await cacher.sync();
    // Written, then dropped from memory: the next wrap reads it from the log store.
    expect(cacher.unload('keyv:report')).toBe(true);
    expect(await cache.wrap('report', load, 10_000)).toEqual({ n: 1 });
    clock.advance(10_001);
    expect(await cache.wrap('report', load, 10_000)).toEqual({ n: 2 });
    expect(calls).toBe(2);
  });
});
