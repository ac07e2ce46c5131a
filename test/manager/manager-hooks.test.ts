import { describe, expect, it, vi } from 'vitest';
import { openManager } from '../helpers/manager.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { CacheManager, RebuildEvent, SaveEvent } from '../../src/main/index.js';

const manager = (dir = tempDir()): CacheManager => openManager('hooks', { dir });

/** Hooks over an in-memory "disk", each recording its call in `log`. */
function fakeDisk(initial?: Record<string, unknown>) {
  let disk: Map<string, unknown> | undefined = initial === undefined ? undefined : new Map(Object.entries(initial));
  const log: string[] = [];
  return {
    log,
    get disk() {
      return disk;
    },
    loader: vi.fn((name: string) => {
      log.push(`load ${name}`);
      return disk === undefined ? undefined : new Map(disk);
    }),
    saver: vi.fn((name: string, contents: ReadonlyMap<string, unknown>) => {
      log.push(`save ${name}`);
      disk = new Map(contents);
    }),
    deleter: vi.fn((name: string) => {
      log.push(`delete ${name}`);
      disk = undefined;
    }),
  };
}

describe('hooks', () => {
  it('loads through loader then postProcessor then validator, at registration', async () => {
    const d = fakeDisk({ a: 1 });
    const postProcessor = vi.fn((name: string, contents: Map<string, unknown>) => {
      d.log.push(`post ${name}`);
      return new Map([...contents].map(([k, v]) => [k, (v as number) * 100]));
    });
    const validator = vi.fn((name: string, _contents: ReadonlyMap<string, unknown>) => (d.log.push(`validate ${name}`), true));
    const builder = vi.fn(() => ({ built: true }));
    const cache = await manager().register('c', { loader: d.loader, saver: d.saver, deleter: d.deleter, postProcessor, validator, builder });
    expect(d.log).toEqual(['load c', 'post c', 'validate c']);
    expect(d.loader).toHaveBeenCalledWith('c');
    expect(postProcessor).toHaveBeenCalledWith('c', new Map([['a', 1]]));
    expect(validator).toHaveBeenCalledWith('c', new Map([['a', 100]]));
    expect(builder).not.toHaveBeenCalled();
    expect(cache.get('a')).toBe(100);
  });

  it('builds when the loader finds nothing, and saves the build at once', async () => {
    const d = fakeDisk();
    const builder = vi.fn(async (name: string) => (d.log.push(`build ${name}`), [['k', 'v']] as Array<[string, string]>));
    const validator = vi.fn(() => true);
    const cache = await manager().register('c', { loader: d.loader, saver: d.saver, builder, validator });
    expect(d.log).toEqual(['load c', 'build c', 'save c']);
    expect(builder).toHaveBeenCalledWith('c');
    expect(validator).not.toHaveBeenCalled(); // built contents are not validated
    expect(d.disk).toEqual(new Map([['k', 'v']]));
    expect(cache.pendingChanges).toBe(0);
  });

  it('saves through preProcessor and saver on save(), and not on edits with autosync off', async () => {
    const d = fakeDisk({});
    const preProcessor = vi.fn((name: string, contents: Map<string, unknown>) => {
      d.log.push(`pre ${name}`);
      return Object.fromEntries([...contents].map(([k, v]) => [k.toUpperCase(), v]));
    });
    const m = manager();
    const cache = await m.register('c', { loader: d.loader, saver: d.saver, preProcessor, autosync: false });
    d.log.length = 0;
    cache.set('new', 'real');
    cache.set('x', 1).delete('x');
    expect(d.saver).not.toHaveBeenCalled();
    expect(cache.pendingChanges).toBe(3);
    await cache.save();
    expect(d.log).toEqual(['pre c', 'save c']);
    expect(preProcessor).toHaveBeenCalledWith('c', new Map([['new', 'real']]));
    expect(d.saver).toHaveBeenLastCalledWith('c', new Map([['NEW', 'real']]));
    expect(cache.pendingChanges).toBe(0);
    // An explicit save calls a custom saver even with nothing new (as the seed did); close() does not.
    await cache.save();
    expect(d.saver).toHaveBeenCalledTimes(2);
    await m.close();
    expect(d.saver).toHaveBeenCalledTimes(2);
  });

  it('close() saves unsaved edits through the saver; the preProcessor sees a copy, not the live contents', async () => {
    const d = fakeDisk({});
    const m = manager();
    const cache = await m.register('c', {
      loader: d.loader,
      saver: d.saver,
      autosync: false,
      preProcessor: (_name, contents) => {
        contents.set('added-by-pre', true);
        return contents;
      },
    });
    cache.set('a', 1);
    await m.close();
    expect(d.disk).toEqual(new Map<string, unknown>([['a', 1], ['added-by-pre', true]]));
    expect(cache.has('added-by-pre')).toBe(false);
  });

  it('calls deleter on deletePersisted, then builder on invalidate; memory survives deletePersisted', async () => {
    const d = fakeDisk({ a: 1 });
    const builder = vi.fn(() => new Map([['b', 2]]));
    const cache = await manager().register('c', { loader: d.loader, saver: d.saver, deleter: d.deleter, builder });
    d.log.length = 0;
    await cache.deletePersisted();
    expect(d.log).toEqual(['delete c']);
    expect(d.deleter).toHaveBeenCalledWith('c');
    expect(cache.get('a')).toBe(1);
    d.log.length = 0;
    await cache.invalidate();
    expect(d.log).toEqual(['delete c', 'save c']);
    expect(builder).toHaveBeenCalledTimes(1);
    expect(Object.fromEntries(cache)).toEqual({ b: 2 });
  });

  it('rebuild() runs load → delete persisted → build → save and reports it', async () => {
    const d = fakeDisk({ a: 1 });
    const m = manager();
    const events: RebuildEvent[] = [];
    m.on('rebuild', (e: RebuildEvent) => events.push(e));
    const builder = vi.fn((name: string) => (d.log.push(`build ${name}`), { fresh: 1 }));
    const cache = await m.register('c', { loader: d.loader, saver: d.saver, deleter: d.deleter, builder, lazy: true });
    expect(d.log).toEqual([]);
    await cache.rebuild();
    expect(d.log).toEqual(['load c', 'delete c', 'build c', 'save c']);
    expect(events).toEqual([{ cache: 'c', reason: 'requested' }]);
    expect(d.disk).toEqual(new Map([['fresh', 1]]));
  });

  it('a validator returning false → the cache is rebuilt and the reason reported', async () => {
    const d = fakeDisk({ stale: true });
    const m = manager();
    const events: RebuildEvent[] = [];
    m.on('rebuild', (e: RebuildEvent) => events.push(e));
    const cache = await m.register('c', {
      loader: d.loader,
      saver: d.saver,
      deleter: d.deleter,
      validator: (_name, contents) => !contents.has('stale'),
      builder: () => ({ fresh: true }),
    });
    expect(events).toEqual([{ cache: 'c', reason: 'invalid' }]);
    expect(d.log).toEqual(['load c', 'delete c', 'save c']);
    expect(Object.fromEntries(cache)).toEqual({ fresh: true });
  });

  it('a validator that throws → rebuilt, with the error in the event; without a builder the cache starts empty', async () => {
    const d = fakeDisk({ a: 1 });
    const m = manager();
    const events: RebuildEvent[] = [];
    m.on('rebuild', (e: RebuildEvent) => events.push(e));
    const boom = new Error('schema v1 is not supported');
    const cache = await m.register('c', { loader: d.loader, saver: d.saver, deleter: d.deleter, validator: async () => Promise.reject(boom) });
    expect(events).toEqual([{ cache: 'c', reason: 'validator-error', error: boom }]);
    expect(cache.size).toBe(0);
    expect(d.disk).toBeUndefined();
  });

  it('a validator failure on engine-persisted data removes it from disk and saves the build', async () => {
    const dir = tempDir();
    const first = manager(dir);
    (await first.register('c')).set('version', 1);
    await first.close();

    const second = manager(dir);
    const events: RebuildEvent[] = [];
    second.on('rebuild', (e: RebuildEvent) => events.push(e));
    const cache = await second.register('c', { validator: (_n, c) => c.get('version') === 2, builder: () => ({ version: 2, extra: 'x' }) });
    expect(events.map((e) => e.reason)).toEqual(['invalid']);
    expect(Object.fromEntries(cache)).toEqual({ version: 2, extra: 'x' });
    await second.close();

    const third = manager(dir);
    expect(Object.fromEntries(await third.register('c'))).toEqual({ version: 2, extra: 'x' });
  });

  it('a hook returning something that is not contents is a TypeError naming the hook', async () => {
    const m = manager();
    await expect(m.register('c', { persistent: false, builder: () => 42 as never })).rejects.toThrow(/builder of cache "c" must return a Map/);
    expect(m.has('c')).toBe(false);
    const loader = (): never => {
      throw new Error('disk on fire');
    };
    await expect(m.register('d', { loader, saver: () => {} })).rejects.toThrow('disk on fire');
    expect(m.has('d')).toBe(false);
    // Registering again retries the load.
    const cache = await m.register('d', { loader: () => ({ ok: 1 }), saver: () => {} });
    expect(cache.get('ok')).toBe(1);
  });

  it('emits a save event per save with the number of edits it persisted', async () => {
    const m = manager();
    const saves: SaveEvent[] = [];
    m.on('save', (e: SaveEvent) => saves.push(e));
    const cache = await m.register('c', { autosync: false });
    cache.set('a', 1).set('a', 2).set('b', 3);
    await cache.save();
    expect(saves).toEqual([{ cache: 'c', changes: 3 }]);
  });
});
