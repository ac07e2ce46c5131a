import { describe, expect, it } from 'vitest';
import { closeAfterTest, openManager } from '../helpers/manager.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CacheConflictError, CacheManager, CacheNotLoadedError, getCacheManager, ManagedCache, ManagerConflictError, UnknownCacheError } from '../../src/main/index.js';

const manager = (): CacheManager => openManager('reg');

describe('registration', () => {
  it('registering a name again with the same options returns the same cache; other options throw', async () => {
    const m = manager();
    const builder = () => ({ a: 1 });
    const first = await m.register('c', { persistent: false, builder, savePoints: [[1, 1]] });
    expect(await m.register('c', { persistent: false, builder, savePoints: [[1, 1]] })).toBe(first);
    expect(() => m.register('c', { persistent: false, builder: () => ({ a: 1 }) })).toThrow(CacheConflictError);
    expect(() => m.register('c', { persistent: false, builder, savePoints: [[2, 1]] })).toThrow(
      expect.objectContaining({ code: 'ERR_CACHE_CONFLICT', cache: 'c', option: 'savePoints' }),
    );
    expect(() => m.register('c', { builder, savePoints: [[1, 1]] })).toThrow(expect.objectContaining({ option: 'persistent' }));
    // The first registration is untouched by the refused ones.
    expect(m.cache('c')).toBe(first);
    expect(first.get('a')).toBe(1);
  });

  it('cache(name) throws for an unknown name; getOrRegister creates once', async () => {
    const m = manager();
    expect(() => m.cache('nope')).toThrow(UnknownCacheError);
    expect(() => m.cache('nope')).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_CACHE', cache: 'nope' }));
    const made = await m.getOrRegister('made', { persistent: false });
    expect(await m.getOrRegister('made')).toBe(made);
    expect(m.cache('made')).toBe(made);
    expect(m.has('made')).toBe(true);
    expect(() => m.getOrRegister('made', { persistent: true })).toThrow(CacheConflictError);
  });

  it('validates names and options at once, naming the option and the value', () => {
    const m = manager();
    expect(() => m.register('a/b')).toThrow(/cache name must be a non-empty string without '\/'/);
    expect(() => m.register('')).toThrow(TypeError);
    expect(() => m.register('c', { persistent: 'yes' as never })).toThrow('persistent must be a boolean, received "yes"');
    expect(() => m.register('c', { builder: 42 as never })).toThrow('builder must be a function, received 42');
    expect(() => m.register('c', { savePoints: [[60, 0]] })).toThrow(RangeError);
    expect(() => m.register('c', { lazzy: true } as never)).toThrow('unknown cache option lazzy');
    expect(() => m.register('c', { persistent: false, saver: () => {} })).toThrow('saver cannot be used with persistent: false');
    expect(() => new CacheManager('../x', { dir: tempDir() })).toThrow(TypeError);
    expect(() => new CacheManager('x', { dir: '' })).toThrow('dir must be a non-empty string, received ""');
    expect(() => new CacheManager('x', { engine: { batchSize: 0 } })).toThrow(RangeError);
    expect(() => new CacheManager('x', { engine: { dir: '/tmp' } as never })).toThrow(/engine.dir cannot be set/);
  });

  it('getCacheManager gives one manager per name per process; a different dir throws; a closed one is replaced', async () => {
    const dir = tempDir();
    const m = closeAfterTest(getCacheManager('shared-test', { dir }));
    expect(getCacheManager('shared-test')).toBe(m);
    expect(getCacheManager('shared-test', { dir })).toBe(m);
    expect(() => getCacheManager('shared-test', { dir: tempDir() })).toThrow(ManagerConflictError);
    expect(() => getCacheManager('shared-test', { dir: tempDir() })).toThrow(expect.objectContaining({ code: 'ERR_MANAGER_CONFLICT' }));
    expect(() => getCacheManager('shared-test', { engine: { codec: 'json' } })).toThrow(ManagerConflictError);
    expect(m.dir.startsWith(dir)).toBe(true);
    await m.close();
    const next = closeAfterTest(getCacheManager('shared-test', { dir: tempDir() }));
    expect(next).not.toBe(m);
    // `new CacheManager` is isolated from the process-wide one.
    closeAfterTest(new CacheManager('shared-test', { dir: tempDir() }));
    expect(getCacheManager('shared-test')).toBe(next);
  });

  it('is a Map: set/get/has/delete/clear, size, iteration, keys/values/entries, forEach', async () => {
    const m = manager();
    const cache = await m.register<number>('c', { persistent: false });
    expect(cache).toBeInstanceOf(ManagedCache);
    expect(cache.set('a', 1).set('b', 2)).toBe(cache);
    expect([cache.get('a'), cache.get('z'), cache.has('b'), cache.size]).toEqual([1, undefined, true, 2]);
    expect([...cache]).toEqual([['a', 1], ['b', 2]]);
    expect([...cache.keys()]).toEqual(['a', 'b']);
    expect([...cache.values()]).toEqual([1, 2]);
    expect(new Map(cache.entries())).toEqual(new Map([['a', 1], ['b', 2]]));
    const seen: unknown[] = [];
    cache.forEach(function (this: unknown, v, k, map) {
      seen.push([k, v, map === cache, this]);
    }, 'ctx');
    expect(seen).toEqual([['a', 1, true, 'ctx'], ['b', 2, true, 'ctx']]);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(Object.prototype.toString.call(cache)).toBe('[object ManagedCache]');
    expect(() => cache.set(1 as never, 1)).toThrow('key must be a string, received 1');
  });

  it('lazy: nothing is loaded at registration; a persistent lazy cache loads on load()', async () => {
    const m = manager();
    let loads = 0;
    const cache = await m.register('c', { lazy: true, loader: () => (loads++, { a: 1 }), saver: () => {} });
    expect([loads, cache.loaded]).toEqual([0, false]);
    expect(() => cache.get('a')).toThrow(CacheNotLoadedError);
    expect(() => cache.set('a', 2)).toThrow(expect.objectContaining({ code: 'ERR_NOT_LOADED' }));
    await cache.load();
    expect([loads, cache.loaded, cache.get('a')]).toEqual([1, true, 1]);
    await cache.load();
    expect(loads).toBe(1);
  });

  it('lazy memory-only caches build on first access (synchronously when the builder is)', async () => {
    const m = manager();
    let builds = 0;
    const sync = await m.register('sync', { persistent: false, lazy: true, builder: () => (builds++, { a: 1 }) });
    expect(builds).toBe(0);
    expect(sync.get('a')).toBe(1);
    expect(sync.get('a')).toBe(1);
    expect(builds).toBe(1);

    let asyncBuilds = 0;
    const later = await m.register('async', { persistent: false, lazy: true, builder: async () => (asyncBuilds++, { b: 2 }) });
    expect(() => later.get('b')).toThrow(CacheNotLoadedError); // started, cannot finish inside a sync get
    await later.load();
    expect(later.get('b')).toBe(2);
    expect(asyncBuilds).toBe(1); // the build started by the first access was reused
  });

  it('sync access before the register() promise resolves is refused, not served half-loaded', async () => {
    const m = manager();
    const registering = m.register('c', { loader: async () => ({ a: 1 }), saver: () => {} });
    expect(() => m.cache('c').get('a')).toThrow(CacheNotLoadedError);
    const cache = await registering;
    expect(cache.get('a')).toBe(1);
  });
});
