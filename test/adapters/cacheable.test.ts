/**
 * cacheable 2 with KeyvLarder as its secondary (L2) store: writes reach larder, a fresh
 * primary is filled from it, ttl and delete reach it, and what a killed process synced is read
 * back by a new one.
 */
import { describe, expect, it } from 'vitest';
import { Cacheable } from 'cacheable';
import { KeyvLarder } from '../../src/main/adapters/index.js';
import { manualClock, openCacher, runChild } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { closeAfter } from './adapter-helpers.js';

describe('cacheable with KeyvLarder as the secondary store', () => {
  it('writes through to larder and fills a fresh primary from it', async () => {
    const { cache: cacher } = await openCacher({ dir: tempDir() });
    const writer = new Cacheable({ secondary: new KeyvLarder(cacher) });
    await writer.set('user:1', { name: 'Ada' });
    // In larder under Keyv's namespace, as the JSON Keyv serialized.
    expect(JSON.parse(cacher.get('keyv:user:1') as string)).toMatchObject({ value: { name: 'Ada' } });

    // A second instance: an empty primary, the same secondary.
    const reader = new Cacheable({ secondary: new KeyvLarder(cacher) });
    expect(await reader.primary.get('user:1')).toBeUndefined();
    expect(await reader.get('user:1')).toEqual({ name: 'Ada' });
    expect(await reader.primary.get('user:1')).toEqual({ name: 'Ada' });
    expect(await reader.has('user:1')).toBe(true);
  });

  it('deletes from larder and passes the ttl to it', async () => {
    const clock = manualClock();
    const { cache: cacher } = await openCacher({ dir: tempDir(), timers: clock.timers });
    const cache = new Cacheable({ secondary: new KeyvLarder(cacher) });
    await cache.set('a', 1);
    await cache.delete('a');
    expect(cacher.has('keyv:a')).toBe(false);
    expect(await cache.get('a')).toBeUndefined();

    await cache.set('session', 'token', '1m');
    expect(cacher.has('keyv:session')).toBe(true);
    clock.advance(60_001);
    expect(cacher.has('keyv:session')).toBe(false);
    // The primary's own clock has not moved: it still answers; a fresh one asks larder, which misses.
    const fresh = new Cacheable({ secondary: new KeyvLarder(cacher) });
    expect(await fresh.get('session')).toBeUndefined();
  });

  it('reads back, in a new process, what a SIGKILLed process wrote through cacheable and synced', async () => {
    const dir = tempDir();
    const child = closeAfter(runChild('adapters/cacheable-writer.ts', [dir]), (c) => (c.kill('SIGKILL'), c.exited));
    await child.waitFor(/^SYNCED$/);
    child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');

    const adapter = new KeyvLarder({ dir });
    const cache = closeAfter(new Cacheable({ secondary: adapter }), (c) => c.disconnect());
    expect(await cache.get('user:1')).toEqual({ name: 'Ada', langs: ['en', 'fr'] });
    expect(await cache.get('hits')).toBe(41);
    expect(await cache.get('temporary')).toBeUndefined();
  });
});
