/**
 * BentoCache 1.6 with a memory L1 and `larderDriver` as its L2: set, get, getOrSet, delete,
 * namespaces, ttl, durable writes, and values a SIGKILLed process synced read back by a new one.
 */
import { describe, expect, it } from 'vitest';
import { BentoCache, bentostore, type BentoStore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import type { Cacher } from '../../src/main/index.js';
import { larderDriver, type LarderDriverOptions } from '../../src/main/adapters/index.js';
import { manualClock, openCacher, runChild } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { closeAfter } from './adapter-helpers.js';

function bento(options: LarderDriverOptions, { l1 = true } = {}): BentoCache<{ app: BentoStore }> {
  const store = bentostore();
  if (l1) store.useL1Layer(memoryDriver({ maxSize: '10mb' }));
  store.useL2Layer(larderDriver(options));
  return closeAfter(new BentoCache({ default: 'app', stores: { app: store } }), (b) => b.disconnect());
}

/** Every key of the cacher with its value. */
async function contents(cacher: Cacher): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for await (const key of cacher.keys()) out[key] = cacher.get(key);
  return out;
}

describe('BentoCache with a larder L2', () => {
  it('sets, gets, getOrSets and deletes through both layers', async () => {
    const { cache: cacher } = await openCacher({ dir: tempDir() });
    const cache = bento({ cacher });
    await cache.set({ key: 'user:1', value: { name: 'Ada' } });
    expect(await cache.get({ key: 'user:1' })).toEqual({ name: 'Ada' });
    // In larder under BentoCache's prefix, as the entry BentoCache serialized.
    expect(JSON.parse(cacher.get('bentocache:user:1') as string)).toMatchObject({ value: { name: 'Ada' } });

    let calls = 0;
    const factory = () => ++calls;
    expect(await cache.getOrSet({ key: 'n', factory })).toBe(1);
    expect(await cache.getOrSet({ key: 'n', factory })).toBe(1);
    expect(calls).toBe(1);

    expect(await cache.delete({ key: 'user:1' })).toBe(true);
    expect(cacher.has('bentocache:user:1')).toBe(false);
    expect(await cache.get({ key: 'user:1' })).toBeUndefined();
  });

  it('serves a value from L2 to an instance whose L1 is empty', async () => {
    const { cache: cacher } = await openCacher({ dir: tempDir() });
    await bento({ cacher }).set({ key: 'k', value: [1, 2, 3] });
    const other = bento({ cacher });
    expect(await other.has({ key: 'k' })).toBe(true);
    expect(await other.get({ key: 'k' })).toEqual([1, 2, 3]);
  });

  it('keeps namespaces apart and clears only its own', async () => {
    const { cache: cacher } = await openCacher({ dir: tempDir() });
    const cache = bento({ cacher });
    await cache.set({ key: 'top', value: 0 });
    await cache.namespace('users').set({ key: '1', value: 'Ada' });
    await cache.namespace('posts').set({ key: '1', value: 'Hello' });
    await cache.namespace('users').clear();
    expect(Object.keys(await contents(cacher)).sort()).toEqual(['bentocache:posts:1', 'bentocache:top']);
    expect(await bento({ cacher }).namespace('posts').get({ key: '1' })).toBe('Hello');
  });

  it('passes the ttl to larder, which expires the entry by its own clock', async () => {
    const clock = manualClock();
    const { cache: cacher } = await openCacher({ dir: tempDir(), timers: clock.timers });
    const cache = bento({ cacher }, { l1: false });
    await cache.set({ key: 'session', value: 'token', ttl: '1m' });
    expect(await cache.get({ key: 'session' })).toBe('token');
    clock.advance(60_001);
    // BentoCache's own clock has not reached the expiry: the miss comes from larder.
    expect(cacher.has('bentocache:session')).toBe(false);
    expect(await cache.get({ key: 'session' })).toBeUndefined();
  });

  it('with durable: true, a resolved set has been written', async () => {
    // Writes held back for a minute: only the durable set can have flushed this one.
    const { cache: cacher } = await openCacher({ dir: tempDir(), flushDelay: 60_000 });
    const cache = bento({ cacher, durable: true });
    await cache.set({ key: 'k', value: 'v' });
    expect(cacher.pendingCount).toBe(0);
    expect(cacher.stats.flushed).toBe(1);
  });

  it('owns a cacher made from options and stops it on disconnect, writing it first', async () => {
    const dir = tempDir();
    const first = new BentoCache({ default: 'app', stores: { app: bentostore().useL2Layer(larderDriver({ cacher: { dir, flushDelay: 60_000 } })) } });
    await first.set({ key: 'k', value: 'kept' });
    await first.disconnect();
    expect(await bento({ cacher: { dir } }).get({ key: 'k' })).toBe('kept');
  });

  it('reads back, in a new process, what a SIGKILLed process wrote through BentoCache and synced', async () => {
    const dir = tempDir();
    const child = closeAfter(runChild('adapters/bentocache-writer.ts', [dir]), (c) => (c.kill('SIGKILL'), c.exited));
    await child.waitFor(/^SYNCED$/);
    child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');

    const cache = bento({ cacher: { dir } });
    expect(await cache.get({ key: 'user:1' })).toEqual({ name: 'Ada' });
    expect(await cache.getOrSet({ key: 'answer', factory: () => 0 })).toBe(42);
    expect(await cache.namespace('sessions').get({ key: 's1' })).toBe('token');
  });

  it('rejects bad options where the driver is declared, naming the option and the value', () => {
    expect(() => larderDriver({ cacher: { dir: tempDir() }, durable: 'yes' as never })).toThrow(/durable must be a boolean, received "yes"/);
    expect(() => larderDriver({ cacher: { dir: tempDir(), tll: 5 } as never })).toThrow(/unknown option tll \(received 5\)/);
    expect(() => larderDriver({ cacher: { dir: tempDir() }, prefix: 7 as never })).toThrow(/prefix must be a string, received 7/);
    expect(() => larderDriver({ cacher: 'dir' as never })).toThrow(/takes a Cacher or the options of one/);
    expect(() => larderDriver({} as never)).toThrow(/requires the cacher option/);
  });
});
