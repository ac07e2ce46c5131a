/**
 * `@node-rs/crc32` is an optional dependency (src/shared/format/crc32.ts). Without it larder uses
 * zlib's CRC-32, and a store written with either is read with the other.
 */
import { describe, expect, it } from 'vitest';
import { fixture, openCacher, runChild } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('without the native CRC-32', () => {
  it('falls back to zlib, and stores cross between the two both ways', async () => {
    const dir = tempDir();
    const count = 500;
    const first = await openCacher({ dir });
    for (let i = 0; i < count; i++) first.cache.set(`parent:${i}`, `value ${i}`);
    await first.cache.stop();

    const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --require ${fixture('without-native-crc32.cjs')}`;
    const child = runChild('crc32-fallback-child.ts', [dir, String(count)], { NODE_OPTIONS: nodeOptions });
    expect(await child.waitFor(/^native /)).toBe('native absent, zlib in use true');
    expect(await child.waitFor(/^read back /)).toBe(`read back ${count}`);
    await child.waitFor(/^stopped$/);
    expect((await child.exited).code).toBe(0);

    const { cache, errors } = await openCacher({ dir });
    for (let i = 0; i < count; i++) expect(cache.get(`child:${i}`)).toEqual({ i, text: `child ${i}` });
    expect(errors).toEqual([]);
  });
});
