import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nextError, openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher, type LarderError, type WriteFailedError } from '../../src/main/index.js';

// Faults are read by each worker when it starts (src/shared/fs/fs-layer.ts); the pool starts on
// the first flush, so the variable only needs to be set until then.
afterEach(() => {
  delete process.env.LARDER_FAULTS;
});

describe('no silent loss (invariant 3)', () => {
  for (const code of ['ENOSPC', 'EIO']) {
    it(`${code} from the disk is reported with its OS code, retried, and nothing is lost`, async () => {
      process.env.LARDER_FAULTS = JSON.stringify({ code, ops: ['writeSync'], times: 3 });
      const dir = tempDir();
      const { cache, errors } = await openCacher({ dir, store: 'files', threads: 1, batchSize: 10 });
      for (let i = 0; i < 10; i++) cache.set(`k${i}`, `v${i}`);

      const first = (await cache.sync().catch((e: unknown) => e)) as WriteFailedError;
      expect(first.code).toBe('ERR_WRITE_FAILED');
      expect(first.osCode).toBe(code);
      expect(first.keys.length).toBeGreaterThan(0);
      expect(cache.get(first.keys[0] as string)).toBeDefined();

      // retries continue in the background with backoff; a later barrier sees everything land
      let synced = false;
      for (let attempt = 0; attempt < 20 && !synced; attempt++) {
        synced = await cache.sync({ timeout: 10_000 }).then(() => true, () => false);
      }
      expect(synced).toBe(true);
      expect(errors.filter((e) => e.code === 'ERR_WRITE_FAILED').length).toBeGreaterThanOrEqual(1);
      expect(cache.stats.retries).toBeGreaterThanOrEqual(3);
      await cache.stop();
      const reopened = await Cacher.open({ dir, store: 'files' });
      try {
        for (let i = 0; i < 10; i++) expect(reopened.get(`k${i}`)).toBe(`v${i}`);
      } finally {
        await reopened.stop();
      }
    });
  }

  it('reports a value that cannot be serialized by key, keeps it in memory, and keeps writing the rest', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files' });
    const fn = () => 1;
    const reported = nextError(cache);
    const flushed = new Promise((resolve) => cache.once('flush', resolve));
    cache.set('bad', fn);
    cache.set('good', { ok: true });
    const error = await reported;
    expect(error.code).toBe('ERR_NOT_SERIALIZABLE');
    expect(error.keys).toEqual(['bad']);
    expect(cache.get('bad')).toBe(fn);
    await expect(cache.sync()).rejects.toMatchObject({ code: 'ERR_NOT_SERIALIZABLE', keys: ['bad'] });
    expect(cache.stats.failed).toBe(1);
    // the good value was written: the engine kept running
    await flushed;
    expect(cache.stats.flushed).toBeGreaterThanOrEqual(1);
    // replacing the bad value clears the failure
    cache.set('bad', 'fixed');
    await cache.sync();
    expect(cache.stats.failed).toBe(0);
  });

  it('a save() of a value with a symbol rejects with ERR_NOT_SERIALIZABLE', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files' });
    await expect(cache.save('sym', Symbol('x'))).rejects.toMatchObject({ code: 'ERR_NOT_SERIALIZABLE' });
    cache.discard();
    await cache.sync();
  });

  it('replaces a worker that dies mid-batch and retries its batch', async () => {
    const dir = tempDir();
    const marker = join(dir, 'die-once');
    writeFileSync(marker, '');
    process.env.LARDER_FAULTS = JSON.stringify({ exitIfExists: marker });
    const { cache, errors } = await openCacher({ dir: join(dir, 'store'), store: 'files', threads: 1 });
    cache.set('survivor', 'value');
    const died = (await cache.sync().catch((e: unknown) => e)) as LarderError;
    expect(died.code).toBe('ERR_WORKER_DIED');
    expect(existsSync(marker)).toBe(false);
    await cache.sync({ timeout: 20_000 }).catch(() => cache.sync({ timeout: 20_000 }));
    expect(errors.map((e) => e.code)).toContain('ERR_WORKER_DIED');
    await cache.stop();
    const reopened = await Cacher.open({ dir: join(dir, 'store'), store: 'files' });
    try {
      expect(reopened.get('survivor')).toBe('value');
    } finally {
      await reopened.stop();
    }
  });
});
