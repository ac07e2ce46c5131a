/**
 * `sync()` under retry: a barrier taken before a write fails rejects at that failure; one taken
 * while writes are failing waits through the retries (it must not reject because an attempt
 * started before it, say before space was freed on a full disk, fails after it), and on its
 * timeout rejects with ERR_SYNC_TIMEOUT whose `cause` is the last write error.
 */
import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { GatedStore, type Pending } from '../helpers/gated-store.js';
import type { LarderError, WriteFailedError } from '../../src/main/index.js';

const noSpace = (batch: Pending): void =>
  batch.finish({ failures: batch.keys.map((_, index) => ({ index, code: 'ENOSPC', message: 'no space left on device', syscall: 'write' })), bytes: 0 });

describe('sync() while writes are failing', () => {
  it('a sync() taken before the failure rejects with it; one taken after waits through the retries and resolves once they land', async () => {
    const store = new GatedStore();
    const { cache, errors } = await openCacher({ store, threads: 1 });
    cache.set('a', 1);
    cache.set('b', 2);
    const before = cache.sync({ timeout: 5_000 }).catch((e: unknown) => e as WriteFailedError);
    noSpace(await store.next());
    const first = await before;
    expect(first).toMatchObject({ code: 'ERR_WRITE_FAILED', osCode: 'ENOSPC' });

    // The retry is in flight (the disk still full when it started); space is freed now, and
    // sync() is called: the attempt already under way failing must not reject it.
    const retry = await store.next();
    let settled: unknown = 'pending';
    const after = cache.sync({ timeout: 5_000 }).then(
      () => (settled = 'resolved'),
      (e: unknown) => (settled = e),
    );
    noSpace(retry);
    store.land(await store.next());
    await after;
    expect(settled).toBe('resolved');
    expect(store.landed.get('a')).toBe(1);
    expect(errors.filter((e) => e.code === 'ERR_WRITE_FAILED')).toHaveLength(2);

    // Nothing is failing any more: a new failure rejects a new sync() at once, as before.
    cache.set('c', 3);
    const again = cache.sync({ timeout: 5_000 }).catch((e: unknown) => e as LarderError);
    noSpace(await store.next());
    expect(await again).toMatchObject({ code: 'ERR_WRITE_FAILED', osCode: 'ENOSPC' });
    store.land(await store.next());
    await cache.sync({ timeout: 5_000 });
  });

  it('a sync() taken while writes are failing rejects on its timeout with the last write error as cause, and the writes stay queued', async () => {
    const store = new GatedStore();
    const { cache } = await openCacher({ store, threads: 1 });
    cache.set('a', 1);
    const reported = new Promise((resolve) => cache.once('error', resolve));
    noSpace(await store.next());
    await reported; // the failure is known before the sync() below
    const started = Date.now();
    const waiting = cache.sync({ timeout: 300 }).then(
      () => new Error('resolved') as LarderError,
      (e: unknown) => e as LarderError,
    );
    // Every retry inside the timeout fails too.
    const failing = (async () => {
      for (;;) {
        const batch = await store.next().catch(() => undefined);
        if (batch === undefined) return;
        noSpace(batch);
        if (Date.now() - started > 400) return;
      }
    })();
    const error = await waiting;
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(error).toMatchObject({ code: 'ERR_SYNC_TIMEOUT', keys: ['a'] });
    expect(error.cause).toMatchObject({ code: 'ERR_WRITE_FAILED', osCode: 'ENOSPC' });
    await failing;
    expect(cache.get('a')).toBe(1);
    // Space comes back: the queued write lands and a sync() resolves.
    const done = cache.sync({ timeout: 5_000 });
    for (let i = 0; i < 5 && !store.landed.has('a'); i++) {
      const batch = await store.next().catch(() => undefined);
      if (batch !== undefined) store.land(batch);
    }
    await done;
    expect(store.landed.get('a')).toBe(1);
  });
});
