import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher } from '../../src/main/index.js';

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? [join(dir, d.name), ...walk(join(dir, d.name))] : [join(dir, d.name)]));
}

describe('files store: keys never name paths', () => {
  it('stores hostile keys under hashed names inside the store, with private modes', async () => {
    const root = tempDir();
    const dir = join(root, 'store');
    const hostile = ['..', '../escape', '/etc/passwd', 'a/b/c', 'nul\0byte', '', ' ', 'ünïcødé 🚀', 'k'.repeat(10 * 1024 * 1024)];
    const cache = await Cacher.open({ dir, store: 'files' });
    hostile.forEach((k, i) => cache.set(k, i));
    await cache.stop();

    expect(readdirSync(root)).toEqual(['store']); // nothing escaped
    const paths = walk(dir);
    for (const p of paths) {
      const rel = relative(dir, p);
      expect(rel).toMatch(/^[0-9a-f]{2}(\/[0-9a-f]{62}\.rec)?$/);
      const mode = statSync(p).mode & 0o777;
      expect(mode).toBe(statSync(p).isDirectory() ? 0o700 : 0o600);
    }
    expect(paths.filter((p) => p.endsWith('.rec'))).toHaveLength(hostile.length);

    const reopened = await Cacher.open({ dir, store: 'files' });
    try {
      hostile.forEach((k, i) => expect(reopened.get(k)).toBe(i));
      const keys: string[] = [];
      for await (const k of reopened.keys()) keys.push(k);
      expect(keys.sort()).toEqual([...hostile].sort());
    } finally {
      await reopened.stop();
    }
  });

  it('honours the mode option', async () => {
    const dir = join(tempDir(), 'store');
    const cache = await Cacher.open({ dir, store: 'files', mode: { file: 0o640, dir: 0o750 } });
    await cache.save('k', 1);
    await cache.stop();
    const [shard] = readdirSync(dir);
    const [file] = readdirSync(join(dir, shard as string));
    expect(statSync(join(dir, shard as string)).mode & 0o777).toBe(0o750);
    expect(statSync(join(dir, shard as string, file as string)).mode & 0o777).toBe(0o640);
  });

  it('rejects keys that are not strings', async () => {
    const cache = await Cacher.open({ store: 'memory' });
    try {
      expect(() => cache.set(42 as unknown as string, 1)).toThrow(TypeError);
      expect(() => cache.get({} as unknown as string)).toThrow(TypeError);
    } finally {
      await cache.stop();
    }
  });
});
