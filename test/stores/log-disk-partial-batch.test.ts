/**
 * A batch whose write ENOSPC cuts part-way must leave none of its bytes in the log: otherwise
 * the batches written after it (its retry, the next ones) land behind a damaged stretch, which
 * `verify()` reports as checksum mismatches in the middle of a segment (the log-disk-full flake
 * of issue 18), and its complete records, of writes reported failed, would be read at the
 * next open. On a real tmpfs with a few KiB left, so the cut is deterministic.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { freeBytes, requireMount, smallDisk } from '../helpers/small-disk.js';
import { tempDir } from '../helpers/temp-dir.js';
import { logTarget, utf8Batch } from '../fixtures/log-context.js';
import { LogStore, type LarderError } from '../../src/main/index.js';
import { recordSize } from '../../src/shared/format/record.js';
import type { LogTarget, WriteBatch } from '../../src/shared/protocol.js';
import { forgetSegments, withdraw, writeLogBatch } from '../../src/shared/writers/log-writer.js';
import { scanSegmentFile } from '../../src/worker/log/log-scan.js';

const canRun = requireMount('log-disk-partial-batch');

const value = (key: string): string => `${key}:`.padEnd(1000, 'v');
const isNoSpace = (e: LarderError): boolean => e.code === 'ERR_WRITE_FAILED' && (e as { osCode?: string }).osCode === 'ENOSPC';

/** `n` keys `${prefix}${i}` with ~1 KB string values, as the engine hands a batch to the writer. */
const batchOf = (prefix: string, n: number, target: LogTarget): WriteBatch =>
  utf8Batch(target, Array.from({ length: n }, (_, i) => `${prefix}${i}`), value);


const cursorOf = (target: LogTarget): number => Number(new BigInt64Array(target.cursor)[0]);

describe('the log writer takes a failed batch back out', () => {
  it('zeroes what it wrote and keeps its claim when another batch claimed a range after it', () => {
    const target = logTarget(tempDir());
    const path = join(target.dir, target.segment);
    const fd = openSync(path, 'w+');
    try {
      // A batch at [100, 400) wrote 250 bytes and failed; another thread claimed [400, 500).
      writeSync(fd, Buffer.alloc(250, 0x5a), 0, 250, 100);
      new BigInt64Array(target.cursor)[0] = 500n;
      expect(withdraw(fd, target.cursor, 100, 300, 250)).toEqual({ claimReturned: false });
      expect(readFileSync(path).subarray(100).every((b) => b === 0)).toBe(true);
      expect(cursorOf(target)).toBe(500);
      // The last claim: given back.
      expect(withdraw(fd, target.cursor, 400, 100, 0)).toEqual({ claimReturned: true });
      expect(cursorOf(target)).toBe(400);
    } finally {
      closeSync(fd);
    }
  });

  it.skipIf(!canRun)('on a real full disk: the batch after one cut short by ENOSPC lands where it began, and the segment scans clean', () => {
    const disk = smallDisk(1024);
    const dir = join(disk, 'store');
    mkdirSync(dir);
    const target = logTarget(dir);
    expect(writeLogBatch(batchOf('a', 20, target), target).failures).toEqual([]);
    const landed = cursorOf(target);

    // Room for a part of the next batch (~100 KB) only.
    const filler = join(disk, 'filler');
    writeFileSync(filler, Buffer.alloc(freeBytes(disk) - 24 * 1024));
    const cut = writeLogBatch(batchOf('b', 100, target), target);
    expect(cut.failures[0]).toMatchObject({ code: 'ENOSPC' });
    const afterCut = cursorOf(target);

    unlinkSync(filler);
    expect(writeLogBatch(batchOf('c', 50, target), target).failures).toEqual([]);
    // This thread's writer keeps descriptors open: the disk must be unmounted after the suite.
    forgetSegments([join(dir, target.segment)]);
    const scan = scanSegmentFile(join(dir, target.segment));
    expect(scan.problems).toEqual([]);
    expect(scan.records.keys).toEqual([...batchOf('a', 20, target).keys, ...batchOf('c', 50, target).keys]);
    // Its claim was given back: the segment's end, as the store sees it, never counted it.
    expect(afterCut).toBe(landed);
    expect(cut.torn).toBeUndefined();
  });
});

describe.skipIf(!canRun)('a batch cut short by a full disk (real tmpfs)', () => {
  it('leaves none of its bytes in the log: what lands after it verifies clean, before and after a reopen, and every key reads back', { timeout: 60_000 }, async () => {
    const disk = smallDisk(4096);
    const dir = join(disk, 'store');
    mkdirSync(dir);
    const { cache, errors } = await openCacher({ dir, store: new LogStore(dir), batchSize: 100 });
    const keys: string[] = [];
    const write = (prefix: string, n: number): void => {
      for (let i = 0; i < n; i++) {
        keys.push(`${prefix}${i}`);
        cache.set(`${prefix}${i}`, value(`${prefix}${i}`));
      }
    };
    write('a', 50);
    await cache.sync({ timeout: 30_000 });

    // Room for about a third of the next batch (~100 KB): its write stops part-way.
    const filler = join(disk, 'filler');
    writeFileSync(filler, Buffer.alloc(freeBytes(disk) - 32 * 1024));
    const full = new Promise<void>((resolve) => cache.on('error', (e: LarderError) => isNoSpace(e) && resolve()));
    write('b', 100);
    await full;

    unlinkSync(filler);
    await cache.sync({ timeout: 30_000 }); // waits through the retry
    write('c', 100);
    await cache.sync({ timeout: 30_000 });
    expect(errors.every(isNoSpace)).toBe(true);
    expect((await cache.verify())?.problems).toEqual([]);
    await cache.stop();

    const again = await openCacher({ dir, store: new LogStore(dir) });
    expect((await again.cache.verify())?.problems).toEqual([]);
    for (const key of keys) expect(again.cache.get(key)).toBe(value(key));
    expect(again.errors).toEqual([]);
    await again.cache.stop();
  });

  it('a write reported failed and then discarded does not come back at the next open: the seal cuts what it left', { timeout: 60_000 }, async () => {
    const disk = smallDisk(4096);
    const dir = join(disk, 'store');
    mkdirSync(dir);
    const { cache } = await openCacher({ dir, store: new LogStore(dir), batchSize: 100 });
    for (let i = 0; i < 50; i++) cache.set(`a${i}`, value(`a${i}`));
    await cache.sync({ timeout: 30_000 });
    writeFileSync(join(disk, 'filler'), Buffer.alloc(freeBytes(disk) - 32 * 1024));
    const full = new Promise<void>((resolve) => cache.on('error', (e: LarderError) => isNoSpace(e) && resolve()));
    for (let i = 0; i < 100; i++) cache.set(`b${i}`, value(`b${i}`));
    await full;
    // The caller gives up on them (a retry still in flight fails on the full disk and is dropped).
    cache.discard();
    await cache.stop({ timeout: 30_000 });
    const segments = readdirSync(dir).filter((name) => name.endsWith('.log'));
    expect(segments).toHaveLength(1);
    let landed = 0;
    for (let i = 0; i < 50; i++) landed += recordSize(`a${i}`.length, 1000);
    expect(statSync(join(dir, segments[0] as string)).size).toBe(landed);

    const again = await openCacher({ dir, store: new LogStore(dir) });
    expect(again.cache.get('b0')).toBeUndefined();
    expect(again.cache.get('a49')).toBe(value('a49'));
    expect((await again.cache.verify())?.problems).toEqual([]);
    expect(again.errors).toEqual([]);
    await again.cache.stop();
  });
});
