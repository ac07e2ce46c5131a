import { expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { describeRedis, eventually, freePort, privateRedis, rawClient, testPrefix } from '../fixtures/redis-harness.js';
import { type LarderError, RedisStore, type WriteFailedError } from '../../src/main/index.js';

describeRedis('redis store: Redis down, then back', () => {
  it('queues writes while the server is stopped and lands every one after it is back', async () => {
    const server = await privateRedis();
    const prefix = testPrefix(server.url);
    const { cache, errors } = await openCacher({
      store: new RedisStore({ url: server.url, keyPrefix: prefix, connectTimeout: 200, commandTimeout: 1_000 }),
      flushDelay: 5,
    });
    for (let i = 0; i < 500; i++) cache.set(`before${i}`, i);
    await cache.sync();

    await server.stop();
    for (let i = 0; i < 500; i++) cache.set(`during${i}`, i);
    cache.delete('before0');
    await eventually(() => errors.some((e) => e.code === 'ERR_WRITE_FAILED'), 10_000, 'a write failure');
    const failure = errors.find((e) => e.code === 'ERR_WRITE_FAILED') as WriteFailedError;
    expect(['ECONNREFUSED', 'ECONNRESET']).toContain(failure.osCode);
    expect(errors.some((e) => e.code === 'ERR_REDIS_UNAVAILABLE')).toBe(true);
    // Reads fall back to memory; a barrier gives up after its timeout and loses nothing.
    expect(cache.get('during42')).toBe(42);
    // A barrier rejects at the first failed write, or after its timeout; either way nothing is dropped.
    await expect(cache.sync({ timeout: 300 })).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_(WRITE_FAILED|SYNC_TIMEOUT)$/) });
    expect(cache.pendingCount).toBeGreaterThanOrEqual(501);

    await server.start();
    // The connections come back on their own (reconnect backoff); a barrier that still meets a
    // failed retry rejects, so wait for one that finds everything written.
    await eventually(() => cache.sync({ timeout: 5_000 }).then(() => true, () => false), 30_000, 'every queued write landed');
    expect(cache.pendingCount).toBe(0);
    const raw = await rawClient(server.url);
    expect(await raw.exists(`${prefix}v:before0`)).toBe(0);
    const present = await raw.exists([...Array.from({ length: 499 }, (_, i) => `${prefix}v:before${i + 1}`), ...Array.from({ length: 500 }, (_, i) => `${prefix}v:during${i}`)]);
    expect(present).toBe(999);
  });

  it('starts against a closed port, serves from memory, and says why sync() cannot finish', async () => {
    const port = await freePort();
    const { cache, errors } = await openCacher({ store: new RedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'x:', connectTimeout: 200 }), flushDelay: 5 });
    expect(errors.map((e) => e.code)).toContain('ERR_REDIS_UNAVAILABLE');
    cache.set('a', 1);
    expect(cache.get('a')).toBe(1);
    expect(await cache.load('missing')).toBeUndefined();
    await expect(cache.sync({ timeout: 30_000 })).rejects.toMatchObject({ code: 'ERR_WRITE_FAILED', keys: ['a'], osCode: 'ECONNREFUSED' });
    expect(errors.filter((e): e is LarderError & WriteFailedError => e.code === 'ERR_WRITE_FAILED')[0]?.osCode).toBe('ECONNREFUSED');
    expect(cache.pendingCount).toBe(1);
    cache.discard();
  });

  it('authenticates with the password in the URL, and reports a wrong one', async () => {
    const server = await privateRedis(['--requirepass', 's3cret']);
    const good = `redis://:s3cret@127.0.0.1:${server.port}`;
    const prefix = testPrefix(good);
    const { cache, errors } = await openCacher({ store: new RedisStore({ url: good, keyPrefix: prefix }), flushDelay: 5 });
    cache.set('k', 'v');
    await cache.sync();
    expect(errors).toEqual([]);
    const raw = await rawClient(good);
    expect(await raw.exists(`${prefix}v:k`)).toBe(1);

    const bad = await openCacher({ store: new RedisStore({ url: `redis://:wrong@127.0.0.1:${server.port}`, keyPrefix: prefix, connectTimeout: 300 }), flushDelay: 5 });
    const unavailable = bad.errors.find((e) => e.code === 'ERR_REDIS_UNAVAILABLE');
    expect(unavailable?.message).toMatch(/WRONGPASS|NOAUTH|invalid username-password/i);
    expect(unavailable?.message).not.toContain('wrong@');
    // The writers' own connection says the same about a write.
    bad.cache.set('k', 'v');
    await expect(bad.cache.sync({ timeout: 10_000 })).rejects.toMatchObject({ code: 'ERR_WRITE_FAILED', osCode: 'WRONGPASS' });
    expect(bad.errors.some((e) => e.message.includes('wrong'))).toBe(false);
    bad.cache.discard();
  });
});
