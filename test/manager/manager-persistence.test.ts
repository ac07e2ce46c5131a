import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openManager } from '../helpers/manager.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { CacheManager, SaveEvent } from '../../src/main/index.js';

const manager = (dir: string, name = 'app'): CacheManager => openManager(name, { dir });

describe('persistence', () => {
  it('a reopened manager sees what was saved: sets, overwrites and deletes', async () => {
    const dir = tempDir();
    const first = manager(dir);
    const cache = await first.register<unknown>('my_cache', { autosync: false });
    cache.set('new', 'real').set('n', 1).set('gone', true).set('obj', { nested: [1, 2], at: new Date(0) });
    await cache.save();
    cache.set('n', 2);
    cache.delete('gone');
    await first.close(); // saves the two unsaved edits
    expect(existsSync(join(dir, 'app'))).toBe(true); // <dir>/<manager name>

    const second = manager(dir);
    const again = await second.register('my_cache');
    expect(Object.fromEntries(again)).toEqual({ new: 'real', n: 2, obj: { nested: [1, 2], at: new Date(0) } });
    expect(again.pendingChanges).toBe(0);
  });

  it('keeps caches of one manager apart, and managers of different names apart in one base dir', async () => {
    const dir = tempDir();
    const a = manager(dir, 'a');
    const b = manager(dir, 'b');
    (await a.register('x')).set('k', 'a.x');
    (await a.register('y')).set('k', 'a.y');
    (await b.register('x')).set('k', 'b.x');
    await Promise.all([a.close(), b.close()]);
    expect(readdirSync(dir).sort()).toEqual(['a', 'b']);
    const a2 = manager(dir, 'a');
    const b2 = manager(dir, 'b');
    expect((await a2.register('x')).get('k')).toBe('a.x');
    expect((await a2.register('y')).get('k')).toBe('a.y');
    expect((await b2.register('x')).get('k')).toBe('b.x');
  });

  it('an empty saved cache stays empty on reopen instead of being built', async () => {
    const dir = tempDir();
    const first = manager(dir);
    let builds = 0;
    const builder = () => (builds++, { built: true });
    const cache = await first.register('c', { builder });
    expect(builds).toBe(1);
    cache.clear();
    await first.close();
    const second = manager(dir);
    expect((await second.register('c', { builder })).size).toBe(0);
    expect(builds).toBe(1);
  });

  it('non-persistent caches never touch disk', async () => {
    const dir = join(tempDir(), 'not-yet');
    const m = manager(dir);
    const saves: SaveEvent[] = [];
    m.on('save', (e: SaveEvent) => saves.push(e));
    const cache = await m.register('memory', { persistent: false, builder: () => ({ seed: 1 }) });
    const other = await m.register('memory2', { persistent: false });
    m.dependsOn('memory2', 'memory');
    cache.set('a', 1);
    other.set('b', 2);
    expect(cache.pendingChanges).toBe(0);
    await cache.save();
    await m.saveAll();
    await m.invalidate('memory');
    await m.rebuildAll();
    await m.reloadAll();
    await m.deletePersistedAll();
    await m.close();
    expect(Object.fromEntries(cache)).toEqual({ seed: 1 });
    expect(saves).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('a cache with its own saver and loader does not touch disk either', async () => {
    const dir = join(tempDir(), 'not-yet');
    const m = manager(dir);
    const store = new Map<string, ReadonlyMap<string, unknown>>();
    const cache = await m.register('custom', { saver: (name, contents) => void store.set(name, contents), loader: (name) => store.get(name) });
    cache.set('a', 1);
    await cache.save();
    await cache.invalidate();
    await cache.rebuild();
    cache.set('b', 2);
    await m.close();
    expect(store.get('custom')).toEqual(new Map([['b', 2]]));
    expect(existsSync(dir)).toBe(false);
  });

  it('deletePersisted keeps memory; close() does not undo it; an explicit save writes everything back', async () => {
    const dir = tempDir();
    const first = manager(dir);
    const cache = await first.register('c');
    cache.set('a', 1).set('b', 2);
    await cache.save();
    await cache.deletePersisted();
    expect(Object.fromEntries(cache)).toEqual({ a: 1, b: 2 });
    await first.close();
    const second = manager(dir);
    const empty = await second.register('c');
    expect(empty.size).toBe(0);
    empty.set('only', 1);
    await empty.save();
    await empty.deletePersisted();
    await empty.save();
    await second.close();
    const third = manager(dir);
    expect(Object.fromEntries(await third.register('c'))).toEqual({ only: 1 });
  });

  it('rebuild() with the engine replaces what is on disk with the build', async () => {
    const dir = tempDir();
    const first = manager(dir);
    let version = 1;
    const builder = () => ({ [`v${version}`]: version });
    const cache = await first.register('c', { builder });
    cache.set('extra', 0);
    await cache.save();
    version = 2;
    await cache.rebuild();
    expect(Object.fromEntries(cache)).toEqual({ v2: 2 });
    expect(cache.pendingChanges).toBe(0);
    await first.close();
    const second = manager(dir);
    expect(Object.fromEntries(await second.register('c', { builder }))).toEqual({ v2: 2 });
  });

  it('close() saves every cache, is idempotent, refuses later edits; Symbol.asyncDispose closes', async () => {
    const dir = tempDir();
    const first = manager(dir);
    const a = await first.register('a', { autosync: false });
    const b = await first.register('b');
    a.set('k', 1);
    b.set('k', 2);
    await Promise.all([first.close(), first.close()]);
    expect(first.closed).toBe(true);
    expect(() => a.set('k', 3)).toThrow(expect.objectContaining({ code: 'ERR_MANAGER_CLOSED' }));
    expect(() => first.save('a')).toThrow(expect.objectContaining({ code: 'ERR_MANAGER_CLOSED' }));
    expect(a.get('k')).toBe(1); // reads of what is in memory still work

    const second = manager(dir);
    const a2 = await second.register('a');
    expect([a2.get('k'), (await second.register('b')).get('k')]).toEqual([1, 2]);
    a2.set('k', 10);
    await second[Symbol.asyncDispose]();
    expect(second.closed).toBe(true);
    const third = manager(dir);
    expect((await third.register('a')).get('k')).toBe(10);
  });

  it('reload() drops unsaved edits', async () => {
    const m = manager(tempDir());
    const cache = await m.register('c', { autosync: false });
    cache.set('saved', 1);
    await cache.save();
    cache.set('unsaved', 2);
    await cache.reload();
    expect(Object.fromEntries(cache)).toEqual({ saved: 1 });
    expect(cache.pendingChanges).toBe(0);
  });
});
