import { expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { decodeRecord, RecordKind } from '../../src/shared/format/record.js';
import { REDIS_URL, describeRedis, eventually, rawClient, testPrefix } from '../fixtures/redis-harness.js';
import { RedisBackend, RedisStore } from '../../src/main/index.js';

describeRedis('redis store: write-behind round trip', () => {
  it('writes framed records that a second cacher reads back; deletes remove them', async () => {
    const prefix = testPrefix();
    const writer = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }) });
    for (let i = 0; i < 250; i++) writer.cache.set(`k${i}`, { i, text: `value ${i}` });
    writer.cache.set('gone', 'soon deleted');
    await writer.cache.sync();
    writer.cache.delete('gone');
    await writer.cache.sync();
    expect(writer.errors).toEqual([]);

    const raw = await rawClient();
    const bytes = await raw.withTypeMapping({ [36]: Buffer }).get(`${prefix}v:k7`);
    const decoded = decodeRecord(bytes as unknown as Buffer);
    expect(decoded.status).toBe('ok');
    if (decoded.status === 'ok') {
      expect(decoded.record.key).toBe('k7');
      expect(decoded.record.kind).toBe(RecordKind.put);
    }
    expect(await raw.exists(`${prefix}v:gone`)).toBe(0);

    const reader = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }) });
    expect(reader.cache.get('k7')).toBeUndefined(); // no synchronous read over a network
    expect(await reader.cache.load('k7')).toEqual({ i: 7, text: 'value 7' });
    expect(await reader.cache.load('gone')).toBeUndefined();
    const keys: string[] = [];
    for await (const key of reader.cache.keys()) keys.push(key);
    expect(keys.sort()).toEqual(Array.from({ length: 250 }, (_, i) => `k${i}`).sort());
  });

  it('reads a damaged value as a miss and reports it', async () => {
    const prefix = testPrefix();
    const { cache, errors } = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }) });
    const raw = await rawClient();
    cache.set('a', 'fine');
    await cache.sync();
    const good = (await raw.withTypeMapping({ [36]: Buffer }).get(`${prefix}v:a`)) as unknown as Buffer;
    good.writeUInt8(good.readUInt8(good.length - 1) ^ 0xff, good.length - 1);
    await raw.set(`${prefix}v:b`, good);
    await raw.set(`${prefix}v:c`, 'not a record at all');
    expect(await cache.load('b')).toBeUndefined();
    expect(await cache.load('c')).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['ERR_CORRUPT_RECORD', 'ERR_CORRUPT_RECORD']);
  });

  it('sends TTLs to the server, which expires the keys itself', async () => {
    const prefix = testPrefix();
    const { cache } = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }) });
    const raw = await rawClient();
    cache.set('short', 1, { ttl: 400 });
    cache.set('long', 2, { ttl: 60_000 });
    cache.set('forever', 3);
    await cache.sync();
    const pttl = await raw.pTTL(`${prefix}v:short`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(400);
    expect(await raw.pTTL(`${prefix}v:long`)).toBeGreaterThan(400);
    expect(await raw.pTTL(`${prefix}v:forever`)).toBe(-1);
    await eventually(async () => (await raw.exists(`${prefix}v:short`)) === 0, 5_000, 'server-side expiry');
    expect(await raw.exists(`${prefix}v:long`)).toBe(1);
  });

  it('clear() removes every value under the prefix and nothing else', async () => {
    const prefix = testPrefix();
    const other = testPrefix();
    const a = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }) });
    const b = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: other }) });
    for (let i = 0; i < 30; i++) a.cache.set(`k${i}`, i);
    b.cache.set('kept', true);
    await Promise.all([a.cache.sync(), b.cache.sync()]);
    await a.cache.clear();
    const raw = await rawClient();
    expect(await raw.keys(`${prefix}v:*`)).toEqual([]);
    expect(await raw.exists(`${other}v:kept`)).toBe(1);
  });

  it('validates its options at construction', () => {
    expect(() => new RedisStore({ url: 'http://localhost' })).toThrow(/url must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => new RedisStore({ commandTimeout: -1 })).toThrow(RangeError);
    expect(() => new RedisStore({ lockLease: 0 })).toThrow(/lockLease must be more than 0/);
    expect(() => new RedisStore({ keyPrefix: 3 as unknown as string })).toThrow(/keyPrefix must be a string/);
  });

  it('RedisBackend refuses a cacher on another store', async () => {
    const { cache } = await openCacher({ store: 'memory' });
    expect(() => new RedisBackend(cache)).toThrow(/cacher must use a RedisStore/);
  });
});
