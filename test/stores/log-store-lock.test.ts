/**
 * One writer process per `log` directory: a live second writer gets ERR_STORE_LOCKED (or
 * opens read-only when it asks to), a stale lock left by a dead process is taken over, and
 * the options are validated at construction.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCacher, runChild } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Cacher, LogStore } from '../../src/main/index.js';

describe('log store lock', () => {
  it('refuses a live second writer and lets it open read-only', async () => {
    const dir = tempDir();
    const child = runChild('log-lock-holder.ts', [dir]);
    try {
      await child.waitFor(/^ready$/);
      await expect(Cacher.open({ dir, threads: 1 })).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED', dir });

      const { cache, errors } = await openCacher({ dir, store: new LogStore(dir, { readOnly: true }), threads: 1 });
      expect(cache.get('held')).toBe('by child');
      cache.set('mine', 1);
      await expect(cache.sync({ timeout: 5000 })).rejects.toMatchObject({ code: 'ERR_WRITE_FAILED', osCode: 'ERR_STORE_READ_ONLY' });
      expect(errors.length).toBeGreaterThan(0);
      await expect(cache.compact()).rejects.toMatchObject({ code: 'ERR_STORE_READ_ONLY' });
      cache.discard();
    } finally {
      child.kill('SIGKILL');
      await child.exited;
    }
    // The holder died without releasing: its lock is stale now and is taken over.
    const { cache } = await openCacher({ dir, threads: 1 });
    expect(cache.get('held')).toBe('by child');
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
  });

  it('takes over a lock whose owner is dead and releases it on stop', async () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
    writeFileSync(join(dir, 'LOCK'), `${dead}\n`);
    const { cache } = await openCacher({ dir, threads: 1 });
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
    await cache.stop();
    expect(() => readFileSync(join(dir, 'LOCK'))).toThrow(/ENOENT/);
  });

  it('refuses a second writer in the same process', async () => {
    const dir = tempDir();
    await openCacher({ dir, threads: 1 });
    await expect(Cacher.open({ dir, threads: 1 })).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED', pid: process.pid });
  });

  it('validates its options, naming the option and the value', () => {
    expect(() => new LogStore('d', { readOnly: 'yes' as unknown as boolean })).toThrow(/readOnly must be a boolean, received "yes"/);
    expect(() => new LogStore('d', { compactRatio: 0 })).toThrow(RangeError);
    expect(() => new LogStore('d', { segmentSize: 1.5 })).toThrow(/segmentSize/);
    expect(() => new LogStore('d', { nope: 1 } as object)).toThrow(/unknown log store option nope/);
    expect(() => new LogStore('')).toThrow(TypeError);
    expect(() => new Cacher({ store: 'log' })).toThrow(/dir is required for the log store/);
    expect(new Cacher({ dir: 'x' }).store.kind).toBe('log');
  });
});
