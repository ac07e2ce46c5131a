/**
 * The `log` store on a real full filesystem (a small tmpfs, mounted when the test runs as root:
 * CI does; elsewhere the suite is skipped with the reason printed). A batch failing with ENOSPC
 * is reported, kept and retried; the store reclaims dead bytes by itself (it seals the active
 * segment and compacts, one segment at a time), so it recovers both when space is freed from
 * outside and when only its own overwrites and deletes can free it.
 */
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { freeBytes, requireMount, smallDisk } from '../helpers/small-disk.js';
import { LogStore, type Cacher, type LarderError } from '../../src/main/index.js';

const canRun = requireMount('log-disk-full');

const value = (i: number, round: number): { i: number; round: number; pad: string } => ({ i, round, pad: `${round}`.repeat(1000) });

/** A sync() that may first see the failure under way (ERR_WRITE_FAILED), then waits through the retries. */
async function syncThrough(cache: Cacher): Promise<void> {
  try {
    await cache.sync({ timeout: 60_000 });
  } catch (error) {
    if ((error as LarderError).code !== 'ERR_WRITE_FAILED') throw error;
    await cache.sync({ timeout: 60_000 });
  }
}

const isNoSpace = (e: LarderError): boolean => e.code === 'ERR_WRITE_FAILED' && (e as { osCode?: string }).osCode === 'ENOSPC';

describe.skipIf(!canRun)('log store on a full disk (real tmpfs)', () => {
  it('reports ENOSPC, keeps the values, and lands them once space is freed from outside', { timeout: 120_000 }, async () => {
    const disk = smallDisk(16 * 1024);
    const dir = join(disk, 'store');
    mkdirSync(dir);
    const filler = join(disk, 'filler');
    writeFileSync(filler, Buffer.alloc(freeBytes(disk) - 3 * 1024 * 1024));
    const { cache, errors } = await openCacher({ dir, store: new LogStore(dir), batchSize: 200 });
    const full = new Promise<LarderError>((resolve) => cache.on('error', (e: LarderError) => isNoSpace(e) && resolve(e)));
    for (let i = 0; i < 4000; i++) cache.set(`k${i}`, value(i, 0));
    expect(await full).toMatchObject({ code: 'ERR_WRITE_FAILED', osCode: 'ENOSPC' });
    for (let i = 0; i < 4000; i += 397) expect(cache.get(`k${i}`)).toEqual(value(i, 0));

    unlinkSync(filler);
    await cache.sync({ timeout: 60_000 }); // called after the failure: waits through the retries
    await cache.stop();
    expect(errors.some(isNoSpace)).toBe(true);

    const again = await openCacher({ dir, store: new LogStore(dir) });
    for (let i = 0; i < 4000; i++) expect(again.cache.get(`k${i}`)).toEqual(value(i, 0));
    expect((await again.cache.verify())?.problems).toEqual([]);
    await again.cache.stop();
  });

  it('recovers by compaction alone when overwrites and deletes filled the disk (nothing freed from outside)', { timeout: 240_000 }, async () => {
    const disk = smallDisk(8 * 1024);
    const dir = join(disk, 'store');
    mkdirSync(dir);
    const keys = 2000;
    const rounds = 6; // ~13 MB appended for ~2.2 MB live
    const { cache, errors } = await openCacher({ dir, store: new LogStore(dir), batchSize: 200 });
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < keys; i++) cache.set(`k${i}`, value(i, round));
      await syncThrough(cache);
    }
    for (let i = 0; i < keys; i += 2) cache.delete(`k${i}`);
    await syncThrough(cache);
    // More overwrites after the deletes: their space must come from the deleted keys too.
    for (let i = 1; i < keys; i += 2) cache.set(`k${i}`, value(i, rounds));
    await syncThrough(cache);
    expect(errors.some(isNoSpace)).toBe(true);
    // While a compaction a full disk started runs, new batches wait for it; before, retried
    // batches took the space it freed and it failed with ENOSPC (1 run in 3–6 read 0 here, and
    // some never synced). A run counts once it has removed a segment; polled, as the sync above
    // can resolve with the run still going.
    await expect.poll(() => cache.storeStats?.compactions ?? 0, { timeout: 60_000 }).toBeGreaterThan(0);
    await cache.stop();

    const again = await openCacher({ dir, store: new LogStore(dir) });
    for (let i = 0; i < keys; i++) expect(again.cache.get(`k${i}`)).toEqual(i % 2 === 0 ? undefined : value(i, rounds));
    expect((await again.cache.verify())?.problems).toEqual([]);
    await again.cache.stop();
  });
});
