/**
 * `new Region({ store: cacher })` takes a Cacher as it is: the region wraps it (a CacherBackend;
 * a RedisBackend when the cacher's store is a RedisStore, for single-flight across processes).
 * Regression: a Cacher had to be wrapped by hand, and passing one threw a TypeError.
 */
import { describe, expect, it } from 'vitest';
import { CacherBackend, Region, RedisBackend, RedisStore } from '../../src/main/index.js';
import { openCacher } from '../helpers/engine.js';
import { describeRedis, REDIS_URL, testPrefix } from '../fixtures/redis-harness.js';

describe('Region over a Cacher given directly', () => {
  it('wraps it and stores through it', async () => {
    const { cache } = await openCacher({ store: 'memory' });
    const region = new Region({ store: cache, name: 'direct' });
    expect(region.store).toBeInstanceOf(CacherBackend);
    expect(await region.getOrCreate('k', () => ({ made: 1 }))).toEqual({ made: 1 });
    expect((cache.get('k') as { value: unknown }).value).toEqual({ made: 1 });
  });

  it('still refuses what is neither a Cacher nor a Backend, naming it', () => {
    expect(() => new Region({ store: { get() {} } as never })).toThrow(/store must be a Cacher or a Backend/);
  });
});

describeRedis('Region over a Cacher on the redis store', () => {
  it('wraps it in a RedisBackend (a cross-process lock)', async () => {
    const { cache } = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: testPrefix() }) });
    const region = new Region({ store: cache });
    expect(region.store).toBeInstanceOf(RedisBackend);
    expect(typeof region.store.mutex).toBe('function');
  });
});
