import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deferred } from '../helpers/pool-elements.js';
import { type Backend, type BackendMutex, ENTRY_FORMAT_VERSION, MemoryBackend, type MutexLease, NO_VALUE, ProxyBackend, Region, RegionWaitTimeoutError } from '../../src/main/index.js';

/** Lets every pending promise callback run (the store and the region await a few times each). */
async function flushPromises(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/**
 * Locks shared by every backend made from one table: two Regions over one MemoryBackend and one
 * table behave like two processes over one Redis with its lock.
 */
class LockTable {
  readonly #held = new Set<string>();
  readonly #queues = new Map<string, Array<(lease: MutexLease) => void>>();
  readonly acquired: string[] = [];

  mutex(key: string): BackendMutex {
    return {
      acquire: async (options = {}) => {
        if (!this.#held.has(key)) return this.#grant(key);
        if (options.wait === false) return undefined;
        return new Promise<MutexLease>((resolve) => {
          const queue = this.#queues.get(key) ?? [];
          queue.push(resolve);
          this.#queues.set(key, queue);
        });
      },
    };
  }

  #grant(key: string): MutexLease {
    this.#held.add(key);
    this.acquired.push(key);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        this.#held.delete(key);
        const next = this.#queues.get(key)?.shift();
        if (next !== undefined) next(this.#grant(key));
      },
    };
  }
}

class LockingBackend extends ProxyBackend {
  override readonly mutex: (key: string) => BackendMutex;
  constructor(next: Backend, table: LockTable) {
    super(next);
    this.mutex = (key) => table.mutex(key);
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Region.getOrCreate single-flight', () => {
  it('runs the creator once for 100 concurrent callers of a missing key', async () => {
    const region = new Region({ store: new MemoryBackend() });
    const gate = deferred<string>();
    let calls = 0;
    const creator = async (key: string) => {
      calls++;
      return `${key}:${await gate.promise}`;
    };
    const all = Promise.all(Array.from({ length: 100 }, () => region.getOrCreate('k', creator)));
    await flushPromises();
    expect(region.isRegenerating('k')).toBe(true);
    gate.resolve('v1');
    const values = await all;
    expect(calls).toBe(1);
    expect(new Set(values)).toEqual(new Set(['k:v1']));
    expect(values).toHaveLength(100);
    expect(region.isRegenerating('k')).toBe(false);
    expect(await region.get('k')).toBe('k:v1');
  });

  it('rejects every waiter with the creator error after one attempt, then tries again on the next call', async () => {
    const region = new Region({ store: new MemoryBackend() });
    const gate = deferred<string>();
    const boom = new Error('backend down');
    let calls = 0;
    const creator = async () => {
      calls++;
      await gate.promise;
      throw boom;
    };
    const results = Array.from({ length: 50 }, () => region.getOrCreate('k', creator).then(() => 'resolved', (e: unknown) => e));
    await flushPromises();
    gate.resolve('go');
    const errors = await Promise.all(results);
    expect(calls).toBe(1);
    for (const error of errors) expect(error).toBe(boom);
    expect(await region.getOrCreate('k', async () => 'second try')).toBe('second try');
  });

  it('shares one creation between two regions over one store through the store mutex', async () => {
    const store = new MemoryBackend();
    const table = new LockTable();
    const a = new Region({ store: new LockingBackend(store, table) });
    const b = new Region({ store: new LockingBackend(store, table) });
    const gate = deferred<void>();
    let calls = 0;
    const creator = async () => {
      calls++;
      await gate.promise;
      return 'shared';
    };
    const fromA = a.getOrCreate('k', creator);
    await flushPromises();
    const fromB = b.getOrCreate('k', creator);
    await flushPromises();
    gate.resolve();
    expect(await Promise.all([fromA, fromB])).toEqual(['shared', 'shared']);
    expect(calls).toBe(1);
  });

  it('serves the expired value when another process holds the store lock', async () => {
    const store = new MemoryBackend();
    const table = new LockTable();
    const region = new Region({ store: new LockingBackend(store, table), ttl: 1000 });
    await region.set('k', 'old');
    vi.advanceTimersByTime(1001);
    const elsewhere = (await table.mutex('k').acquire()) as MutexLease;
    let calls = 0;
    expect(await region.getOrCreate('k', () => (calls++, 'new'))).toBe('old');
    expect(calls).toBe(0);
    await elsewhere.release();
    expect(await region.getOrCreate('k', () => (calls++, 'new'))).toBe('new');
  });
});

describe('Region.getOrCreate wait timeout', () => {
  async function slowRegion() {
    const region = new Region({ store: new MemoryBackend(), ttl: 1000 });
    const gate = deferred<string>();
    return { region, gate, creator: () => gate.promise };
  }

  it("'throw' rejects with RegionWaitTimeoutError, and the creation still fills the cache", async () => {
    const { region, gate, creator } = await slowRegion();
    const waiting = region.getOrCreate('k', creator, { waitTimeout: 500 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    const error = await waiting;
    expect(error).toBeInstanceOf(RegionWaitTimeoutError);
    expect((error as RegionWaitTimeoutError).code).toBe('ERR_REGION_WAIT_TIMEOUT');
    expect((error as RegionWaitTimeoutError).keys).toEqual(['k']);
    gate.resolve('late');
    await flushPromises();
    expect(await region.get('k')).toBe('late');
  });

  it("'miss' resolves NO_VALUE", async () => {
    const { region, gate, creator } = await slowRegion();
    const waiting = region.getOrCreate('k', creator, { waitTimeout: 500, onWaitTimeout: 'miss' });
    await vi.advanceTimersByTimeAsync(499);
    gate.resolve('v');
    expect(await waiting).toBe('v');
    const gate2 = deferred<string>();
    await region.delete('k');
    const second = region.getOrCreate('k', () => gate2.promise, { waitTimeout: 500, onWaitTimeout: 'miss' });
    await vi.advanceTimersByTimeAsync(500);
    expect(await second).toBe(NO_VALUE);
    gate2.resolve('v2');
  });

  it("'stale' resolves the expired value, or NO_VALUE when there is none", async () => {
    const { region, gate, creator } = await slowRegion();
    const none = region.getOrCreate('k', creator, { waitTimeout: 100, onWaitTimeout: 'stale' });
    await vi.advanceTimersByTimeAsync(100);
    expect(await none).toBe(NO_VALUE);
    gate.resolve('first');
    await flushPromises();
    vi.advanceTimersByTime(1000);
    const gate2 = deferred<string>();
    const stale = region.getOrCreate('k', () => gate2.promise, { waitTimeout: 100, onWaitTimeout: 'stale' });
    await vi.advanceTimersByTimeAsync(100);
    expect(await stale).toBe('first');
    gate2.resolve('second');
    await flushPromises();
    expect(await region.get('k')).toBe('second');
  });

  it('an aborted signal ends the wait with its reason; the creation goes on', async () => {
    const { region, gate, creator } = await slowRegion();
    const controller = new AbortController();
    const waiting = region.getOrCreate('k', creator, { signal: controller.signal }).catch((e: unknown) => e);
    await flushPromises();
    controller.abort(new Error('client went away'));
    expect(((await waiting) as Error).message).toBe('client went away');
    expect(region.isRegenerating('k')).toBe(true);
    gate.resolve('done');
    await flushPromises();
    expect(await region.get('k')).toBe('done');
    await expect(region.getOrCreate('k', creator, { signal: AbortSignal.abort(new Error('before')) })).rejects.toThrow('before');
  });
});

describe('Region.getOrCreate with expired values', () => {
  it('serves the expired value to everyone but the one caller that regenerates it', async () => {
    const region = new Region({ store: new MemoryBackend(), ttl: 1000 });
    await region.set('k', 'old');
    vi.advanceTimersByTime(1000);
    const gate = deferred<string>();
    let calls = 0;
    const creator = () => (calls++, gate.promise);
    const first = region.getOrCreate('k', creator);
    await flushPromises();
    const others = await Promise.all(Array.from({ length: 20 }, () => region.getOrCreate('k', creator)));
    expect(others.every((v) => v === 'old')).toBe(true);
    gate.resolve('new');
    expect(await first).toBe('new');
    expect(calls).toBe(1);
    expect(await region.getOrCreate('k', creator)).toBe('new');
  });

  it("refresh: 'background' answers every caller with the expired value and regenerates once", async () => {
    const region = new Region({ store: new MemoryBackend(), ttl: 1000 });
    await region.set('k', 'old');
    vi.advanceTimersByTime(1500);
    const gate = deferred<string>();
    let calls = 0;
    const creator = () => (calls++, gate.promise);
    const values = await Promise.all(Array.from({ length: 10 }, () => region.getOrCreate('k', creator, { refresh: 'background' })));
    expect(values.every((v) => v === 'old')).toBe(true);
    expect(region.isRegenerating('k')).toBe(true);
    gate.resolve('new');
    await flushPromises();
    expect(calls).toBe(1);
    expect(await region.get('k')).toBe('new');
  });

  it("a background failure goes to the 'error' event and the old value stays", async () => {
    const region = new Region({ store: new MemoryBackend(), ttl: 1000 });
    const errors: unknown[] = [];
    region.on('error', (e) => errors.push(e));
    await region.set('k', 'old');
    vi.advanceTimersByTime(1500);
    expect(await region.getOrCreate('k', async () => Promise.reject(new Error('nope')), { refresh: 'background' })).toBe('old');
    await flushPromises();
    expect(errors.map((e) => (e as Error).message)).toEqual(['nope']);
    expect(await region.get('k', { ignoreExpiry: true })).toBe('old');
  });

  it('staleIfError serves the expired value for the grace period only', async () => {
    const region = new Region({ store: new MemoryBackend(), ttl: 1000 });
    await region.set('k', 'old');
    const failing = async () => Promise.reject(new Error('upstream 503'));
    vi.advanceTimersByTime(1000 + 400);
    expect(await region.getOrCreate('k', failing, { staleIfError: 500 })).toBe('old');
    vi.advanceTimersByTime(200);
    await expect(region.getOrCreate('k', failing, { staleIfError: 500 })).rejects.toThrow('upstream 503');
    await expect(region.getOrCreate('k', failing)).rejects.toThrow('upstream 503');
  });
});

describe('Region invalidation', () => {
  async function withValue() {
    const region = new Region({ store: new MemoryBackend() });
    await region.set('k', 'old');
    const gate = deferred<string>();
    let calls = 0;
    const creator = () => (calls++, gate.promise);
    return { region, gate, creator, calls: () => calls };
  }

  it('soft: one caller regenerates while the others get the old value', async () => {
    const { region, gate, creator, calls } = await withValue();
    await region.invalidate({ hard: false });
    expect(await region.get('k')).toBe(NO_VALUE);
    expect(await region.get('k', { ignoreExpiry: true })).toBe('old');
    const first = region.getOrCreate('k', creator);
    await flushPromises();
    expect(await Promise.all([region.getOrCreate('k', creator), region.getOrCreate('k', creator)])).toEqual(['old', 'old']);
    gate.resolve('new');
    expect(await first).toBe('new');
    expect(calls()).toBe(1);
    expect(await region.get('k')).toBe('new');
  });

  it('hard: everyone waits for the new value', async () => {
    const { region, gate, creator, calls } = await withValue();
    await region.invalidate();
    expect(await region.get('k', { ignoreExpiry: true })).toBe(NO_VALUE);
    const all = Promise.all(Array.from({ length: 5 }, () => region.getOrCreate('k', creator)));
    await flushPromises();
    gate.resolve('new');
    expect(await all).toEqual(['new', 'new', 'new', 'new', 'new']);
    expect(calls()).toBe(1);
    expect(await region.get('k')).toBe('new');
  });
});

describe('Region reads and writes', () => {
  it('does not store a value shouldCache refuses, but returns it', async () => {
    const region = new Region({ store: new MemoryBackend() });
    const shouldCache = vi.fn((value: number | null) => value !== null);
    expect(await region.getOrCreate('k', () => null, { shouldCache })).toBe(null);
    expect(shouldCache).toHaveBeenCalledWith(null, 'k');
    expect(await region.get('k')).toBe(NO_VALUE);
    expect(await region.getOrCreate('k', () => 7, { shouldCache })).toBe(7);
    expect(await region.get('k')).toBe(7);
  });

  it('reads an entry of an unknown metadata version as a miss', async () => {
    const store = new MemoryBackend();
    const region = new Region({ store });
    await store.set('k', { value: 'from the future', createdAt: Date.now(), expiresAt: 0, version: ENTRY_FORMAT_VERSION + 1 });
    expect(await region.get('k')).toBe(NO_VALUE);
    expect(await region.getEntry('k', { ignoreExpiry: true })).toBe(NO_VALUE);
    expect(await region.getOrCreate('k', () => 'rebuilt')).toBe('rebuilt');
  });

  it('honours ttl, maxAge, ignoreExpiry and reports metadata', async () => {
    const region = new Region({ store: new MemoryBackend(), ttl: 1000, keyMangler: (k) => `app:${k}` });
    const t0 = Date.now();
    await region.set('a', 1);
    await region.set('b', 2, { ttl: 0 });
    await region.setMany([['c', 3], ['d', 4]], { ttl: 5000 });
    expect(await region.getEntry('a')).toEqual({ value: 1, createdAt: t0, expiresAt: t0 + 1000, version: ENTRY_FORMAT_VERSION });
    vi.advanceTimersByTime(1000);
    expect(await region.getMany(['a', 'b', 'c', 'x'])).toEqual([NO_VALUE, 2, 3, NO_VALUE]);
    expect(await region.get('a', { ignoreExpiry: true })).toBe(1);
    expect(await region.get('b', { maxAge: 999 })).toBe(NO_VALUE);
    expect(await region.get('b', { maxAge: 1000 })).toBe(2);
    await region.deleteMany(['c', 'd']);
    await region.delete('c');
    const keys: string[] = [];
    for await (const key of region.store.keys('app:')) keys.push(key);
    expect(keys.sort()).toEqual(['app:a', 'app:b']);
  });

  it('throws at once on bad options, naming the option and the value', async () => {
    const store = new MemoryBackend();
    expect(() => new Region({} as never)).toThrow(TypeError);
    expect(() => new Region({ store, ttl: -1 })).toThrow(/ttl.*-1/);
    expect(() => new Region({ store, waitTimeout: Number.NaN })).toThrow(/waitTimeout/);
    expect(() => new Region({ store, keyMangler: 'x' as never })).toThrow(/keyMangler/);
    expect(() => new Region({ store, tll: 5 } as never)).toThrow(/unknown Region option tll/);
    const region = new Region({ store });
    await expect(region.getOrCreate('k', () => 1, { onWaitTimeout: 'later' as never })).rejects.toThrow(/onWaitTimeout.*"later"/);
    await expect(region.getOrCreate('k', () => 1, { staleIfError: -5 })).rejects.toThrow(RangeError);
    await expect(region.getOrCreate('k', () => 1, { refresh: 'lazy' as never })).rejects.toThrow(/refresh/);
    await expect(region.getOrCreate('k', 'nope' as never)).rejects.toThrow(/creator must be a function/);
    await expect(region.get('k', { maxAge: -1 })).rejects.toThrow(RangeError);
  });
});
