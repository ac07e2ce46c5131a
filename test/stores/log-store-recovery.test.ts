/**
 * Recovery of the `log` store from damage: a torn tail is cut off, a corrupt record in the
 * middle is skipped and reported (never a crash), a stretch of zeros left by a batch that
 * never landed is skipped silently; `verify()` finds damage; `clear()` and the exit hook's
 * synchronous write work.
 */
import { appendFileSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecord, RecordKind } from '../../src/shared/format/record.js';
import { v8Codec } from '../../src/shared/codecs.js';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { sortedKeys } from '../fixtures/log-context.js';
import { LogStore } from '../../src/main/index.js';

const segments = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
const hints = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.hint'));
const removeHints = (dir: string): void => hints(dir).forEach((n) => unlinkSync(join(dir, n)));

async function writeAndStop(dir: string, values: Record<string, unknown>): Promise<void> {
  const { cache } = await openCacher({ dir, store: new LogStore(dir), threads: 1 });
  for (const [key, value] of Object.entries(values)) cache.set(key, value);
  await cache.sync();
  await cache.stop();
}

// Faults are read by each worker when it starts; the pool starts on the first flush.
afterEach(() => {
  delete process.env.LARDER_FAULTS;
});

describe('log store recovery', () => {
  it('reports a failed batch with its OS code, retries it, and the range it left reads as nothing', async () => {
    process.env.LARDER_FAULTS = JSON.stringify({ code: 'ENOSPC', ops: ['writeSync'], times: 2 });
    const dir = tempDir();
    const { cache, errors } = await openCacher({ dir, store: new LogStore(dir), threads: 1, batchSize: 5 });
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, `v${i}`);
    let synced = false;
    for (let attempt = 0; attempt < 20 && !synced; attempt++) synced = await cache.sync({ timeout: 10_000 }).then(() => true, () => false);
    expect(synced).toBe(true);
    expect(errors.some((e) => e.code === 'ERR_WRITE_FAILED' && (e as { osCode?: string }).osCode === 'ENOSPC')).toBe(true);
    await cache.stop();
    delete process.env.LARDER_FAULTS;
    removeHints(dir);
    const again = await openCacher({ dir, store: new LogStore(dir), threads: 1 });
    for (let i = 0; i < 20; i++) expect(again.cache.get(`k${i}`)).toBe(`v${i}`);
    expect(again.errors).toEqual([]);
  });

  it('cuts a torn tail off the last segment and keeps every whole record', async () => {
    const dir = tempDir();
    await writeAndStop(dir, { a: 'alpha', b: { n: 2 }, c: [3] });
    const file = join(dir, segments(dir).at(-1) as string);
    const whole = statSync(file).size;
    // Half a record, as a kill in the middle of a write leaves it.
    const record = encodeRecord('d', v8Codec.encode('delta'), { kind: RecordKind.put, codec: v8Codec.id, createdAt: 1, expiresAt: 0 });
    appendFileSync(file, record.subarray(0, record.length - 3));

    const { cache, errors } = await openCacher({ dir, store: new LogStore(dir), threads: 1 });
    expect(statSync(file).size).toBe(whole);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.get('d')]).toEqual(['alpha', { n: 2 }, [3], undefined]);
    expect(errors).toEqual([]);
    cache.set('d', 'written after recovery');
    await cache.sync();
    await cache.stop();

    const again = await openCacher({ dir, store: new LogStore(dir), threads: 1 });
    expect(again.cache.get('d')).toBe('written after recovery');
    expect(again.cache.get('a')).toBe('alpha');
  });

  it('skips and reports a corrupt record in the middle, at open and at read', async () => {
    const dir = tempDir();
    await writeAndStop(dir, { first: 'one', middle: 'two-'.repeat(20), last: 'three' });
    const file = join(dir, segments(dir)[0] as string);
    const bytes = readFileSync(file);
    const at = bytes.indexOf('two-two-');
    bytes.writeUInt8((bytes[at + 5] as number) ^ 0xff, at + 5);
    writeFileSync(file, bytes);

    // With its hint the index still points at the record: the read finds the checksum wrong.
    const withHint = await openCacher({ dir, store: new LogStore(dir), threads: 1 });
    expect(withHint.cache.get('middle')).toBeUndefined();
    expect(withHint.errors.map((e) => e.code)).toEqual(['ERR_CORRUPT_RECORD']);
    // It names the segment and the record's offset (built only once the record is found bad).
    expect(withHint.errors[0]?.message).toContain(`${file}@${bytes.lastIndexOf('LRDR', at)}:`);
    expect(withHint.cache.get('first')).toBe('one');
    await withHint.cache.stop();

    // Without it, the scan at open finds it, reports it and resynchronises on the next record.
    removeHints(dir);
    const scanned = await openCacher({ dir, store: new LogStore(dir), threads: 1 });
    expect(scanned.errors.map((e) => e.code)).toEqual(['ERR_CORRUPT_RECORD']);
    expect(scanned.errors[0]?.message).toMatch(/checksum/);
    expect([scanned.cache.get('first'), scanned.cache.get('middle'), scanned.cache.get('last')]).toEqual(['one', undefined, 'three']);
    const report = await scanned.cache.verify();
    expect(report?.problems).toHaveLength(1);
    expect(report?.records).toBe(2);
  });

  it('skips a stretch of zeros (a batch that never landed) without reporting it', async () => {
    const dir = tempDir();
    await writeAndStop(dir, { before: 1 });
    const file = join(dir, segments(dir)[0] as string);
    const record = encodeRecord('after', v8Codec.encode(2), { kind: RecordKind.put, codec: v8Codec.id, createdAt: 1, expiresAt: 0 });
    appendFileSync(file, Buffer.concat([Buffer.alloc(5000), record]));
    removeHints(dir);
    const { cache, errors } = await openCacher({ dir, store: new LogStore(dir), threads: 1 });
    expect([cache.get('before'), cache.get('after')]).toEqual([1, 2]);
    expect(errors).toEqual([]);
  });

  it('persists deletes, clears everything, and writes synchronously on the exit path', async () => {
    const dir = tempDir();
    const { cache } = await openCacher({ dir, store: new LogStore(dir), threads: 1 });
    cache.set('gone', 1);
    cache.set('kept', 2);
    await cache.sync();
    cache.delete('gone');
    await cache.sync();
    await cache.clear();
    expect(segments(dir)).toEqual([]);
    expect(cache.get('kept')).toBeUndefined();
    cache.set('late', 'via flushSync');
    cache.flushSync();
    expect(segments(dir)).toHaveLength(1);
    await cache.stop();

    const again = await openCacher({ dir, store: new LogStore(dir), threads: 1 });
    expect(await sortedKeys(again.cache)).toEqual(['late']);
    expect(again.cache.get('late')).toBe('via flushSync');
    expect(again.cache.storeStats).toMatchObject({ kind: 'log', keys: 1, segments: 1 });
  });
});
