import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { FlushInfo } from '../../src/main/index.js';

const nextFlush = (cache: { once(e: 'flush', fn: (info: FlushInfo) => void): unknown }) =>
  new Promise<FlushInfo>((resolve) => cache.once('flush', resolve));

describe('flush scheduler', () => {
  it('flushes a lone change within flushDelay, with no further activity', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files', flushDelay: 30 });
    const flushed = nextFlush(cache);
    cache.set('lonely', 1);
    const info = await flushed;
    expect(info.entries).toBe(1);
    expect(cache.stats.queued + cache.stats.inFlight).toBe(0);
  });

  it('does not flush before flushDelay when nothing else asks', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files', flushDelay: 60_000 });
    cache.set('waiting', 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(cache.stats.flushed).toBe(0);
    expect(cache.stats.queued).toBe(1);
  });

  it('flushes as soon as batchSize writes are queued', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files', flushDelay: 60_000, batchSize: 10 });
    const flushed = nextFlush(cache);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i);
    expect((await flushed).entries).toBe(10);
  });

  it('flushes early when a save point (seconds, changes) is met', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files', flushDelay: 60_000, savePoints: [[0, 5], [3600, 1]] });
    cache.set('a', 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(cache.stats.flushed).toBe(0); // 1 change < 5, and the hour-long rule is far off
    const flushed = nextFlush(cache);
    for (let i = 0; i < 4; i++) cache.set(`k${i}`, i);
    expect((await flushed).entries).toBe(5);
  });

  it('writes nothing while paused and catches up on resume', async () => {
    const { cache } = await openCacher({ dir: tempDir(), store: 'files', flushDelay: 1 });
    cache.pause();
    expect(cache.isPaused).toBe(true);
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, i);
    await new Promise((r) => setTimeout(r, 50));
    expect(cache.stats.flushed).toBe(0);
    cache.resume();
    await cache.sync();
    expect(cache.stats.flushed).toBe(20);
  });
});
