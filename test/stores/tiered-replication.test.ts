import { expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeRedis, eventually, privateRedis, rawClient, REDIS_URL, testPrefix } from '../fixtures/redis-harness.js';
import { replicationRows } from '../../src/main/cli/commands/inspect-replication.js';
import { Cacher, LogStore, RedisStore, TieredStore, type LagInfo, type TieredStoreOptions, type TieredStoreStats } from '../../src/main/index.js';

function tiered(dir: string, url: string, keyPrefix: string, extra: Partial<TieredStoreOptions> = {}): TieredStore {
  return new TieredStore({ local: new LogStore(dir), remote: new RedisStore({ url, keyPrefix, connectTimeout: 2_000, commandTimeout: 2_000 }), ...extra });
}

const replication = (cache: Cacher) => (cache.storeStats as TieredStoreStats).replication;

describeRedis('tiered store: local log first, Redis behind', () => {
  it("sync({ tier: 'remote' }) resolves once Redis holds every write, deletes included; a second process reads them", async () => {
    const prefix = testPrefix();
    const { cache, errors } = await openCacher({ store: tiered(tempDir(), REDIS_URL, prefix), flushDelay: 5 });
    for (let i = 0; i < 2_000; i++) cache.set(`k${i}`, { i, body: 'x'.repeat(100) });
    cache.set('text', 'plain string');
    cache.delete('k7');
    await cache.sync({ tier: 'remote' });
    expect(replication(cache)).toMatchObject({ pending: 0, oldestMs: 0, remoteUp: true });
    expect(replication(cache).replicated).toBeGreaterThanOrEqual(2_000);

    const raw = await rawClient();
    expect(await raw.exists(`${prefix}v:k0`)).toBe(1);
    expect(await raw.exists(`${prefix}v:k7`)).toBe(0);
    const { cache: other } = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }) });
    expect(await other.load('k1999')).toEqual({ i: 1999, body: 'x'.repeat(100) });
    expect(await other.load('text')).toBe('plain string');
    expect(await other.load('k7')).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it("save(key, value, { tier: 'remote' }) resolves with the value in Redis; an unknown tier is a TypeError", async () => {
    const prefix = testPrefix();
    const { cache } = await openCacher({ store: tiered(tempDir(), REDIS_URL, prefix), flushDelay: 1_000 });
    await cache.save('s', 42, { tier: 'remote' });
    const raw = await rawClient();
    expect(await raw.exists(`${prefix}v:s`)).toBe(1);
    await expect(cache.sync({ tier: 'disk' as 'local' })).rejects.toThrow(TypeError);
  });

  it('reads: memory, then the local log, then Redis for a key another process wrote; an invalidation sends reads to Redis', async () => {
    const prefix = testPrefix();
    const dir = tempDir();
    const { cache } = await openCacher({ store: tiered(dir, REDIS_URL, prefix), flushDelay: 5 });
    const { cache: other } = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }), flushDelay: 5 });
    cache.set('mine', 'local value');
    await cache.sync({ tier: 'remote' });
    expect(cache.unload('mine')).toBe(true);
    expect(cache.get('mine')).toBe('local value'); // from the local log, synchronously

    other.set('theirs', 'remote value');
    await other.sync();
    expect(cache.get('theirs')).toBeUndefined(); // no local record: a synchronous read cannot ask Redis
    expect(await cache.load('theirs')).toBe('remote value');

    // Another process overwrites a key this one holds locally: the invalidation makes reads go to Redis.
    other.set('mine', 'their value');
    await other.sync();
    await eventually(async () => (await cache.load('mine')) === 'their value', 5_000, 'the other process\'s value read');
    // Written here again: local again.
    cache.set('mine', 'mine again');
    await cache.sync();
    cache.unload('mine');
    expect(await cache.load('mine')).toBe('mine again');
  });

  it('a delete not replicated yet reads as a miss, though Redis still has the old value', async () => {
    const server = await privateRedis();
    const prefix = testPrefix(server.url);
    const { cache } = await openCacher({ store: tiered(tempDir(), server.url, prefix), flushDelay: 5 });
    cache.set('gone', 'old');
    await cache.sync({ tier: 'remote' });
    await server.stop();
    cache.delete('gone');
    await cache.sync();
    expect(await cache.load('gone')).toBeUndefined();
    expect(cache.has('gone')).toBe(false);
    await server.start();
    await cache.sync({ tier: 'remote', timeout: 20_000 });
    const raw = await rawClient(server.url);
    expect(await raw.exists(`${prefix}v:gone`)).toBe(0);
  });

  it('Redis down: writes land on disk, the backlog and its age grow in stats, a lag event fires; back up: it drains', async () => {
    const server = await privateRedis();
    const prefix = testPrefix(server.url);
    const store = tiered(tempDir(), server.url, prefix, { lagEntries: 1_000, maxRetainedBytes: 64 * 1024 });
    const lags: LagInfo[] = [];
    store.on('lag', (info: LagInfo) => lags.push(info));
    const { cache, errors } = await openCacher({ store, flushDelay: 5, maxEntries: 500 });
    await server.stop();
    for (let i = 0; i < 5_000; i++) cache.set(`k${i}`, { i, body: 'y'.repeat(200) });
    // Local durability does not wait for Redis, and memory is not where the backlog waits.
    await cache.sync();
    expect(cache.pendingCount).toBe(0);
    expect(cache.stats.entries).toBeLessThanOrEqual(500);
    const during = replication(cache);
    expect(during.pending).toBe(5_000);
    expect(during.retainedBytes).toBeLessThanOrEqual(64 * 1024);
    expect(during.journalBytes).toBeGreaterThan(5_000 * 5);
    await eventually(() => lags.some((l) => l.lagging), 5_000, 'a lag event');
    await eventually(() => replication(cache).remoteUp === false && errors.some((e) => e.code === 'ERR_REPLICATION_FAILED'), 10_000, 'the failure reported');
    await expect(cache.sync({ tier: 'remote', timeout: 300 })).rejects.toMatchObject({ code: 'ERR_SYNC_TIMEOUT' });

    await server.start();
    await cache.sync({ tier: 'remote', timeout: 30_000 });
    const after = replication(cache);
    expect(after).toMatchObject({ pending: 0, remoteUp: true, lagging: false });
    expect(after.readBack).toBeGreaterThan(0); // past the retained window: read back from the log
    expect(lags.at(-1)?.lagging).toBe(false);
    expect(lags.at(-1)?.entries).toBeLessThan(1_000);
    const raw = await rawClient(server.url);
    const present = await raw.exists(Array.from({ length: 5_000 }, (_, i) => `${prefix}v:k${i}`));
    expect(present).toBe(5_000);
  });

  it('stopped with a backlog and reopened: the outbox replays it', async () => {
    const server = await privateRedis();
    const prefix = testPrefix(server.url);
    const dir = tempDir();
    const first = new Cacher({ store: tiered(dir, server.url, prefix), flushDelay: 5 });
    first.on('error', () => {});
    await first.start();
    await server.stop();
    for (let i = 0; i < 300; i++) first.set(`k${i}`, i);
    first.delete('k5');
    await first.sync();
    await first.stop();
    // What `larder inspect` prints about it, from the journal on disk.
    expect(replicationRows(dir)[0]?.[1]).toMatch(/^300 key\(s\) not replicated yet/);

    await server.start();
    const { cache } = await openCacher({ store: tiered(dir, server.url, prefix), flushDelay: 5 });
    expect(replication(cache).pending).toBeGreaterThan(0);
    await cache.sync({ tier: 'remote', timeout: 20_000 });
    const raw = await rawClient(server.url);
    expect(await raw.exists(Array.from({ length: 300 }, (_, i) => `${prefix}v:k${i}`))).toBe(299);
    expect(replication(cache).journalBytes).toBeLessThan(4 * 1024 * 1024);
  });

  it('keys written again while their batch is on its way to Redis: Redis ends with the latest value of each', async () => {
    const prefix = testPrefix();
    // Tiny batches and flushes: most batches go from memory while the next ones land.
    const { cache, errors } = await openCacher({ store: tiered(tempDir(), REDIS_URL, prefix, { maxFlights: 3 }), flushDelay: 0, batchSize: 4 });
    const hot = ['a', 'b', 'c', 'd', 'e'];
    const expected = new Map<string, string>();
    for (let round = 0; round < 60; round++) {
      for (const key of hot) {
        cache.set(key, `${key}${round}`);
        expected.set(key, `${key}${round}`);
      }
      cache.set(`cold${round}`, round);
      if (round % 7 === 3) {
        cache.delete('e');
        expected.delete('e');
      }
      await new Promise((r) => setImmediate(r));
    }
    await cache.sync({ tier: 'remote' });
    expect(replication(cache)).toMatchObject({ pending: 0, retainedBytes: 0 });
    const { cache: other } = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }) });
    for (const key of hot) expect(await other.load(key), key).toBe(expected.get(key));
    expect(expected.has('e')).toBe(false); // the last round deletes it after writing it
    expect(await other.load('cold59')).toBe(59);
    expect(errors).toEqual([]);
  });
});
