/**
 * `larder inspect` shows a log store's disk budget: `maxDiskBytes` and `diskPolicy` as the
 * store was last opened with them, the bytes its files take, and the keys evicted to keep
 * within it, counted over every open (the store records them in its BUDGET file, so another
 * process can see them, also while the store is in use).
 */
import { describe, expect, it } from 'vitest';
import { larder } from '../helpers/cli.js';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { LogStore, type EvictInfo } from '../../src/main/stores/log/log-store.js';

const BUDGET = 256 * 1024;

/** Writes `n` fresh ~1 KB keys through a store with the budget; resolves with the keys it evicted. */
async function fill(dir: string, prefix: string, n: number, keepOpen = false): Promise<{ evicted: number; stop: () => Promise<void> }> {
  const store = new LogStore(dir, { maxDiskBytes: BUDGET, diskPolicy: 'lru' });
  let evicted = 0;
  store.on('evict', (info: EvictInfo) => (evicted += info.keys.length));
  const { cache, errors } = await openCacher({ dir, store, batchSize: 50 });
  for (let i = 0; i < n; i++) {
    cache.set(`${prefix}${i}`, `${prefix}${i}`.padEnd(1000, '.'));
    if (i % 50 === 49) await cache.sync();
  }
  await cache.sync();
  expect(errors).toEqual([]);
  const stop = async (): Promise<void> => {
    await cache.stop();
  };
  if (!keepOpen) await stop();
  return { evicted, stop };
}

describe('larder inspect: the disk budget', () => {
  it('shows the budget, the bytes used and the evictions, counted across opens, also while the store is open', async () => {
    const dir = tempDir();
    const first = await fill(dir, 'a', 600);
    expect(first.evicted).toBeGreaterThan(0);

    const json = await larder('inspect', dir, '--json');
    expect(json.code).toBe(0);
    const inspected = JSON.parse(json.stdout) as { totalBytes: number; budget: { maxDiskBytes: number; diskPolicy: string; usedBytes: number; evictions: number } };
    expect(inspected.budget).toEqual({ maxDiskBytes: BUDGET, diskPolicy: 'lru', usedBytes: inspected.totalBytes, evictions: first.evicted });
    expect(inspected.totalBytes).toBeGreaterThan(0);

    const text = await larder('inspect', dir);
    expect(text.stdout).toMatch(/^budget\s+256.0 KiB maxDiskBytes, diskPolicy 'lru': .+ used \(\d+%\), [\d,]+ keys evicted$/m);

    // A second life of the store: the count goes on. While it is open, inspect reads the count
    // as of the last compaction after evictions; after it stops, every one.
    const second = await fill(dir, 'b', 300, true);
    expect(second.evicted).toBeGreaterThan(0);
    const during = JSON.parse((await larder('inspect', dir, '--json')).stdout) as typeof inspected;
    expect(during.budget.evictions).toBeGreaterThanOrEqual(first.evicted);
    expect(during.budget.evictions).toBeLessThanOrEqual(first.evicted + second.evicted);
    await second.stop();
    const after = JSON.parse((await larder('inspect', dir, '--json')).stdout) as typeof inspected;
    expect(after.budget.evictions).toBe(first.evicted + second.evicted);
  });

  it('says there is none for a store without one, and for the files store', async () => {
    const log = tempDir();
    const a = await openCacher({ dir: log, store: 'log' });
    a.cache.set('k', 1);
    await a.cache.stop();
    expect((await larder('inspect', log)).stdout).toMatch(/^budget\s+none \(no maxDiskBytes\)$/m);
    expect(JSON.parse((await larder('inspect', log, '--json')).stdout)).toMatchObject({ budget: null });

    const files = tempDir();
    const b = await openCacher({ dir: files, store: 'files' });
    b.cache.set('k', 1);
    await b.cache.stop();
    expect((await larder('inspect', files)).stdout).toMatch(/^budget\s+none \(the files store has no disk budget\)$/m);
  });
});
