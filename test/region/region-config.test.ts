import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { type Backend, BackendMetrics, type CachedEntry, CacherBackend, configureFromConfig, createBackend, MemoryBackend, NO_VALUE, type NoValue, ProxyBackend, Region, registerBackend, registeredBackends } from '../../src/main/index.js';

describe('configureFromConfig', () => {
  it('builds a region from a flat map of strings, ignoring other prefixes', async () => {
    const env = { 'cache.backend': 'memory', 'cache.ttl': '60000', 'cache.name': 'users', 'other.backend': 'nope', 'cache.waitTimeout': 'Infinity' };
    const region = configureFromConfig(env, 'cache.');
    expect(region).toBeInstanceOf(Region);
    expect(region.name).toBe('users');
    await region.set('k', 1);
    const entry = (await region.getEntry('k')) as CachedEntry;
    expect(entry.expiresAt - entry.createdAt).toBe(60000);
    expect(region.store.name).toBe('memory');
  });

  it('opens the files backend with its arguments, started on first use and stopped by close()', async () => {
    const dir = tempDir();
    const config = new Map([
      ['app.cache.backend', 'files'],
      ['app.cache.arguments.dir', dir],
      ['app.cache.arguments.threads', '1'],
      ['app.cache.arguments.durability', 'os'],
    ]);
    const region = configureFromConfig(config, 'app.cache.');
    expect(await region.getOrCreate('answer', () => 42)).toBe(42);
    const backend = region.store as CacherBackend;
    expect(backend).toBeInstanceOf(CacherBackend);
    expect(backend.cacher.options.durability).toBe('os');
    await region.close();
    expect(backend.cacher.isStarted).toBe(false);
    const again = configureFromConfig(config, 'app.cache.');
    expect(await again.get('answer')).toBe(42);
    await again.close();
  });

  it('throws at once on a missing backend, an unknown backend, setting or argument, or a bad number', () => {
    expect(() => configureFromConfig({}, 'cache.')).toThrow(/cache\.backend is required/);
    expect(() => configureFromConfig({ 'cache.backend': 'memcached' }, 'cache.')).toThrow(/unknown backend "memcached"; registered: .*memory/);
    expect(() => configureFromConfig({ 'cache.backend': 'memory', 'cache.tll': '5' }, 'cache.')).toThrow(/unknown setting cache\.tll/);
    expect(() => configureFromConfig({ 'cache.backend': 'memory', 'cache.arguments.size': '5' }, 'cache.')).toThrow(/unknown memory backend option size/);
    expect(() => configureFromConfig({ 'cache.backend': 'memory', 'cache.ttl': 'soon' }, 'cache.')).toThrow(/cache\.ttl must be a number, received "soon"/);
    expect(() => configureFromConfig({ 'cache.backend': 'memory', 'cache.ttl': '-1' }, 'cache.')).toThrow(RangeError);
    expect(() => configureFromConfig({ 'cache.backend': 'files' }, 'cache.')).toThrow(/arguments\.dir/);
  });
});

describe('registerBackend', () => {
  it('makes a named factory available to configuration, with its string arguments', async () => {
    const received: Array<Readonly<Record<string, string>>> = [];
    const factory = (args: Readonly<Record<string, string>>) => (received.push(args), new MemoryBackend({ name: `mem-${args.flavour}` }));
    registerBackend('test-flavoured', factory);
    registerBackend('test-flavoured', factory);
    expect(() => registerBackend('test-flavoured', () => new MemoryBackend())).toThrow(/already registered/);
    expect(registeredBackends()).toEqual(expect.arrayContaining(['memory', 'files', 'test-flavoured']));
    const region = configureFromConfig({ 'x.backend': 'test-flavoured', 'x.arguments.flavour': 'mint' }, 'x.');
    expect(region.store.name).toBe('mem-mint');
    expect(received).toEqual([{ flavour: 'mint' }]);
    registerBackend('test-broken', () => ({}) as Backend);
    expect(() => createBackend('test-broken')).toThrow(/must return a Backend/);
  });
});

describe('store middleware', () => {
  it('counts gets, hits, misses, sets and deletes with the metrics middleware', async () => {
    const metrics = new BackendMetrics();
    const region = new Region({ store: new MemoryBackend(), wrap: [metrics.middleware] });
    await region.getOrCreate('a', () => 1);
    await region.getOrCreate('a', () => 1);
    await region.getMany(['a', 'b', 'c']);
    await region.setMany([['b', 2], ['c', 3]]);
    await region.delete('a');
    expect(metrics.snapshot()).toEqual({ gets: 5, hits: 2, misses: 3, sets: 3, deletes: 1 });
    metrics.reset();
    expect(metrics.snapshot().gets).toBe(0);
  });

  it('applies the first middleware outermost and keeps the store mutex visible', async () => {
    const trail: string[] = [];
    class Tag extends ProxyBackend {
      readonly #tag: string;
      constructor(next: Backend, tag: string) {
        super(next);
        this.#tag = tag;
      }
      override get(key: string): Promise<CachedEntry | NoValue> {
        trail.push(this.#tag);
        return this.next.get(key);
      }
    }
    const store = new MemoryBackend();
    const region = new Region({ store, wrap: [(next) => new Tag(next, 'outer'), (next) => new Tag(next, 'inner')] });
    expect(await region.get('k')).toBe(NO_VALUE);
    expect(trail).toEqual(['outer', 'inner']);
    expect(region.store.mutex).toBeUndefined();
    expect(() => new Region({ store, wrap: [() => null as never] })).toThrow(/wrap\[0\] must return a Backend/);
  });
});
