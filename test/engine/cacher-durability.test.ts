import { describe, expect, it } from 'vitest';
import { runChild } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher } from '../../src/main/index.js';

async function expectAll(dir: string, count: number): Promise<void> {
  const cache = await Cacher.open({ dir, store: 'files' });
  try {
    for (let i = 0; i < count; i++) expect(cache.get(`k${i}`)).toMatchObject({ i });
  } finally {
    await cache.stop();
  }
}

describe('durability (invariants 4, 5, 8)', () => {
  it('everything sync() confirmed survives a SIGKILL right after it resolved', async () => {
    const dir = tempDir();
    const child = runChild('engine-writer.ts', [dir, 'sync', '2000']);
    await child.waitFor(/^SYNCED$/);
    child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    await expectAll(dir, 2000);
  });

  it('exitHooks: process.exit() with writes queued does a last synchronous flush', async () => {
    const dir = tempDir();
    const child = runChild('engine-writer.ts', [dir, 'exit', '500']);
    expect((await child.exited).code).toBe(0);
    await expectAll(dir, 500);
  });

  it('exitHooks: SIGTERM flushes, then the process still dies of SIGTERM', async () => {
    const dir = tempDir();
    const child = runChild('engine-writer.ts', [dir, 'signal', '500']);
    await child.waitFor(/^READY$/);
    child.kill('SIGTERM');
    expect((await child.exited).signal).toBe('SIGTERM');
    await expectAll(dir, 500);
  });
});

describe("durability 'os' and 'none'", () => {
  for (const durability of ['os', 'none'] as const) {
    it(`${durability}: writes land and read back after reopen`, async () => {
      const dir = tempDir();
      const cache = await Cacher.open({ dir, store: 'files', durability });
      for (let i = 0; i < 50; i++) cache.set(`k${i}`, { i });
      cache.set('k0', { i: 0, again: true });
      await cache.stop();
      const reopened = await Cacher.open({ dir, store: 'files' });
      try {
        expect(reopened.get('k0')).toEqual({ i: 0, again: true });
        for (let i = 1; i < 50; i++) expect(reopened.get(`k${i}`)).toEqual({ i });
      } finally {
        await reopened.stop();
      }
    });
  }
});
