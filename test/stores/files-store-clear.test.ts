/**
 * clear() removes the files store's shard directories while its writer threads remember having
 * made them. A write after the clear must make the directory again, not fail.
 * Regression (found by the model test): the first write after a clear failed with ENOENT,
 * was reported as an 'error' event and retried.
 */
import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('files store after clear()', () => {
  it('writes into the cleared shards without an error', async () => {
    const dir = tempDir();
    const { cache, errors } = await openCacher({ dir, store: 'files', threads: 1, flushDelay: 0 });
    for (let i = 0; i < 50; i++) cache.set(`k${i}`, { i });
    await cache.sync();
    await cache.clear();
    expect(cache.get('k1')).toBeUndefined();
    for (let i = 0; i < 50; i++) cache.set(`k${i}`, { again: i });
    await cache.sync();
    expect(errors.map((e) => e.code)).toEqual([]);
    expect(cache.stats.retries).toBe(0);
    for (let i = 0; i < 50; i++) cache.unload(`k${i}`);
    expect(cache.get('k7')).toEqual({ again: 7 });
  });
});
