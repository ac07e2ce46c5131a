/**
 * sync() is a barrier over the writes accepted before it (DESIGN §2, invariant 1 and 7), counted
 * without registering on each entry (src/main/barriers.ts). A store whose batches complete only
 * when the test says so pins down each case: a key written again while in flight, writes after
 * the barrier, failures, discard(), two barriers at once, and what a timeout names.
 */
import { describe, expect, it } from 'vitest';
import { GatedStore } from '../helpers/gated-store.js';
import { openCacher } from '../helpers/engine.js';
import type { LarderError } from '../../src/main/index.js';

const tick = (ms = 10): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** 'pending', or how the promise settled, after letting the event loop run a little. */
async function state(promise: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let result: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => (result = 'resolved'),
    () => (result = 'rejected'),
  );
  await tick();
  return result;
}

async function gated() {
  const store = new GatedStore();
  const { cache, errors } = await openCacher({ store, flushDelay: 1, threads: 1, codec: 'v8' });
  return { store, cache, errors };
}

describe('sync() barriers', () => {
  it('waits for the newer version of a key written again while in flight', async () => {
    const { store, cache } = await gated();
    cache.set('a', 1);
    const first = await store.next();
    cache.set('a', 2);
    const synced = cache.sync();
    store.land(first);
    expect(await state(synced)).toBe('pending');
    const second = await store.next();
    expect(second.values).toEqual([2]);
    store.land(second);
    expect(await state(synced)).toBe('resolved');
    expect(store.landed.get('a')).toBe(2);
  });

  it('does not wait for writes made after it', async () => {
    const { store, cache } = await gated();
    cache.set('a', 1);
    const first = await store.next();
    const synced = cache.sync();
    cache.set('b', 1);
    cache.set('a', 2); // a newer version of a key it waits for, made after it
    const second = store.next();
    store.land(first);
    expect(await state(synced)).toBe('resolved');
    store.land(await second);
    await cache.sync();
  });

  it('two barriers at once each resolve when their own writes land', async () => {
    const { store, cache } = await gated();
    cache.set('a', 1);
    const first = await store.next();
    const p1 = cache.sync();
    cache.set('b', 1);
    const p2 = cache.sync();
    const second = await store.next();
    store.land(second);
    expect(await state(p1)).toBe('pending');
    expect(await state(p2)).toBe('pending');
    store.land(first);
    expect(await state(p1)).toBe('resolved');
    expect(await state(p2)).toBe('resolved');
  });

  it('rejects on a failed write; the retry lands and a new sync() resolves', async () => {
    const { store, cache, errors } = await gated();
    cache.set('a', 1);
    cache.set('b', 1);
    const synced = cache.sync();
    store.fail(await store.next());
    await expect(synced).rejects.toMatchObject({ code: 'ERR_WRITE_FAILED' });
    expect(errors.map((e) => e.code)).toContain('ERR_WRITE_FAILED');
    const again = cache.sync();
    store.land(await store.next());
    expect(await state(again)).toBe('resolved');
    expect([...store.landed.keys()].sort()).toEqual(['a', 'b']);
  });

  it('discard() of queued writes lets a waiting barrier finish', async () => {
    const { cache } = await gated();
    cache.pause();
    cache.set('a', 1);
    cache.set('b', 2);
    const synced = cache.sync();
    expect(await state(synced)).toBe('pending');
    expect(cache.discard()).toBe(2);
    expect(await state(synced)).toBe('resolved');
  });

  it('a timeout names only the keys the barrier waits for, and drops nothing', async () => {
    const { store, cache } = await gated();
    cache.set('stuck', 1);
    const inFlight = await store.next();
    const synced = cache.sync({ timeout: 50 });
    cache.pause();
    cache.set('later', 1);
    const error = (await synced.catch((e: unknown) => e)) as LarderError & { keys: string[] };
    expect(error.code).toBe('ERR_SYNC_TIMEOUT');
    expect(error.keys).toEqual(['stuck']);
    cache.resume();
    store.land(inFlight);
    const rest = cache.sync();
    store.land(await store.next());
    await rest;
    expect([...store.landed.keys()].sort()).toEqual(['later', 'stuck']);
  });

  it('100k pending writes: sync() resolves once, after the last lands', async () => {
    const { store, cache } = await gated();
    cache.pause();
    for (let i = 0; i < 100_000; i++) cache.set(`k${i}`, i);
    const synced = cache.sync();
    cache.resume();
    let batches = 0;
    while (store.landed.size < 100_000) {
      expect(await state(synced)).toBe('pending');
      store.land(await store.next());
      batches++;
    }
    expect(batches).toBeGreaterThanOrEqual(100); // batches of 1000, cut shorter by time slices
    expect(await state(synced)).toBe('resolved');
  });
});
