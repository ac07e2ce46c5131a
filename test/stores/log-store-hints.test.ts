/**
 * Hint files make open read only the index, never the values; a hint that is missing, stale
 * (its segment has grown since) or damaged is ignored and the segment scanned instead, and
 * the index loaded either way is the same.
 */
import { appendFileSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/main/core/worker-pool.js';
import { encodeRecord, RecordKind } from '../../src/shared/format/record.js';
import { v8Codec } from '../../src/shared/codecs.js';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { logContext } from '../fixtures/log-context.js';
import { type LarderError, LogStore } from '../../src/main/index.js';

let pool: WorkerPool;
beforeAll(() => {
  pool = new WorkerPool(1);
});
afterAll(async () => {
  await pool.close();
});

const hints = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.hint')).sort();

/** Every key and value the store serves, read with a store opened on `dir`. */
async function snapshot(dir: string): Promise<{ entries: Record<string, unknown>; errors: LarderError[] }> {
  const errors: LarderError[] = [];
  const store = new LogStore(dir, { readOnly: true });
  await store.open(logContext(pool, errors));
  const entries: Record<string, unknown> = {};
  for (const key of [...store.keys()].sort()) entries[key] = store.read(key)?.value;
  await store.close();
  return { entries, errors };
}

/** A sync that waits out injected failures: each one is retried by the engine. */
async function syncThroughFaults(cache: { sync(): Promise<void> }): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await cache.sync();
    } catch (error) {
      if (attempt > 20) throw error;
    }
  }
}

async function fill(dir: string): Promise<Record<string, unknown>> {
  const { cache } = await openCacher({ dir, store: new LogStore(dir, { segmentSize: 2048 }), threads: 1, batchSize: 8 });
  const expected: Record<string, unknown> = {};
  for (let i = 0; i < 60; i++) {
    cache.set(`key ${i} ✓`, { i, text: 'é'.repeat(i) });
    expected[`key ${i} ✓`] = { i, text: 'é'.repeat(i) };
  }
  await syncThroughFaults(cache);
  cache.delete('key 3 ✓');
  delete expected['key 3 ✓'];
  await syncThroughFaults(cache);
  await cache.stop();
  return expected;
}

describe('log store hint files', () => {
  it('writes a hint per sealed segment and loads the same index from hints as from a scan', async () => {
    const dir = tempDir();
    const expected = await fill(dir);
    const segmentCount = readdirSync(dir).filter((n) => n.endsWith('.log')).length;
    expect(segmentCount).toBeGreaterThan(1);
    expect(hints(dir)).toHaveLength(segmentCount);
    const fromHints = await snapshot(dir);
    expect(fromHints.entries).toEqual(expected);
    for (const hint of hints(dir)) unlinkSync(join(dir, hint));
    const scanned = await snapshot(dir);
    expect(scanned.entries).toEqual(expected);
    expect(scanned.errors).toEqual([]);
  });

  /** Deletes the hints, lets a writable open scan and rewrite them, and compares bytes. */
  async function expectHintsAsScanned(dir: string): Promise<void> {
    const remembered = new Map(hints(dir).map((h) => [h, readFileSync(join(dir, h))]));
    expect(remembered.size).toBeGreaterThan(1);
    for (const hint of remembered.keys()) unlinkSync(join(dir, hint));
    const errors: LarderError[] = [];
    const store = new LogStore(dir);
    await store.open(logContext(pool, errors));
    await store.close();
    expect(errors).toEqual([]);
    for (const [hint, bytes] of remembered) expect(readFileSync(join(dir, hint)).equals(bytes), hint).toBe(true);
  }

  it('a hint written from what the writer remembers is byte for byte the hint a scan writes', async () => {
    const dir = tempDir();
    await fill(dir);
    await expectHintsAsScanned(dir);
  });

  for (const op of ['writeSync', 'fsyncSync']) {
    it(`a segment with a failed batch (${op}) still gets the hint a scan would write`, async () => {
      const dir = tempDir();
      // The writer thread reads the plan when it starts: fill() starts a new one.
      process.env.LARDER_FAULTS = JSON.stringify({ code: 'EIO', ops: [op], times: 2 });
      let expected: Record<string, unknown>;
      try {
        expected = await fill(dir);
      } finally {
        delete process.env.LARDER_FAULTS;
      }
      const fromHints = await snapshot(dir);
      expect(fromHints.entries).toEqual(expected);
      await expectHintsAsScanned(dir);
    });
  }

  it('ignores a stale hint: records appended after it are found', async () => {
    const dir = tempDir();
    const expected = await fill(dir);
    const last = readdirSync(dir).filter((n) => n.endsWith('.log')).sort().at(-1) as string;
    appendFileSync(join(dir, last), encodeRecord('appended', v8Codec.encode('late'), { kind: RecordKind.put, codec: v8Codec.id, createdAt: 1, expiresAt: 0 }));
    expect((await snapshot(dir)).entries).toEqual({ ...expected, appended: 'late' });
  });

  it('ignores a damaged hint', async () => {
    const dir = tempDir();
    const expected = await fill(dir);
    for (const hint of hints(dir)) {
      const bytes = readFileSync(join(dir, hint));
      bytes.writeUInt8((bytes.at(-2) as number) ^ 0x20, bytes.length - 2); // a letter of the last key changes case
      writeFileSync(join(dir, hint), bytes);
    }
    const { entries, errors } = await snapshot(dir);
    expect(entries).toEqual(expected);
    expect(errors).toEqual([]);
  });
});
