import { describe, expect, it, vi } from 'vitest';
import { parameterNames } from '../../src/main/bucket/param-names.js';
import { openBucket } from '../helpers/bucket.js';
import { manualClock } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { keyState } from '../../src/main/index.js';

describe('bucket.memoize', () => {
  it('calls once per distinct arguments and serves the rest from the bucket, also after a reopen', async () => {
    const dir = tempDir();
    const first = await openBucket(dir);
    const calls: unknown[][] = [];
    const add = (a: number, b: { n: number }) => {
      calls.push([a, b]);
      return a + b.n;
    };
    const memo = first.memoize(add);
    expect(memo(1, { n: 2 })).toBe(3);
    expect(memo(1, { n: 2 })).toBe(3);
    expect(memo(2, { n: 2 })).toBe(4);
    expect(calls).toHaveLength(2);
    await first.close();
    const second = await openBucket(dir);
    expect(second.memoize(add)(1, { n: 2 })).toBe(3);
    expect(calls).toHaveLength(2);
  });

  it('keys by function name: different functions do not share entries', async () => {
    const bucket = await openBucket(tempDir());
    const double = bucket.memoize(function double(x: number) {
      return x * 2;
    });
    const square = bucket.memoize(function square(x: number) {
      return x * x;
    });
    expect([double(3), square(3)]).toEqual([6, 9]);
    expect(() => bucket.memoize((() => (x: number) => x)())).toThrow(/name must be a non-empty string/);
    expect(bucket.memoize((() => (x: number) => x + 1)(), { name: 'inc' })(1)).toBe(2);
  });

  it('method: includes the instance state in the key', async () => {
    const bucket = await openBucket(tempDir());
    const spy = vi.fn(function (this: { user: string }, path: string) {
      return `${this.user}:${path}`;
    });
    const fetch = bucket.memoize(spy, { name: 'fetch', method: true });
    const alice = { user: 'alice', fetch };
    const bob = { user: 'bob', fetch };
    expect(alice.fetch('/x')).toBe('alice:/x');
    expect(bob.fetch('/x')).toBe('bob:/x');
    expect({ user: 'alice', fetch }.fetch('/x')).toBe('alice:/x'); // equal state: a hit
    expect(spy).toHaveBeenCalledTimes(2);
    class Service {
      base = 'svc';
      handler = () => 1; // a function field is behaviour, not state
    }
    const get = bucket.memoize(function (this: Service, p: string) {
      return `${this.base}${p}`;
    }, { name: 'get', method: true });
    expect(get.call(new Service(), '/z')).toBe('svc/z');
    const unbound = bucket.memoize(spy, { name: 'fetch2' });
    unbound.call(alice, '/y');
    expect(unbound.call(bob, '/y')).toBe('alice:/y'); // without method, `this` is not in the key
  });

  it('method: a class keeping state in #private fields keys by its [keyState]()', async () => {
    const bucket = await openBucket(tempDir());
    let calls = 0;
    class Client {
      #token: string;
      constructor(token: string) {
        this.#token = token;
      }
      [keyState]() {
        return this.#token;
      }
      whoami = bucket.memoize(
        function (this: Client) {
          calls++;
          return this.#token;
        },
        { name: 'whoami', method: true },
      );
    }
    expect(new Client('a').whoami()).toBe('a');
    expect(new Client('b').whoami()).toBe('b');
    expect(new Client('a').whoami()).toBe('a');
    expect(calls).toBe(2);
  });

  it('nocache: a true flag bypasses the cache and refreshes the entry', async () => {
    const bucket = await openBucket(tempDir());
    let version = 0;
    const load = bucket.memoize(
      function load(id: string, refresh = false) {
        void refresh;
        return `${id}@${++version}`;
      },
      { nocache: 'refresh' },
    );
    expect(load('a')).toBe('a@1');
    expect(load('a')).toBe('a@1');
    expect(load('a', true)).toBe('a@2');
    expect(load('a')).toBe('a@2'); // the refreshed value was stored under the normal key
    expect(load('a', false)).toBe('a@2');
  });

  it('ignore: leaves named parameters out of the key, keeping the others in place', async () => {
    const bucket = await openBucket(tempDir());
    let calls = 0;
    const memo = bucket.memoize(
      (a: number, b: number, c?: number) => {
        calls++;
        return a * 100 + b * 10 + (c ?? 0);
      },
      { name: 'f', ignore: ['b'] },
    );
    expect(memo(1, 2, 3)).toBe(123);
    expect(memo(1, 5, 3)).toBe(123); // b ignored
    expect(memo(1, 3)).toBe(130); // c missing is not "b missing"
    expect(calls).toBe(2);
  });

  it('ignore and nocache need known parameter names; params supplies them', async () => {
    const bucket = await openBucket(tempDir());
    const native = Math.max;
    expect(() => bucket.memoize(native, { ignore: ['b'] })).toThrow(/cannot read the parameter names of max.*params/);
    const memo = bucket.memoize(native, { ignore: ['b'], params: ['a', 'b'] });
    expect(memo(1, 9)).toBe(9);
    expect(memo(1, 2)).toBe(9);
    expect(() => bucket.memoize(function f(a: number) {
      return a;
    }, { ignore: ['c'] })).toThrow(/ignore names parameter c, which f does not have \(parameters: a\)/);
    expect(() => bucket.memoize(native, { bogus: 1 } as never)).toThrow(/unknown option bogus/);
  });

  it('onHit receives the call arguments, the value and the expiry', async () => {
    const clock = manualClock();
    const bucket = await openBucket(tempDir(), { minutes: 1 }, { engine: { timers: clock.timers } });
    const hits: unknown[] = [];
    const memo = bucket.memoize((x: number) => ({ x }), { name: 'wrap', onHit: (hit) => hits.push(hit) });
    memo(1);
    expect(hits).toEqual([]);
    memo(1);
    expect(hits).toEqual([{ args: [1], value: { x: 1 }, expiresAt: clock.timers.now() + 60_000 }]);
    clock.advance(61_000);
    memo(1); // expired: a miss, no hit reported
    expect(hits).toHaveLength(1);
  });

  it('async functions: caches the resolved value, returns promises on hits, never caches a rejection', async () => {
    const dir = tempDir();
    const bucket = await openBucket(dir);
    let calls = 0;
    let fail = true;
    const fetchUser = bucket.memoize(async function fetchUser(id: number) {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error(`down ${id}`);
      return { id, name: `user${id}` };
    });
    await expect(fetchUser(1)).rejects.toThrow('down 1');
    await expect(fetchUser(1)).rejects.toThrow('down 1');
    expect(calls).toBe(2);
    fail = false;
    // Concurrent calls with one key share one call.
    const [a, b] = await Promise.all([fetchUser(1), fetchUser(1)]);
    expect(a).toEqual({ id: 1, name: 'user1' });
    expect(b).toBe(a);
    expect(calls).toBe(3);
    const hit = fetchUser(1);
    expect(hit).toBeInstanceOf(Promise);
    expect(await hit).toEqual({ id: 1, name: 'user1' });
    expect(calls).toBe(3);
    await bucket.sync();
    expect(bucket.cacher.stats.failed).toBe(0); // the value, not the promise, was written
  });

  it('a sync function that throws is not cached', async () => {
    const bucket = await openBucket(tempDir());
    let n = 0;
    const flaky = bucket.memoize(function flaky() {
      if (++n === 1) throw new Error('first');
      return n;
    });
    expect(() => flaky()).toThrow('first');
    expect(flaky()).toBe(2);
    expect(flaky()).toBe(2);
  });

  it('a per-function lifetime overrides the bucket lifetime', async () => {
    const clock = manualClock();
    const bucket = await openBucket(tempDir(), { days: 1 }, { engine: { timers: clock.timers } });
    let n = 0;
    const tick = bucket.memoize(function tick() {
      return ++n;
    }, { lifetime: { seconds: 10 } });
    expect(tick()).toBe(1);
    clock.advance(9_000);
    expect(tick()).toBe(1);
    clock.advance(2_000);
    expect(tick()).toBe(2);
  });
});

describe('parameterNames', () => {
  it.each([
    [function plain(a: number, b: string) {
      return [a, b];
    }, ['a', 'b']],
    [async function withDefaults(a = '(,)', /* c, */ b = [1, 2], ...rest: number[]) {
      return [a, b, rest];
    }, ['a', 'b', 'rest']],
    [(x: number) => x, ['x']],
    [async (x: number, { y }: { y: number }) => x + y, ['x', null]],
    [{ method(p: number, q = `t,${1}`) {
      return [p, q];
    } }.method, ['p', 'q']],
    [function* gen(first: number) {
      yield first;
    }, ['first']],
    [() => 0, []],
  ] as Array<[(...args: never[]) => unknown, Array<string | null>]>)('%s', (fn, names) => {
    expect(parameterNames(fn)).toEqual(names);
  });

  it('reads a bare arrow parameter and gives up on native code', () => {
    // eslint-disable-next-line no-new-func
    const bare = new Function('return async value => value')() as (v: unknown) => unknown;
    expect(parameterNames(bare)).toEqual(['value']);
    expect(parameterNames(Math.max)).toBeUndefined();
    expect(parameterNames(function f(this: unknown) {}.bind(null))).toBeUndefined();
  });
});
