import { describe, expect, it } from 'vitest';
import { openBucket } from '../helpers/bucket.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { MemoHit } from '../../src/main/index.js';

describe('@bucket.cached() — a standard (TC39) method decorator', () => {
  it('memoizes a method keyed by the instance state, the class and the arguments', async () => {
    const bucket = await openBucket(tempDir());
    const calls: string[] = [];
    const hits: MemoHit[] = [];

    class SomeService {
      username: string;
      constructor(username: string) {
        this.username = username;
      }

      @bucket.cached({ nocache: 'skipCache', ignore: ['verbose'], onHit: (hit) => hits.push(hit) })
      expensive(a: number, b: number, verbose = false, skipCache = false): string {
        void verbose;
        void skipCache;
        calls.push(`${this.username}:${a},${b}`);
        return `${this.username}:${a + b}`;
      }
    }

    const alice = new SomeService('alice');
    expect(alice.expensive(1, 2)).toBe('alice:3');
    expect(alice.expensive(1, 2)).toBe('alice:3');
    expect(new SomeService('alice').expensive(1, 2, true)).toBe('alice:3'); // equal state, verbose ignored
    expect(new SomeService('bob').expensive(1, 2)).toBe('bob:3');
    expect(alice.expensive(1, 2, false, true)).toBe('alice:3'); // skipCache: runs again
    expect(calls).toEqual(['alice:1,2', 'bob:1,2', 'alice:1,2']);
    expect(hits.map((h) => h.args)).toEqual([[1, 2], [1, 2, true]]);
  });

  it('memoizes async methods without caching rejections', async () => {
    const bucket = await openBucket(tempDir());
    let calls = 0;
    class Api {
      fail = true;
      @bucket.cached()
      async load(id: number): Promise<{ id: number }> {
        calls++;
        if (this.fail) throw new Error('unavailable');
        return { id };
      }
    }
    const api = new Api();
    await expect(api.load(1)).rejects.toThrow('unavailable');
    api.fail = false;
    // `fail` is state, so the instance now keys differently; a fresh one with fail=false shares it.
    expect(await api.load(1)).toEqual({ id: 1 });
    const other = new Api();
    other.fail = false;
    expect(await other.load(1)).toEqual({ id: 1 });
    expect(calls).toBe(2);
  });

  it('keys static methods by class name, so two classes do not collide', async () => {
    const bucket = await openBucket(tempDir());
    class Cats {
      @bucket.cached()
      static count(n: number): string {
        return `cats ${n}`;
      }
    }
    class Dogs {
      @bucket.cached()
      static count(n: number): string {
        return `dogs ${n}`;
      }
    }
    expect(Cats.count(1)).toBe('cats 1');
    expect(Dogs.count(1)).toBe('dogs 1');
    expect(Cats.count(1)).toBe('cats 1');
  });

  it('caches across a reopen', async () => {
    const dir = tempDir();
    let calls = 0;
    const define = (bucket: Awaited<ReturnType<typeof openBucket>>) =>
      class Calc {
        @bucket.cached()
        twice(x: number): number {
          calls++;
          return x * 2;
        }
      };
    const first = await openBucket(dir);
    expect(new (define(first))().twice(21)).toBe(42);
    await first.close();
    const second = await openBucket(dir);
    expect(new (define(second))().twice(21)).toBe(42);
    expect(calls).toBe(1);
  });
});
