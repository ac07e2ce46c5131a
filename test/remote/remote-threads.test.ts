import { afterEach, describe, expect, it } from 'vitest';
import { ClientThread, channel, type ClientError } from '../fixtures/remote-driver.js';
import { Cacher, type CacherExposure, exposeCacher } from '../../src/main/index.js';

const threads: ClientThread[] = [];
const exposures: CacherExposure[] = [];
const caches: Cacher[] = [];

afterEach(async () => {
  await Promise.all(threads.splice(0).map((t) => t.close()));
  for (const e of exposures.splice(0)) e.close();
  for (const c of caches.splice(0)) await c.stop();
});

async function owner(options: ConstructorParameters<typeof Cacher>[0] = { store: 'memory' }): Promise<Cacher> {
  const cache = await Cacher.open(options);
  caches.push(cache);
  return cache;
}

function connect(cache: Cacher, options: ConstructorParameters<typeof ClientThread>[1] = {}): ClientThread {
  const { here, there } = channel();
  exposures.push(exposeCacher(cache, here));
  const thread = new ClientThread(there, options);
  threads.push(thread);
  return thread;
}

describe('a Cacher shared with worker threads', () => {
  it("four threads writing and reading the same keys see each other's writes", async () => {
    const cache = await owner();
    const four = [0, 1, 2, 3].map(() => connect(cache));
    const own = (t: number) => Array.from({ length: 50 }, (_, j) => `t${t}-${j}`);
    await Promise.all(
      four.map(async (thread, t) => {
        await thread.call('set', [...own(t).map((key, j) => [key, { t, j }]), ...Array.from({ length: 20 }, (_, j) => [`shared-${j}`, t])]);
        await thread.call('sync');
      }),
    );
    const every = [0, 1, 2, 3].flatMap(own);
    const shared = Array.from({ length: 20 }, (_, j) => `shared-${j}`);
    const seen = await Promise.all(four.map((thread) => thread.call<unknown[]>('getAll', [...every, ...shared])));
    const expected = [0, 1, 2, 3].flatMap((t) => own(t).map((_, j) => ({ t, j })));
    for (const view of seen) {
      expect(view.slice(0, every.length)).toEqual(expected);
      for (const value of view.slice(every.length)) expect([0, 1, 2, 3]).toContain(value);
    }
    // All four agree on who wrote each shared key last, and so does the owner.
    for (const view of seen) expect(view.slice(every.length)).toEqual(shared.map((k) => cache.get(k)));
    expect(cache.stats.sets).toBe(4 * 70);
  });

  it('a delete in one thread is seen by the others', async () => {
    const cache = await owner();
    const [a, b] = [connect(cache), connect(cache)] as [ClientThread, ClientThread];
    await a.call('set', [['gone', 1]]);
    expect(await b.call('get', 'gone')).toBe(1);
    expect(await b.call('delete', 'gone')).toBe(true);
    expect(await a.call('get', 'gone')).toBeUndefined();
  });

  it('getOrCreate across threads runs the creator once and hands every thread its value', async () => {
    const cache = await owner();
    const four = [0, 1, 2, 3].map(() => connect(cache));
    const values = await Promise.all(four.map((thread, t) => thread.call('getOrCreate', 'report', { by: t }, 300, false)));
    const creators = four.flatMap((thread, t) => thread.events.filter((e) => e.event === 'creating').map(() => t));
    expect(creators).toHaveLength(1);
    for (const value of values) expect(value).toEqual({ by: creators[0] });
    expect(cache.get('report')).toEqual({ by: creators[0] });
  });

  it("a creator's error reaches every thread with its code, and nothing is cached", async () => {
    const cache = await owner();
    const four = [0, 1, 2, 3].map(() => connect(cache));
    const outcomes = await Promise.allSettled(four.map((thread) => thread.call('getOrCreate', 'broken', 1, 300, true)));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(((outcome as PromiseRejectedResult).reason as ClientError).code).toBe('E_CREATOR');
    }
    expect(cache.has('broken')).toBe(false);
  });

  it("a thread's local read cache drops a key another thread writes", async () => {
    const cache = await owner();
    const reader = connect(cache, { localCache: { max: 100 } });
    const writer = connect(cache);
    await writer.call('set', [['hot', 1]]);
    await writer.call('sync');
    // The first read may leave before the local cache is ready; later ones are served locally.
    for (let i = 0; i < 3; i++) expect(await reader.call('get', 'hot')).toBe(1);
    const before = await reader.call<{ localHits: number }>('localStats');
    expect(before.localHits).toBeGreaterThan(0);
    // Only an invalidation sent after this write counts: the first write's may arrive late.
    const seen = reader.events.length;
    await writer.call('set', [['hot', 2]]);
    await writer.call('sync');
    await reader.event((e) => e.event === 'invalidate' && (e.keys ?? []).includes('hot'), seen);
    expect(await reader.call('get', 'hot')).toBe(2);
  });
});
