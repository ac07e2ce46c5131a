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
import { logContext, logTarget, utf8Batch } from '../fixtures/log-context.js';
import { WorkerPool, type TaskPool } from '../../src/main/core/worker-pool.js';
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

/** A batch of puts for `LogStore.write`, each value UTF-8, with what it transfers. */
function columns(keys: string[], valueOf: (key: string) => string): { columns: Parameters<LogStore['write']>[0]; transfer: ArrayBuffer[] } {
  const { op: _op, target: _target, ...batch } = utf8Batch(logTarget('unused'), keys, valueOf);
  return { columns: batch, transfer: [] };
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

  // The deterministic form of the test above's failure: without the wait, this batch was written
  // while the compaction ran and failed with ENOSPC itself (three runs in three).
  it('holds new batches while the compaction a full disk started runs, so they cannot take the space it frees', { timeout: 120_000 }, async () => {
    const disk = smallDisk(4 * 1024);
    const dir = join(disk, 'store');
    mkdirSync(dir);
    // Every task the store hands its pool, in the order they start and end.
    const real = new WorkerPool(1);
    const events: string[] = [];
    const pool: TaskPool = {
      threads: real.threads,
      warm: () => real.warm(),
      close: () => real.close(),
      run(task, transfer) {
        const name = task.op === 'log' ? task.job.job : task.op;
        events.push(`start ${name}`);
        return real.run(task, transfer).finally(() => events.push(`end ${name}`));
      },
    };
    const errors: LarderError[] = [];
    const store = new LogStore(dir, { segmentSize: 256 * 1024 });
    try {
      await store.open({ ...logContext(real, errors), pool: () => pool });
      const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
      const batch = (round: number): ReturnType<typeof columns> => columns(keys, (key) => `${round}:${key}:${'x'.repeat(1000)}`);
      // The same keys over and over, until a batch fails with ENOSPC: the sealed segments below are dead.
      let round = 0;
      for (; round < 200; round++) {
        const { columns: b, transfer } = batch(round);
        const result = await store.write(b, transfer);
        if (result.failures.some((f) => f.code === 'ENOSPC')) break;
      }
      expect(round).toBeLessThan(200);
      // The failure started a compaction; compact() shares the run under way.
      const run = store.compact();
      const from = events.length;
      let runEnded = -1;
      void run.then(() => (runEnded = events.length));
      const { columns: next, transfer } = batch(round + 1);
      const written = store.write(next, transfer);
      await run;
      expect((await written).failures, 'the batch written after the full disk').toEqual([]);
      const started = events.indexOf('start write', from);
      expect(events.slice(from, runEnded).filter((e) => e.endsWith(' write'))).toEqual([]);
      expect(started).toBeGreaterThanOrEqual(runEnded);
      expect(store.stats().compactions).toBeGreaterThan(0);
    } finally {
      await store.close();
      await real.close();
    }
  });
});
