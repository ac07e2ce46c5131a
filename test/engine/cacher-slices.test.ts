/**
 * Encoding on the caller's thread is cut into time slices (DESIGN §3.3), without cutting
 * batches: a batch whose encoding outlasts a slice goes on filling on the next turns of the
 * event loop and is handed over whole. discard() drops such a half-built batch like the queue.
 */
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { Codec } from '../../src/shared/codecs.js';
import { v8Codec } from '../../src/shared/codecs.js';
import { GatedStore } from '../helpers/gated-store.js';
import { openCacher } from '../helpers/engine.js';

/** v8 bytes, after holding the thread for `ms`: a codec slow enough that 1000 values outlast several slices. */
function slowCodec(ms: number): Codec {
  return {
    id: 200,
    name: 'slow-v8',
    encode(value) {
      const until = performance.now() + ms;
      while (performance.now() < until);
      return serialize(value);
    },
    decode: (bytes) => v8Codec.decode(bytes),
  };
}

describe('time-sliced encoding', () => {
  it('a batch too slow to encode in one slice is built over several turns and sent whole', async () => {
    const store = new GatedStore();
    const { cache } = await openCacher({ store, codec: slowCodec(0.05), batchSize: 1000, flushDelay: 1, threads: 1 });
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    try {
      for (let i = 0; i < 1000; i++) cache.set(`k${i}`, i);
      const batch = await store.next();
      expect(batch.keys).toHaveLength(1000);
      expect(batch.values[999]).toBe(999);
      // ≥ 50 ms of encoding in slices of ~2 ms: timers ran in between.
      expect(turns).toBeGreaterThan(5);
      store.land(batch);
      await cache.sync();
    } finally {
      clearInterval(ticker);
    }
  });

  it('discard() drops a batch still being built, and a waiting sync() resolves', async () => {
    const store = new GatedStore();
    const { cache } = await openCacher({ store, codec: slowCodec(0.05), batchSize: 1000, flushDelay: 1, threads: 1 });
    for (let i = 0; i < 1000; i++) cache.set(`k${i}`, i);
    const synced = cache.sync();
    await new Promise((resolve) => setTimeout(resolve, 10)); // some slices in
    expect(store.pending).toHaveLength(0);
    expect(cache.discard()).toBe(1000);
    await synced;
    expect(cache.pendingCount).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.pending).toHaveLength(0);
    expect(cache.get('k0')).toBeUndefined();
  });
});
