/**
 * How many batches the engine hands a store at once: two per writer thread (one framed while
 * the other's fsync waits) plus one spare that the pool queues, so a writer that finishes a
 * batch starts the next without waiting for the caller's thread. Never more: a deeper pipeline
 * only holds more entries in flight (and more memory) without writing faster.
 */
import { describe, expect, it } from 'vitest';
import { GatedStore } from '../helpers/gated-store.js';
import { openCacher } from '../helpers/engine.js';

const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function deepQueue(threads: number) {
  const store = new GatedStore();
  const { cache } = await openCacher({ store, codec: 'v8', batchSize: 10, flushDelay: 1, threads });
  for (let i = 0; i < 200; i++) cache.set(`k${i}`, i);
  await tick();
  return { store, cache };
}

describe('batches in flight', () => {
  it.each([
    [1, 3],
    [2, 5],
  ])('with %i writer thread(s) the store holds %i batches at once, and gets the next as one lands', async (threads, most) => {
    const { store, cache } = await deepQueue(threads);
    expect(store.pending).toHaveLength(most);
    await tick();
    expect(store.pending).toHaveLength(most); // nothing more while none lands
    store.land(store.pending.shift()!);
    await tick();
    expect(store.pending).toHaveLength(most);
    // Drain: every key arrives exactly once, in full batches.
    while (store.pending.length > 0) {
      store.land(store.pending.shift()!);
      await tick(5);
    }
    await cache.sync();
    expect(store.landed.size).toBe(200);
    for (let i = 0; i < 200; i++) expect(store.landed.get(`k${i}`)).toBe(i);
  });
});
