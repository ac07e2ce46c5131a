import { describe, expect, it, vi } from 'vitest';
import { type Backend, type BackendMutex, CreatorResultError, MemoryBackend, NO_VALUE, ProxyBackend, Region } from '../../src/main/index.js';

/** Records the order locks are asked for; every lock is free. */
class RecordingLocks extends ProxyBackend {
  readonly order: string[] = [];
  override readonly mutex: (key: string) => BackendMutex;
  constructor(next: Backend) {
    super(next);
    this.mutex = (key) => ({
      acquire: async () => {
        this.order.push(key);
        return { release: async () => {} };
      },
    });
  }
}

describe('Region.getOrCreateMany', () => {
  it('calls the creator once with exactly the missing keys and returns values in the order of keys', async () => {
    const region = new Region({ store: new MemoryBackend() });
    await region.setMany([['b', 'B0'], ['d', 'D0']]);
    const creator = vi.fn((keys: string[]) => keys.map((k) => k.toUpperCase()));
    const values = await region.getOrCreateMany(['e', 'd', 'a', 'b', 'c', 'a'], creator);
    expect(creator).toHaveBeenCalledTimes(1);
    expect(creator).toHaveBeenCalledWith(['e', 'a', 'c']);
    expect(values).toEqual(['E', 'D0', 'A', 'B0', 'C', 'A']);
    expect(await region.getMany(['a', 'c', 'e'])).toEqual(['A', 'C', 'E']);
  });

  it('joins keys another call is creating instead of creating them twice', async () => {
    const region = new Region({ store: new MemoryBackend() });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: string[][] = [];
    const creator = async (keys: string[]) => {
      seen.push(keys);
      await gate;
      return keys.map((k) => `${k}!`);
    };
    const first = region.getOrCreateMany(['a', 'b'], creator);
    for (let i = 0; i < 10; i++) await Promise.resolve();
    const second = region.getOrCreateMany(['b', 'c'], creator);
    for (let i = 0; i < 10; i++) await Promise.resolve();
    release();
    expect(await first).toEqual(['a!', 'b!']);
    expect(await second).toEqual(['b!', 'c!']);
    expect(seen).toEqual([['a', 'b'], ['c']]);
  });

  it('takes store locks in sorted key order', async () => {
    const store = new RecordingLocks(new MemoryBackend());
    const region = new Region({ store });
    await region.getOrCreateMany(['m', 'z', 'a', 'q'], (keys) => keys);
    expect(store.order).toEqual(['a', 'm', 'q', 'z']);
  });

  it('rejects every caller with CreatorResultError when the creator returns the wrong number of values', async () => {
    const region = new Region({ store: new MemoryBackend() });
    const error = await region.getOrCreateMany(['a', 'b'], () => ['only one']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CreatorResultError);
    expect((error as CreatorResultError).code).toBe('ERR_CREATOR_RESULT');
    expect((error as CreatorResultError).keys).toEqual(['a', 'b']);
    expect(await region.get('a')).toBe(NO_VALUE);
  });

  it('stores only what shouldCache accepts, with a ttl computed per value', async () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const region = new Region({ store: new MemoryBackend() });
      const values = await region.getOrCreateMany(['1', '2', '3'], (keys) => keys.map(Number), {
        shouldCache: (value) => value !== 2,
        ttl: (value) => value * 100,
      });
      expect(values).toEqual([1, 2, 3]);
      expect(await region.getMany(['1', '2', '3'])).toEqual([1, NO_VALUE, 3]);
      vi.advanceTimersByTime(150);
      expect(await region.getMany(['1', '3'])).toEqual([NO_VALUE, 3]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Region.memoizeMany', () => {
  it('calls the function once with the items not cached, in order, and has the helpers', async () => {
    const region = new Region({ store: new MemoryBackend() });
    const calls: number[][] = [];
    const squares = region.memoizeMany(async (ids: number[]) => (calls.push(ids), ids.map((n) => n * n)), { namespace: 'sq' });
    expect(await squares([3, 1])).toEqual([9, 1]);
    expect(await squares([1, 2, 3, 4, 2])).toEqual([1, 4, 9, 16, 4]);
    expect(calls).toEqual([[3, 1], [2, 4]]);
    expect(await squares.get([1, 5])).toEqual([1, NO_VALUE]);
    await squares.set([[5, -25]]);
    expect(await squares([5])).toEqual([-25]);
    await squares.invalidate([1, 5]);
    expect(await squares.get([1, 5])).toEqual([NO_VALUE, NO_VALUE]);
    expect(await squares.refresh([2])).toEqual([4]);
    expect(calls.at(-1)).toEqual([2]);
    expect(squares.original).toBeTypeOf('function');
  });
});
