import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryBackend, NO_VALUE, Region } from '../../src/main/index.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

function counted<A extends unknown[], R>(fn: (...args: A) => R) {
  const calls: A[] = [];
  const wrapped = (...args: A): R => {
    calls.push(args);
    return fn(...args);
  };
  return { wrapped, calls };
}

describe('Region.memoize', () => {
  it('caches by every argument, canonically: object key order does not matter, values do', async () => {
    const region = new Region({ store: new MemoryBackend() });
    const { wrapped, calls } = counted((query: { a: number; b: number }, page: number) => `${query.a + query.b}@${page}`);
    const search = region.memoize(wrapped, { namespace: 'search' });
    expect(await search({ a: 1, b: 2 }, 1)).toBe('3@1');
    expect(await search({ b: 2, a: 1 }, 1)).toBe('3@1');
    expect(await search({ a: 1, b: 2 }, 2)).toBe('3@2');
    expect(await search({ a: 2, b: 1 }, 1)).toBe('3@1');
    expect(calls).toHaveLength(3);
    expect(search.key({ a: 1, b: 2 }, 1)).toBe(search.key({ b: 2, a: 1 }, 1));
    expect(search.key({ a: 1, b: 2 }, 1).startsWith('search|')).toBe(true);
  });

  it('has invalidate, get, set, refresh and original helpers', async () => {
    const region = new Region({ store: new MemoryBackend() });
    let version = 0;
    const { wrapped, calls } = counted((id: number) => `user ${id} v${++version}`);
    const loadUser = region.memoize(wrapped, { namespace: 'user' });
    expect(await loadUser.get(1)).toBe(NO_VALUE);
    expect(await loadUser(1)).toBe('user 1 v1');
    expect(await loadUser.get(1)).toBe('user 1 v1');
    await loadUser.set('pinned', 1);
    expect(await loadUser(1)).toBe('pinned');
    expect(await loadUser.refresh(1)).toBe('user 1 v2');
    expect(await loadUser(1)).toBe('user 1 v2');
    await loadUser.invalidate(1);
    expect(await loadUser.get(1)).toBe(NO_VALUE);
    expect(await loadUser(1)).toBe('user 1 v3');
    expect(loadUser.original).toBe(wrapped);
    expect(calls).toHaveLength(3);
  });

  it('runs a slow function once for concurrent calls with the same arguments', async () => {
    const region = new Region({ store: new MemoryBackend() });
    let calls = 0;
    const slow = region.memoize(async function slowDouble(n: number) {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return n * 2;
    });
    const all = Promise.all([slow(1), slow(1), slow(1), slow(2)]);
    await vi.advanceTimersByTimeAsync(100);
    expect(await all).toEqual([2, 2, 2, 4]);
    expect(calls).toBe(2);
    expect(slow.key(1).startsWith('slowDouble|')).toBe(true);
  });

  it('takes ttl as a function of the value, and honours shouldCache', async () => {
    const region = new Region({ store: new MemoryBackend() });
    const { wrapped, calls } = counted((n: number) => (n < 0 ? null : n));
    const f = region.memoize(wrapped, { namespace: 'f', ttl: (value) => (value === 0 ? 50 : 1000), shouldCache: (value) => value !== null });
    await f(0);
    await f(5);
    await f(-1);
    await f(-1);
    await f(5);
    expect(calls.map(([n]) => n)).toEqual([0, 5, -1, -1]);
    vi.advanceTimersByTime(50);
    expect(await f.get(0)).toBe(NO_VALUE);
    expect(await f.get(5)).toBe(5);
  });

  it('uses a custom key function that sees all arguments and this; includeThis keys per instance', async () => {
    const region = new Region({ store: new MemoryBackend() });
    const byLength = region.memoize((a: string, b: string) => a + b, { namespace: 'cat', key: (a, b) => `${a.length}/${b.length}` });
    expect(await byLength('ab', 'c')).toBe('abc');
    expect(await byLength('xy', 'z')).toBe('abc');
    expect(byLength.key('xy', 'z')).toBe('cat|2/1');

    class Account {
      readonly id: number;
      constructor(id: number) {
        this.id = id;
      }
    }
    const balance = region.memoize(function (this: Account, currency: string) {
      return `${this.id}:${currency}`;
    }, { namespace: 'balance', includeThis: true });
    const a = new Account(1);
    const b = new Account(2);
    expect(await balance.call(a, 'EUR')).toBe('1:EUR');
    expect(await balance.call(b, 'EUR')).toBe('2:EUR');
    await balance.invalidate.call(a, 'EUR');
    expect(await balance.get.call(a, 'EUR')).toBe(NO_VALUE);
    expect(await balance.get.call(b, 'EUR')).toBe('2:EUR');
  });

  it('throws at once on bad options', () => {
    const region = new Region({ store: new MemoryBackend() });
    expect(() => region.memoize(() => 1)).toThrow(/namespace/);
    expect(() => region.memoize(() => 1, { namespace: 'x', ttl: -1 })).toThrow(RangeError);
    expect(() => region.memoize(() => 1, { namespace: 'x', key: 'k' as never })).toThrow(/key must be a function/);
    expect(() => region.memoize(() => 1, { namespace: 'x', nameSpace: 'y' } as never)).toThrow(/unknown memoize option nameSpace/);
    expect(() => region.memoizeMany(() => [], { namespace: 'x', onWaitTimeout: 'miss' } as never)).toThrow(/unknown memoizeMany option/);
  });
});
