/**
 * `larder compact` on a full disk (a real tmpfs): a service overwrote its keys until the disk
 * was full (its own compaction off) and was killed (its lock left behind, not one byte free);
 * the command frees the dead bytes, and the store takes writes again.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { larder } from '../helpers/cli.js';
import { openCacher } from '../helpers/engine.js';
import { freeBytes, requireMount, smallDisk } from '../helpers/small-disk.js';
import { LogStore, type LarderError } from '../../src/main/index.js';

const canRun = requireMount('cli-compact-full-disk');

const value = (i: number, round: number): string => `${i}:${round}:`.padEnd(1000, 'x');
const isNoSpace = (e: LarderError): boolean => (e as { osCode?: string }).osCode === 'ENOSPC';
const storeBytes = (dir: string): number => readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);

describe.skipIf(!canRun)('larder compact on a full disk (real tmpfs)', () => {
  it('frees the dead bytes of a store that filled its disk, so that it takes writes again', { timeout: 180_000 }, async () => {
    const disk = smallDisk(8192);
    const dir = join(disk, 'store');
    mkdirSync(dir);
    const keys = 1500;
    const { cache, errors } = await openCacher({ dir, store: new LogStore(dir, { autoCompact: false }), batchSize: 100 });
    const full = new Promise<void>((resolve) => cache.on('error', (e: LarderError) => isNoSpace(e) && resolve()));
    let round = 0;
    let filled = false;
    void full.then(() => (filled = true));
    const latest = new Map<number, number>();
    while (!filled) {
      for (let i = 0; i < keys; i++) cache.set(`k${i}`, value(i, round));
      await cache.sync({ timeout: 30_000 }).catch(() => undefined);
      if (!filled) for (let i = 0; i < keys; i++) latest.set(i, round);
      round++;
    }
    // The service gives up what the disk could not take (what sync() confirmed is on disk) and stops.
    for (let stopped = false; !stopped; ) {
      cache.discard();
      stopped = await cache.stop({ timeout: 10_000 }).then(() => true, () => false);
    }
    expect(errors.some(isNoSpace)).toBe(true);
    // As if it had been killed instead: its lock is left behind, and the last bytes are taken.
    writeFileSync(join(dir, 'LOCK'), `${spawnSync(process.execPath, ['-e', '']).pid}\n`);
    writeFileSync(join(disk, 'filler'), Buffer.alloc(freeBytes(disk)));
    expect(freeBytes(disk)).toBe(0);
    const before = storeBytes(dir);

    const compacted = await larder('compact', dir);
    expect(compacted).toMatchObject({ code: 0, stdout: expect.stringMatching(/^compacted \d+ segment\(s\)/), stderr: '' });
    expect(storeBytes(dir)).toBeLessThan(before / 2);
    const inspected = await larder('inspect', dir, '--json');
    expect(JSON.parse(inspected.stdout)).toMatchObject({ keys, deadBytes: 0, lockPid: null });

    const again = await openCacher({ dir, store: new LogStore(dir, { autoCompact: false }) });
    for (let i = 0; i < keys; i++) again.cache.set(`k${i}`, value(i, round));
    await again.cache.sync({ timeout: 30_000 });
    expect(again.errors).toEqual([]);
    for (let i = 0; i < keys; i += 7) expect(again.cache.get(`k${i}`)).toBe(value(i, round));
  });
});
