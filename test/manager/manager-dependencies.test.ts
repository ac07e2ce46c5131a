import { describe, expect, it } from 'vitest';
import { openManager } from '../helpers/manager.js';
import { tempDir } from '../helpers/temp-dir.js';
import { type CacheManager, DependencyCycleError, UnknownCacheError } from '../../src/main/index.js';

const manager = (dir = tempDir()): CacheManager => openManager('general_cache', { dir });

describe('dependent caches', () => {
  it('runs the seed example: invalidating the root clears the edge, which is then recomputed', async () => {
    const m = manager();
    const edgeCache = await m.getOrRegister<number>('edge_cache');
    const rootCache = await m.register<number>('root_cache');
    m.dependsOn('edge_cache', 'root_cache');

    // Computes and caches 'processed' from root's 'raw' value.
    function setProcessedValue(): number {
      let processed = edgeCache.get('processed');
      if (processed === undefined) {
        processed = (rootCache.get('raw') ?? 0) * 5;
        edgeCache.set('processed', processed);
      }
      return processed;
    }

    expect(setProcessedValue()).toBe(0); // no raw value yet
    rootCache.set('raw', 1);
    expect(setProcessedValue()).toBe(0); // still 0: cached in edge
    await rootCache.invalidate(); // invalidates dependent caches too
    expect(Object.fromEntries(edgeCache)).toEqual({});
    rootCache.set('raw', 1);
    expect(setProcessedValue()).toBe(5); // the edge was cleared before the request
    expect(Object.fromEntries(edgeCache)).toEqual({ processed: 5 });
  });

  it('invalidation removes the persisted copies of the root and its dependents, not of unrelated caches', async () => {
    const dir = tempDir();
    const m = manager(dir);
    const root = await m.register('root');
    const edge = await m.register('edge');
    const other = await m.register('other');
    m.dependsOn('edge', 'root');
    root.set('raw', 1);
    edge.set('processed', 5);
    other.set('kept', true);
    await m.saveAll();
    await m.invalidate('root');
    expect(root.size + edge.size).toBe(0);
    await m.close();

    const again = manager(dir);
    expect(Object.fromEntries(await again.register('root'))).toEqual({});
    expect(Object.fromEntries(await again.register('edge'))).toEqual({});
    expect(Object.fromEntries(await again.register('other'))).toEqual({ kept: true });
  });

  it('invalidating a dependent leaves its root alone', async () => {
    const m = manager();
    const root = await m.register('root', { persistent: false });
    const edge = await m.register('edge', { persistent: false });
    m.dependsOn('edge', 'root');
    root.set('raw', 1);
    edge.set('processed', 5);
    await edge.invalidate();
    expect(root.get('raw')).toBe(1);
    expect(edge.size).toBe(0);
  });

  it('cascades through a chain roots first, so each builder sees its roots already rebuilt', async () => {
    const m = manager();
    const calls: string[] = [];
    let version = 1;
    const a = await m.register<number>('a', { persistent: false, builder: () => (calls.push('a'), { v: version }) });
    const b = await m.register<number>('b', { persistent: false, builder: () => (calls.push('b'), { v: (a.get('v') ?? 0) * 10 }) });
    const c = await m.register<number>('c', { persistent: false, builder: () => (calls.push('c'), { v: (b.get('v') ?? 0) + 1 }) });
    // Declared leaf first, to show the order comes from the graph and not from declaration.
    m.dependsOn('c', 'b');
    m.dependsOn('b', 'a');
    expect(c.get('v')).toBe(11);
    calls.length = 0;
    version = 2;
    await m.invalidate('a');
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(c.get('v')).toBe(21);
    expect(m.names()).toEqual(['a', 'b', 'c']);
    expect(m.dependentsOf('a')).toEqual(['b']);
    expect(m.rootsOf('c')).toEqual(['b']);
  });

  it('rejects a dependency that would close a cycle, and keeps the graph as it was', async () => {
    const m = manager();
    for (const name of ['a', 'b', 'c']) await m.register(name, { persistent: false });
    m.dependsOn('b', 'a');
    m.dependsOn('c', 'b');
    let error: unknown;
    try {
      m.dependsOn('a', 'c');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DependencyCycleError);
    expect((error as DependencyCycleError).code).toBe('ERR_DEPENDENCY_CYCLE');
    expect((error as DependencyCycleError).cycle).toEqual(['c', 'a', 'b', 'c']);
    expect((error as Error).message).toContain('"c" → "a" → "b" → "c"');
    expect(() => m.dependsOn('a', 'a')).toThrow(expect.objectContaining({ code: 'ERR_DEPENDENCY_CYCLE', cycle: ['a', 'a'] }));
    expect(m.rootsOf('a')).toEqual([]);
    m.cache('a').set('x', 1);
    await m.invalidate('c'); // a does not depend on c
    expect(m.cache('a').get('x')).toBe(1);
    m.dependsOn('c', 'a'); // a second path to c is not a cycle
    m.dependsOn('c', 'a'); // and declaring it twice is harmless
    expect(m.rootsOf('c').sort()).toEqual(['a', 'b']);
  });

  it('dependsOn needs both caches registered', async () => {
    const m = manager();
    await m.register('root', { persistent: false });
    expect(() => m.dependsOn('edge', 'root')).toThrow(UnknownCacheError);
    expect(() => m.dependsOn('root', 'nope')).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_CACHE', cache: 'nope' }));
  });

  it('reload, save and deletePersisted reach dependents only with { cascade: true }', async () => {
    const dir = tempDir();
    const m = manager(dir);
    const root = await m.register('root', { autosync: false });
    const edge = await m.register('edge', { autosync: false });
    m.dependsOn('edge', 'root');
    root.set('r', 1);
    edge.set('e', 1);
    await m.save('root');
    expect(root.pendingChanges).toBe(0);
    expect(edge.pendingChanges).toBe(1);
    await root.save({ cascade: true });
    expect(edge.pendingChanges).toBe(0);

    root.set('r', 2);
    edge.set('e', 2);
    await root.reload(); // unsaved edits of root dropped, edge untouched
    expect([root.get('r'), edge.get('e')]).toEqual([1, 2]);
    await root.reload({ cascade: true });
    expect([root.get('r'), edge.get('e')]).toEqual([1, 1]);

    await root.deletePersisted();
    await root.reload({ cascade: true });
    expect([root.get('r'), edge.get('e')]).toEqual([undefined, 1]);
    await root.deletePersisted({ cascade: true });
    await root.reload({ cascade: true });
    expect([root.size, edge.size]).toEqual([0, 0]);
  });
});
