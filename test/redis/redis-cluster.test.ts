/**
 * The redis store on a Redis Cluster of the test's own (three masters, test/fixtures/redis-cluster.ts):
 * batches split by node, reads, SCAN and clear() over every master, MOVED and ASK followed, and
 * processes sharing the cluster — writes behind from two child processes read by a third, their
 * invalidations crossing nodes, and one creator per key for getOrCreate across processes.
 */
import { randomUUID } from 'node:crypto';
import { createCluster } from 'redis';
import { expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { eventually } from '../fixtures/redis-harness.js';
import { clusterChild, describeCluster, useCluster, type ClusterNode } from '../fixtures/redis-cluster.js';
import { RedisStore } from '../../src/main/index.js';
import { keySlot } from '../../src/shared/cluster-slots.js';

const prefix = (): string => `larder-test:${randomUUID()}:`;

describeCluster('redis store on a Redis Cluster', () => {
  const cluster = useCluster();

  /** How many keys under `match` each master holds. */
  async function perMaster(match: string): Promise<number[]> {
    const client = await cluster.client();
    return Promise.all(
      client.masters.map(async (master) => {
        let n = 0;
        for await (const keys of (await client.nodeClient(master)).scanIterator({ MATCH: `${match}*`, COUNT: 1000 })) n += keys.length;
        return n;
      }),
    );
  }

  it('computes the slot of every key as the cluster does', async () => {
    const client = await cluster.client();
    const node = await client.nodeClient(client.masters[0] as (typeof client.masters)[number]);
    const keys = ['123456789', '{user}a', 'larder:v:{user:1}profile', 'foo{}{bar}', 'foo{{bar}}zap', 'clé {ünï}', '', 'a'.repeat(300), ...Array.from({ length: 40 }, () => randomUUID())];
    for (const key of keys) expect(keySlot(key), key).toBe(await node.clusterKeySlot(key));
  });

  it('spreads a batch over every master, reads it back from another cacher, lists and clears it', async () => {
    const keyPrefix = prefix();
    const { cache, errors } = await openCacher({ store: new RedisStore({ cluster: cluster.urls, keyPrefix }), flushDelay: 5 });
    for (let i = 0; i < 300; i++) cache.set(`k${i}`, { i });
    cache.set('{tagged}a', 'a');
    cache.set('{tagged}b', 'b');
    await cache.sync();
    const counts = await perMaster(keyPrefix);
    expect(counts).toHaveLength(3);
    for (const n of counts) expect(n).toBeGreaterThan(50);
    expect(counts.reduce((a, b) => a + b)).toBe(302);

    const other = await openCacher({ store: new RedisStore({ cluster: [cluster.urls[1] as string], keyPrefix }), flushDelay: 5 });
    expect(await other.cache.load('k7')).toEqual({ i: 7 });
    expect(await other.cache.load('{tagged}b')).toBe('b');
    const listed: string[] = [];
    for await (const key of other.cache.store.keys?.() ?? []) listed.push(key);
    expect(listed.sort()).toEqual([...Array.from({ length: 300 }, (_, i) => `k${i}`), '{tagged}a', '{tagged}b'].sort());

    cache.delete('k7');
    await cache.sync();
    expect(await other.cache.load('k7')).toBeUndefined();
    await other.cache.clear();
    expect(await perMaster(keyPrefix)).toEqual([0, 0, 0]);
    expect(errors).toEqual([]);
    expect(other.errors).toEqual([]);
  });

  it('takes a createCluster() client of the caller, and refuses options that cannot name a cluster', async () => {
    const keyPrefix = prefix();
    const client = createCluster({ rootNodes: [{ url: cluster.urls[2] as string }] });
    client.on('error', () => {});
    await client.connect();
    try {
      const store = new RedisStore({ client, keyPrefix });
      expect(store.cluster).toEqual([cluster.urls[2]]);
      const { cache, errors } = await openCacher({ store, flushDelay: 5 });
      for (let i = 0; i < 50; i++) cache.set(`c${i}`, i);
      await cache.sync();
      expect((await perMaster(keyPrefix)).every((n) => n > 0)).toBe(true);
      expect(await cache.load('c42')).toBe(42);
      expect(errors).toEqual([]);
      await cache.stop();
      expect(client.isOpen).toBe(true); // the caller's to close
    } finally {
      client.destroy();
    }
    expect(() => new RedisStore({ url: cluster.urls[0] as string, cluster: cluster.urls })).toThrow(TypeError);
    expect(() => new RedisStore({ cluster: [] })).toThrow(/cluster must be a non-empty array/);
    expect(() => new RedisStore({ cluster: ['http://127.0.0.1:7000'] })).toThrow(/cluster must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => new RedisStore({ cluster: ['redis://127.0.0.1:7000/2'] })).toThrow(/only database 0/);
  });

  it('follows ASK while a slot migrates and MOVED once it has moved', async () => {
    const keyPrefix = prefix();
    const { cache, errors } = await openCacher({ store: new RedisStore({ cluster: cluster.urls, keyPrefix }), flushDelay: 5 });
    // Keys with a hash tag share its slot whatever the prefix: pick a tag and the slot's owner.
    const tag = `t${randomUUID()}`;
    const slot = keySlot(tag);
    const source = await cluster.ownerOf(slot);
    const target = cluster.nodes.find((node) => node !== source) as ClusterNode;
    cache.set(`{${tag}}before`, 1); // the writers learn the map, with the slot at its owner
    await cache.sync();

    await cluster.cli(target, 'cluster', 'setslot', String(slot), 'importing', source.id);
    await cluster.cli(source, 'cluster', 'setslot', String(slot), 'migrating', target.id);
    // A new key in a migrating slot is not on the source: it answers ASK, and the write lands on the target.
    cache.set(`{${tag}}during`, 2);
    await cache.sync();
    expect(Number(await cluster.cli(target, 'cluster', 'countkeysinslot', String(slot)))).toBe(1);
    expect(Number(await cluster.cli(source, 'cluster', 'countkeysinslot', String(slot)))).toBe(1);

    // Finish the move by hand: the key left on the source goes over, then every node learns the new owner.
    await cluster.cli(source, 'migrate', '127.0.0.1', String(target.port), '', '0', '5000', 'keys', `${keyPrefix}v:{${tag}}before`);
    for (const node of [target, source, ...cluster.nodes.filter((n) => n !== source && n !== target)]) {
      await cluster.cli(node, 'cluster', 'setslot', String(slot), 'node', target.id);
    }
    await cluster.waitHealthy();
    // The writers still think the slot is the source's: it answers MOVED, and the write follows.
    cache.set(`{${tag}}after`, 3);
    await cache.sync();
    expect(Number(await cluster.cli(target, 'cluster', 'countkeysinslot', String(slot)))).toBe(3);
    expect(Number(await cluster.cli(source, 'cluster', 'countkeysinslot', String(slot)))).toBe(0);
    const reader = await openCacher({ store: new RedisStore({ cluster: cluster.urls, keyPrefix }) });
    expect(await reader.cache.load(`{${tag}}before`)).toBe(1);
    expect(await reader.cache.load(`{${tag}}during`)).toBe(2);
    expect(await reader.cache.load(`{${tag}}after`)).toBe(3);
    expect(errors).toEqual([]);
  });

  it('two processes write behind; a third reads every confirmed write and sees their invalidations', async () => {
    const keyPrefix = prefix();
    const { cache, errors } = await openCacher({ store: new RedisStore({ cluster: cluster.urls, keyPrefix }), flushDelay: 5 });
    const writers = ['A', 'B'].map((name) => clusterChild({ seeds: cluster.urls, prefix: keyPrefix, mode: 'write', name, count: 200 }));
    await Promise.all(writers.map((child) => child.waitFor(/^CONFIRMED 1$/)));
    expect(await cache.load('B:0')).toMatchObject({ by: 'B' });
    // A clean copy here, of a key A goes on rewriting: A's next batch announcement drops it.
    cache.set('A:0', 'mine');
    await cache.sync();
    expect(cache.get('A:0')).toBe('mine');
    const seen = writers.map((child) => child.lines.length);
    await Promise.all(writers.map((child, w) => eventually(() => child.lines.slice(seen[w]).filter((line) => line.startsWith('CONFIRMED')).length >= 2, 30_000, 'two more rounds')));
    await eventually(() => cache.get('A:0') === undefined, 10_000, "A's invalidation of the copy");

    const client = await cluster.client();
    await client.set(`${keyPrefix}stop`, '1');
    const done = await Promise.all(writers.map(async (child) => Number((await child.waitFor(/^DONE \d+$/)).split(' ')[1])));
    for (const child of writers) expect((await child.exited).code).toBe(0);
    for (const [w, name] of ['A', 'B'].entries()) {
      for (let i = 0; i < 200; i++) expect(await cache.load(`${name}:${i}`)).toEqual({ round: done[w], by: name });
    }
    expect(errors).toEqual([]);
  });

  it('getOrCreate across two processes runs the creator once per key', async () => {
    const keyPrefix = prefix();
    const keys = Array.from({ length: 12 }, (_, i) => `report${i}`);
    const children = [1, 2].map(() => clusterChild({ seeds: cluster.urls, prefix: keyPrefix, mode: 'getOrCreate', keys, calls: 5 }));
    await Promise.all(children.map((child) => child.waitFor(/^READY$/)));
    const client = await cluster.client();
    await client.set(`${keyPrefix}go`, '1');
    const results = await Promise.all(children.map(async (child) => JSON.parse((await child.waitFor(/^RESULT /)).slice('RESULT '.length)) as Record<string, string[]>));
    for (const child of children) expect((await child.exited).code).toBe(0);
    for (const key of keys) {
      expect(await client.get(`${keyPrefix}created:${key}`), key).toBe('1');
      const values = new Set([...(results[0]?.[key] ?? []), ...(results[1]?.[key] ?? [])]);
      expect(values.size, key).toBe(1);
    }
    // The locks sit on the masters of their slots: all three hold some.
    const lockSlots = keys.map((key) => keySlot(`${keyPrefix}l:${key}`));
    const owners = new Set(await Promise.all(lockSlots.map(async (slot) => (await cluster.ownerOf(slot)).port)));
    expect(owners.size).toBeGreaterThan(1);
  });
});
