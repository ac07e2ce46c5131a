import { expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { REDIS_URL, describeRedis, eventually, privateRedis, rawClient, startPeer, testPrefix } from '../fixtures/redis-harness.js';
import { NO_VALUE, RedisBackend, RedisStore, Region } from '../../src/main/index.js';

describeRedis('redis store: two processes share one cache', () => {
  it('a write in one process is seen by the other and drops its memory copy; its own writes do not', async () => {
    const prefix = testPrefix();
    const { cache, errors } = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }), flushDelay: 5 });
    const peer = startPeer(REDIS_URL, prefix);
    await peer.waitFor(/^READY/);

    await peer.call({ op: 'set', key: 'from-peer', value: 'hello' });
    expect(await cache.load('from-peer')).toBe('hello');

    cache.set('shared', 'old');
    cache.set('mine', 'local');
    await cache.sync();
    expect(cache.get('shared')).toBe('old'); // a clean copy in memory
    expect(await peer.call({ op: 'load', key: 'shared' })).toBe('old');

    await peer.call({ op: 'set', key: 'shared', value: 'new' });
    await eventually(() => cache.get('shared') === undefined, 10_000, 'invalidation of the memory copy');
    expect(await cache.load('shared')).toBe('new');
    // Its own announcement (published before the peer's) did not drop its own copy.
    expect(cache.get('mine')).toBe('local');
    expect(errors).toEqual([]);
  });

  it('a change whose message was missed (subscriber reconnected): every clean copy is dropped, unwritten ones kept', async () => {
    const server = await privateRedis(); // its own server: killing its subscriber disturbs no other test
    const prefix = testPrefix(server.url);
    const { cache, errors } = await openCacher({ store: new RedisStore({ url: server.url, keyPrefix: prefix, connectTimeout: 500 }), flushDelay: 5 });
    cache.set('shared', 'old');
    cache.set('other', 'kept in Redis');
    await cache.sync();
    expect(cache.get('shared')).toBe('old'); // clean copies in memory
    cache.pause();
    cache.set('unwritten', 'local'); // a change not yet written: must survive the drop

    // Another process's write, as if its message were lost: its record copied into place, no message.
    const elsewhere = `${prefix}elsewhere:`;
    const { cache: writer } = await openCacher({ store: new RedisStore({ url: server.url, keyPrefix: elsewhere }), flushDelay: 5 });
    writer.set('shared', 'new');
    await writer.sync();
    const raw = await rawClient(server.url);
    expect(await raw.copy(`${elsewhere}v:shared`, `${prefix}v:shared`, { REPLACE: true })).toBe(1);
    expect(cache.get('shared')).toBe('old'); // nothing told this process yet

    // Its subscriber loses the connection and comes back: the gap drops every clean copy.
    expect(await raw.clientKill({ filter: 'TYPE', type: 'pubsub' })).toBeGreaterThanOrEqual(1);
    await eventually(() => cache.get('shared') === undefined, 10_000, 'the clean copies dropped after the reconnect');
    expect(cache.get('other')).toBeUndefined();
    expect(await cache.load('shared')).toBe('new');
    expect(await cache.load('other')).toBe('kept in Redis');
    expect(cache.get('unwritten')).toBe('local');
    cache.resume();
    await cache.sync();
    expect(await cache.load('unwritten')).toBe('local');
    expect(errors.filter((e) => e.code !== 'ERR_REDIS_UNAVAILABLE')).toEqual([]);
  });

  it('runs the creator once for 50 concurrent getOrCreate calls spread over two processes', async () => {
    const prefix = testPrefix();
    const counter = `${prefix}creations`;
    const { cache } = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }), flushDelay: 5 });
    const region = new Region({ store: new RedisBackend(cache), waitTimeout: 20_000 });
    const peer = startPeer(REDIS_URL, prefix);
    await peer.waitFor(/^READY/);
    const raw = await rawClient();
    const creator = async (): Promise<string> => {
      await raw.incr(counter);
      await new Promise((r) => setTimeout(r, 200));
      return `made by ${process.pid}`;
    };
    const [here, there] = await Promise.all([
      Promise.all(Array.from({ length: 25 }, () => region.getOrCreate('report', creator))),
      peer.call({ op: 'getOrCreate', key: 'report', calls: 25, counter, delay: 200 }) as Promise<string[]>,
    ]);
    expect(await raw.get(counter)).toBe('1');
    const all = [...here, ...there];
    expect(all).toHaveLength(50);
    expect(new Set(all).size).toBe(1);
  });

  it("a region's hard invalidation in one process makes the other's values missing", async () => {
    const prefix = testPrefix();
    const { cache, errors } = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }), flushDelay: 5 });
    const region = new Region({ store: new RedisBackend(cache) });
    const peer = startPeer(REDIS_URL, prefix);
    await peer.waitFor(/^READY/);

    await region.set('report', 'v1');
    await cache.sync();
    expect(await peer.call({ op: 'regionGet', key: 'report' })).toBe('v1');

    await region.invalidate({ hard: true });
    expect(await region.get('report')).toBe(NO_VALUE);
    await eventually(async () => (await peer.call({ op: 'regionGet', key: 'report' })) === null, 10_000, "the peer's hard invalidation");
    // The value is still in Redis: only the regions' view of it changed.
    expect(await cache.load('report')).toMatchObject({ value: 'v1' });
    expect(errors).toEqual([]);
  });

  it("a region's soft invalidation in one process: the other serves the stale value while one caller regenerates", async () => {
    const prefix = testPrefix();
    const { cache, errors } = await openCacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: prefix }), flushDelay: 5 });
    const region = new Region({ store: new RedisBackend(cache), waitTimeout: 20_000 });
    const peer = startPeer(REDIS_URL, prefix);
    await peer.waitFor(/^READY/);

    await peer.call({ op: 'regionSet', key: 'report', value: 'old' });
    expect(await region.get('report')).toBe('old');

    await peer.call({ op: 'regionInvalidate', hard: false });
    await eventually(async () => (await region.get('report')) === NO_VALUE, 10_000, 'the soft invalidation');
    expect(await region.get('report', { ignoreExpiry: true })).toBe('old');

    let release!: (value: string) => void;
    const created = new Promise<string>((resolve) => (release = resolve));
    let calls = 0;
    const creator = (): Promise<string> => {
      calls++;
      return created;
    };
    const regenerating = region.getOrCreate('report', creator);
    await eventually(() => region.isRegenerating('report'), 10_000, 'regeneration to start');
    expect(await region.getOrCreate('report', creator)).toBe('old');
    release('new');
    expect(await regenerating).toBe('new');
    expect(calls).toBe(1);
    await cache.sync();
    expect(await peer.call({ op: 'regionGet', key: 'report' })).toBe('new');
    expect(errors).toEqual([]);
  });

  it('a lock whose owner is SIGKILLed is taken over once its lease runs out', async () => {
    const prefix = testPrefix();
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix, lockLease: 600 });
    await openCacher({ store });
    const peer = startPeer(REDIS_URL, prefix, { lockLease: 600 });
    await peer.waitFor(/^READY/);
    expect(await peer.call({ op: 'lock', key: 'job' })).toBe(true);
    // Held and renewed by a live owner: still refused well after one lease.
    await new Promise((r) => setTimeout(r, 900));
    expect(await store.mutex('job').acquire({ wait: false })).toBeUndefined();

    await peer.kill('SIGKILL');
    const lease = await store.mutex('job').acquire({ wait: true, timeout: 5_000 });
    expect(lease).toBeDefined();
    // Now ours: the dead owner's token cannot release it, and another caller is refused.
    expect(await store.mutex('job').acquire({ wait: false })).toBeUndefined();
    await lease?.release();
    const again = await store.mutex('job').acquire({ wait: false });
    expect(again).toBeDefined();
    await again?.release();
  });
});
