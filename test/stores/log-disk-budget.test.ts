/**
 * The `log` store's disk budget (`maxDiskBytes`): under a long random workload (sets, overwrites,
 * deletes, TTLs) its segment files never exceed the budget plus the documented headroom (two
 * segments, each a sixteenth of the budget plus what lands past it, and the batches in flight;
 * hint files come on top, a few %), evictions are counted
 * and emitted, and after a reopen every key that was not evicted reads its latest value (an
 * evicted one reads nothing or its latest value: never an older one). `'none'` refuses instead.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock, openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { mulberry32 as random } from '../helpers/mulberry32.js';
import { LogStore, type EvictInfo, type DiskPolicy } from '../../src/main/stores/log/log-store.js';
import type { LarderError } from '../../src/main/index.js';

/** Bytes of the store's files now, those whose name ends with `suffix` (compaction may remove one while they are listed). */
const diskBytes = (dir: string, suffix = ''): number =>
  readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .reduce((sum, name) => sum + (statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0), 0);

const BUDGET = 2 * 1024 * 1024;
const BATCH = 100;
const MAX_VALUE = 2000;
// The batches in flight: one writer thread holds two, plus one queued (~MAX_VALUE + framing per record).
const IN_FLIGHT = 3 * BATCH * (MAX_VALUE + 200);
// The documented headroom (docs/log-store.md): two segments, each sealed once past a sixteenth of
// the budget and so up to the batches in flight larger, plus the batches in flight.
const HEADROOM = 2 * (BUDGET / 16 + IN_FLIGHT) + IN_FLIGHT;
// Hint files come on top of the segments the budget counts: ~30 bytes and the key per record, a few % here.
const HINTS = 0.05;

describe('log store disk budget', () => {
  for (const policy of ['lrs', 'lru'] as const satisfies readonly DiskPolicy[]) {
    it(`${policy}: a long random workload stays within maxDiskBytes + headroom, and every key not evicted reads its latest value after reopen`, { timeout: 120_000 }, async () => {
      const dir = tempDir();
      const clock = manualClock();
      const store = new LogStore(dir, { maxDiskBytes: BUDGET, diskPolicy: policy });
      const evicted = new Set<string>();
      let evictions = 0;
      store.on('evict', (info: EvictInfo) => {
        evictions += info.keys.length;
        for (const key of info.keys) evicted.add(key);
      });
      const { cache, errors } = await openCacher({ dir, store, batchSize: BATCH, timers: clock.timers });
      const next = random(policy === 'lrs' ? 18 : 81);
      /** Latest value per key; undefined: deleted. */
      const model = new Map<string, { value: string | undefined; expiresAt: number }>();
      let peak = 0;
      let peakAll = 0;
      const measure = (): void => {
        peak = Math.max(peak, diskBytes(dir, '.log'));
        peakAll = Math.max(peakAll, diskBytes(dir));
      };
      cache.on('flush', measure);
      for (let op = 0; op < 30_000; op++) {
        const key = `k${Math.floor(next() * 3000)}`;
        const roll = next();
        if (roll < 0.15) {
          cache.delete(key);
          model.set(key, { value: undefined, expiresAt: 0 });
        } else {
          const value = `${op}:`.padEnd(100 + Math.floor(next() * (MAX_VALUE - 100)), 'x');
          const ttl = roll < 0.3 ? 1 + Math.floor(next() * 5_000) : undefined;
          cache.set(key, value, ttl === undefined ? undefined : { ttl });
          model.set(key, { value, expiresAt: ttl === undefined ? 0 : clock.timers.now() + ttl });
        }
        // A key written again after its eviction is back: it must read its new value.
        evicted.delete(key);
        if (op % 500 === 499) {
          await cache.sync({ timeout: 30_000 });
          measure();
          clock.advance(100);
          // Reads from disk move keys up in 'lru'.
          for (let r = 0; r < 50; r++) cache.get(`k${Math.floor(next() * 3000)}`);
        }
      }
      await cache.sync({ timeout: 30_000 });
      measure();
      await cache.stop();
      expect(errors).toEqual([]);
      expect(evictions).toBeGreaterThan(0);
      expect(store.stats().evictions).toBe(evictions);
      console.log(`log disk budget (${policy}): peak ${peak} bytes of files, budget + headroom ${BUDGET + HEADROOM}; with hints ${peakAll}; ${evictions} evictions`);
      expect(peak).toBeLessThanOrEqual(BUDGET + HEADROOM);
      expect(peakAll).toBeLessThanOrEqual((BUDGET + HEADROOM) * (1 + HINTS));

      const again = await openCacher({ dir, store: new LogStore(dir, { maxDiskBytes: BUDGET, diskPolicy: policy }), timers: clock.timers });
      const now = clock.timers.now();
      let checked = 0;
      for (const [key, { value, expiresAt }] of model) {
        const read = again.cache.get(key);
        const latest = expiresAt !== 0 && expiresAt <= now ? undefined : value;
        if (evicted.has(key)) expect([undefined, latest]).toContain(read);
        else {
          expect(read).toBe(latest);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(100);
      expect(diskBytes(dir, '.log')).toBeLessThanOrEqual(BUDGET + HEADROOM);
    });
  }

  it('validates its options, naming them', () => {
    expect(() => new LogStore('d', { maxDiskBytes: -1 })).toThrow(/maxDiskBytes/);
    expect(() => new LogStore('d', { maxDiskBytes: 1024, autoCompact: false })).toThrow(/maxDiskBytes needs autoCompact/);
    expect(() => new LogStore('d', { diskPolicy: 'lfu' as DiskPolicy })).toThrow(/diskPolicy must be 'lrs', 'lru' or 'none', received/);
    expect(new LogStore('d').maxDiskBytes).toBe(Number.POSITIVE_INFINITY);
  });

  it("'none' refuses writes at the budget with ERR_DISK_FULL, keeps them queued, and takes them once deletes made room", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const budget = 512 * 1024;
    const { cache, errors } = await openCacher({ dir, store: new LogStore(dir, { maxDiskBytes: budget, diskPolicy: 'none' }), batchSize: 50 });
    const refused = new Promise<LarderError>((resolve) => cache.on('error', (e: LarderError) => (e as { osCode?: string }).osCode === 'ERR_DISK_FULL' && resolve(e)));
    for (let i = 0; i < 400; i++) cache.set(`k${i}`, 'v'.repeat(1000));
    expect(await refused).toMatchObject({ code: 'ERR_WRITE_FAILED', osCode: 'ERR_DISK_FULL' });
    expect(errors.every((e) => (e as { osCode?: string }).osCode === 'ERR_DISK_FULL')).toBe(true);
    for (let i = 0; i < 400; i++) expect(cache.get(`k${i}`)).toBe('v'.repeat(1000));
    // Deleting most keys: the refused writes of the rest land.
    for (let i = 0; i < 300; i++) cache.delete(`k${i}`);
    // Called while the refused writes are being retried: it waits through the retries.
    await cache.sync({ timeout: 30_000 });
    await cache.stop();
    const again = await openCacher({ dir, store: new LogStore(dir, { maxDiskBytes: budget, diskPolicy: 'none' }) });
    for (let i = 300; i < 400; i++) expect(again.cache.get(`k${i}`)).toBe('v'.repeat(1000));
    expect(again.cache.get('k0')).toBeUndefined();
  });
});
