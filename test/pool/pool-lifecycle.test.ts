import { afterEach, describe, expect, it, vi } from 'vitest';
import { connFactory, deferred, settle, type Conn } from '../helpers/pool-elements.js';
import { ObjectPool, PoolCreateError, type Timers } from '../../src/main/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ObjectPool validate on borrow', () => {
  it('destroys an idle element that fails validate and lends another', async () => {
    const f = connFactory();
    const checked: Conn[] = [];
    const pool = new ObjectPool(f.create, {
      destroy: f.destroy,
      validate: async (conn) => {
        checked.push(conn);
        return conn.id !== 2;
      },
    });
    const [one, two] = await Promise.all([pool.acquire(), pool.acquire()]);
    expect(checked).toEqual([]); // fresh elements are not validated
    pool.release(one);
    pool.release(two);
    // two is the warmest, fails, is destroyed; one passes
    expect(await pool.acquire()).toBe(one);
    expect(checked).toEqual([two, one]);
    expect(f.destroyed).toEqual([two]);
    expect(pool.stats).toMatchObject({ created: 2, acquired: 3, destroyed: 1, idle: 0, inUse: 1 });
  });

  it('a validate that throws counts as invalid; the borrower gets a new element', async () => {
    const f = connFactory();
    const pool = new ObjectPool(f.create, {
      destroy: f.destroy,
      validate: () => {
        throw new Error('ping failed');
      },
    });
    await pool.use(() => {});
    const conn = await pool.acquire();
    expect(conn.id).toBe(2);
    expect(pool.stats).toMatchObject({ created: 2, destroyed: 1, inUse: 1 });
  });

  it('an element handed straight to a waiter is validated too', async () => {
    const f = connFactory();
    const pool = new ObjectPool(f.create, { destroy: f.destroy, maxTotal: 1, validate: (conn) => conn.id !== 1 });
    const first = await pool.acquire();
    const waiter = pool.acquire();
    await settle();
    pool.release(first);
    const got = await waiter;
    expect(got.id).toBe(2);
    expect(f.destroyed).toEqual([first]);
    expect(pool.stats).toMatchObject({ created: 2, destroyed: 1, inUse: 1, waiting: 0 });
  });
});

describe('ObjectPool idleTimeout', () => {
  it('destroys idle elements older than idleTimeout and keeps younger ones', async () => {
    vi.useFakeTimers();
    const f = connFactory();
    const pool = new ObjectPool(f.create, { destroy: f.destroy, idleTimeout: 1_000 });
    const [old, young] = await Promise.all([pool.acquire(), pool.acquire()]);
    pool.release(old);
    await vi.advanceTimersByTimeAsync(600);
    pool.release(young);
    await vi.advanceTimersByTimeAsync(400);
    expect(f.destroyed).toEqual([old]);
    expect(pool.stats).toMatchObject({ destroyed: 1, idle: 1 });
    await vi.advanceTimersByTimeAsync(599);
    expect(pool.stats.idle).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.destroyed).toEqual([old, young]);
    expect(pool.stats).toMatchObject({ destroyed: 2, idle: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reusing an element restarts its idle clock', async () => {
    vi.useFakeTimers();
    const f = connFactory();
    const pool = new ObjectPool(f.create, { destroy: f.destroy, idleTimeout: 1_000 });
    await pool.use(() => {});
    await vi.advanceTimersByTimeAsync(900);
    await pool.use(() => {});
    await vi.advanceTimersByTimeAsync(900);
    expect(f.destroyed).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(f.destroyed).toHaveLength(1);
    expect(pool.stats.created).toBe(1);
  });

  it('the idle timer is unref’d so it never keeps the process alive', async () => {
    const handles: NodeJS.Timeout[] = [];
    const timers: Timers = {
      now: () => Date.now(),
      setTimeout: (fn, ms) => {
        const handle = setTimeout(fn, ms);
        handles.push(handle);
        return handle;
      },
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
    const pool = new ObjectPool(connFactory().create, { idleTimeout: 60_000, timers });
    await pool.use(() => {});
    expect(handles).toHaveLength(1);
    expect(handles[0]?.hasRef()).toBe(false);
    await pool.close();
  });
});

describe('ObjectPool close()', () => {
  it('refuses acquires, destroys idle elements at once and waits for elements in use', async () => {
    const f = connFactory();
    const pool = new ObjectPool(f.create, { destroy: f.destroy });
    const [idle, held] = await Promise.all([pool.acquire(), pool.acquire()]);
    pool.release(idle);
    let closed = false;
    const closing = pool.close().then(() => {
      closed = true;
    });
    expect(pool.closed).toBe(true);
    expect(pool.stats).toMatchObject({ idle: 0, inUse: 1, destroyed: 1 });
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await expect(pool.use(() => 1)).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await settle();
    expect(f.destroyed).toEqual([idle]);
    expect(closed).toBe(false);

    pool.release(held);
    await closing;
    expect(f.destroyed).toEqual([idle, held]);
    expect(pool.stats).toEqual({ created: 2, acquired: 2, released: 2, destroyed: 2, idle: 0, inUse: 0, waiting: 0 });
    await pool.close(); // idempotent
  });

  it('rejects waiting acquirers with ERR_POOL_CLOSED', async () => {
    const f = connFactory();
    const pool = new ObjectPool(f.create, { destroy: f.destroy, maxTotal: 1 });
    const held = await pool.acquire();
    const waiting = pool.acquire().catch((error: unknown) => error);
    await settle();
    expect(pool.stats.waiting).toBe(1);
    const closing = pool.close();
    expect(await waiting).toMatchObject({ code: 'ERR_POOL_CLOSED' });
    expect(pool.stats.waiting).toBe(0);
    pool.release(held);
    await closing;
    expect(pool.stats).toMatchObject({ acquired: 1, destroyed: 1, inUse: 0 });
  });

  it('rejects with ERR_CLOSE_TIMEOUT after its timeout; a late release still destroys the element', async () => {
    vi.useFakeTimers();
    const f = connFactory();
    const pool = new ObjectPool(f.create, { destroy: f.destroy });
    const conn = await pool.acquire();
    const closing = pool.close({ timeout: 500 }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(500);
    expect(await closing).toMatchObject({ code: 'ERR_CLOSE_TIMEOUT', message: expect.stringContaining('1 element(s) still in use') });
    pool.release(conn);
    expect(conn.closed).toBe(true);
    await expect(pool.close()).resolves.toBeUndefined();
  });

  it('an acquire whose create is in flight is rejected, and the element is destroyed when it arrives', async () => {
    const gate = deferred<void>();
    const destroyed: object[] = [];
    const pool = new ObjectPool(
      async () => {
        await gate.promise;
        return { late: true };
      },
      { destroy: (el) => void destroyed.push(el) },
    );
    const acquiring = pool.acquire().catch((error: unknown) => error);
    const closing = pool.close();
    expect(await acquiring).toMatchObject({ code: 'ERR_POOL_CLOSED' });
    gate.resolve();
    await closing;
    expect(destroyed).toEqual([{ late: true }]);
    expect(pool.stats).toMatchObject({ created: 1, acquired: 0, destroyed: 1, inUse: 0 });
  });

  it('reports destroy failures during close as ERR_POOL_DESTROY', async () => {
    const boom = new Error('close failed');
    const pool = new ObjectPool(connFactory().create, {
      destroy: async () => {
        throw boom;
      },
    });
    await pool.use(() => {});
    await expect(pool.close()).rejects.toMatchObject({ code: 'ERR_POOL_DESTROY', cause: boom });
  });
});

describe('ObjectPool create failures', () => {
  it('rejects the acquirer with PoolCreateError (cause = original) and leaves counts consistent', async () => {
    const refused = new Error('ECONNREFUSED');
    let fail = true;
    let n = 0;
    const pool = new ObjectPool(
      async () => {
        if (fail) throw refused;
        return { n: ++n };
      },
      { maxTotal: 1 },
    );
    const error = await pool.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolCreateError);
    expect(error).toMatchObject({ code: 'ERR_POOL_CREATE', cause: refused, message: expect.stringContaining('ECONNREFUSED') });
    expect(pool.stats).toEqual({ created: 0, acquired: 0, released: 0, destroyed: 0, idle: 0, inUse: 0, waiting: 0 });
    // the failed create gave its place back: maxTotal 1 still lets the next acquire create
    fail = false;
    expect(await pool.acquire()).toEqual({ n: 1 });
    expect(pool.stats).toMatchObject({ created: 1, acquired: 1, inUse: 1 });
  });

  it('a synchronous throw and a non-object result are create failures too', async () => {
    const sync = new ObjectPool((): object => {
      throw new RangeError('bad config');
    });
    await expect(sync.acquire()).rejects.toMatchObject({ code: 'ERR_POOL_CREATE', cause: expect.any(RangeError) });
    const primitive = new ObjectPool(() => 42 as unknown as object);
    await expect(primitive.acquire()).rejects.toMatchObject({ code: 'ERR_POOL_CREATE', cause: expect.objectContaining({ message: expect.stringContaining('returned 42') }) });
    expect(primitive.stats).toMatchObject({ created: 0, inUse: 0 });

    const singleton = {};
    const same = new ObjectPool(() => singleton);
    expect(await same.acquire()).toBe(singleton);
    await expect(same.acquire()).rejects.toMatchObject({ code: 'ERR_POOL_CREATE', cause: expect.objectContaining({ message: expect.stringContaining('already holds') }) });
    expect(same.stats).toMatchObject({ created: 1, inUse: 1 });
  });

  it('a failing create while others wait hands the place to the next waiter', async () => {
    const gate = deferred<object>();
    const calls: number[] = [];
    const pool = new ObjectPool(
      () => {
        calls.push(calls.length);
        return calls.length === 1 ? gate.promise : { second: true };
      },
      { maxTotal: 1 },
    );
    const first = pool.acquire().catch((error: unknown) => error);
    const second = pool.acquire();
    await settle();
    expect(pool.stats.waiting).toBe(1);
    gate.reject(new Error('down'));
    expect(await first).toMatchObject({ code: 'ERR_POOL_CREATE' });
    expect(await second).toEqual({ second: true });
    expect(pool.stats).toMatchObject({ created: 1, acquired: 1, inUse: 1, waiting: 0 });
  });
});
