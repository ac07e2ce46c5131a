import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hashKey, shardedPath } from '../../src/shared/key-hash.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher, type LarderError } from '../../src/main/index.js';

async function storeWith(dir: string, entries: Record<string, unknown>): Promise<void> {
  const cache = await Cacher.open({ dir, store: 'files' });
  for (const [k, v] of Object.entries(entries)) cache.set(k, v);
  await cache.stop();
}

async function readAfterDamage(dir: string, key: string): Promise<{ value: unknown; errors: LarderError[]; other: unknown }> {
  const cache = await Cacher.open({ dir, store: 'files' });
  const errors: LarderError[] = [];
  cache.on('error', (e: LarderError) => errors.push(e));
  try {
    return { value: cache.get(key), errors, other: cache.get('intact') };
  } finally {
    await cache.stop();
  }
}

const fileOf = (dir: string, key: string) => shardedPath(dir, hashKey(key)).file;

describe('damaged files read as misses, reported, never a crash (invariant 5)', () => {
  it('a flipped byte in the value', async () => {
    const dir = tempDir();
    await storeWith(dir, { victim: 'x'.repeat(100), intact: 'fine' });
    const file = fileOf(dir, 'victim');
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff;
    writeFileSync(file, bytes);
    const { value, errors, other } = await readAfterDamage(dir, 'victim');
    expect(value).toBeUndefined();
    expect(other).toBe('fine');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('ERR_CORRUPT_RECORD');
    expect(errors[0]?.keys).toEqual(['victim']);
  });

  it('a truncated file', async () => {
    const dir = tempDir();
    await storeWith(dir, { victim: { big: 'y'.repeat(500) }, intact: 'fine' });
    truncateSync(fileOf(dir, 'victim'), 40);
    const { value, errors, other } = await readAfterDamage(dir, 'victim');
    expect(value).toBeUndefined();
    expect(other).toBe('fine');
    expect(errors.map((e) => e.code)).toEqual(['ERR_CORRUPT_RECORD']);
  });

  it('an empty file and a file of garbage', async () => {
    const dir = tempDir();
    await storeWith(dir, { a: 1, b: 2, intact: 'fine' });
    writeFileSync(fileOf(dir, 'a'), '');
    writeFileSync(fileOf(dir, 'b'), 'not a record at all, just text that is long enough');
    const cache = await Cacher.open({ dir, store: 'files' });
    const errors: LarderError[] = [];
    cache.on('error', (e: LarderError) => errors.push(e));
    try {
      expect(cache.get('a')).toBeUndefined();
      expect(cache.get('b')).toBeUndefined();
      expect(cache.get('intact')).toBe('fine');
      expect(errors.map((e) => e.code)).toEqual(['ERR_CORRUPT_RECORD', 'ERR_CORRUPT_RECORD']);
      // the store keeps working: the damaged keys can be written again
      await cache.save('a', 'rewritten');
      expect(cache.get('a')).toBe('rewritten');
    } finally {
      await cache.stop();
    }
  });

  it('a record from a future format version is a miss', async () => {
    const dir = tempDir();
    await storeWith(dir, { future: 1, intact: 'fine' });
    const file = fileOf(dir, 'future');
    const bytes = readFileSync(file);
    bytes[4] = 99; // format version; the checksum now fails too, which is also a miss
    writeFileSync(file, bytes);
    const { value, other } = await readAfterDamage(dir, 'future');
    expect(value).toBeUndefined();
    expect(other).toBe('fine');
  });
});
