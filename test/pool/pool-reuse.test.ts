import { describe, expect, it } from 'vitest';
import { Conn, connFactory } from '../helpers/pool-elements.js';
import { LarderError, ObjectPool, PoolError } from '../../src/main/index.js';

describe('ObjectPool reuse', () => {
  it('creates once and reuses after that (the seed stat example)', async () => {
    const f = connFactory();
    const pool = new ObjectPool(f.create, { args: [1, 'x'], destroy: f.destroy });
    const first = await pool.use((conn) => conn);
    expect(pool.stats).toEqual({ created: 1, acquired: 1, released: 1, destroyed: 0, idle: 1, inUse: 0, waiting: 0 });
    const second = await pool.use((conn) => conn);
    expect(second).toBe(first);
    expect(first.args).toEqual([1, 'x']);
    expect(pool.stats).toEqual({ created: 1, acquired: 2, released: 2, destroyed: 0, idle: 1, inUse: 0, waiting: 0 });
    expect(f.made).toHaveLength(1);
  });

  it('creates a new element for each concurrent borrower and lends the most recently released first', async () => {
    const f = connFactory();
    const pool = new ObjectPool(f.create);
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    expect(a).not.toBe(b);
    expect(pool.stats).toMatchObject({ created: 2, acquired: 2, inUse: 2, idle: 0 });
    pool.release(a);
    pool.release(b);
    expect(pool.stats).toMatchObject({ released: 2, inUse: 0, idle: 2 });
    expect(await pool.acquire()).toBe(b);
    expect(await pool.acquire()).toBe(a);
    expect(pool.stats.created).toBe(2);
  });

  it('accepts an async create and passes args', async () => {
    const pool = new ObjectPool(async (host: string, port: number) => ({ host, port }), { args: ['db', 5432] as [string, number] });
    const conn = await pool.acquire();
    expect(conn).toEqual({ host: 'db', port: 5432 });
  });

  it('destroys a released element when the idle queue is full', async () => {
    const f = connFactory();
    const pool = new ObjectPool(f.create, { destroy: f.destroy, maxIdle: 2 });
    const conns = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    for (const conn of conns) pool.release(conn);
    expect(pool.stats).toMatchObject({ created: 3, released: 3, destroyed: 1, idle: 2, inUse: 0 });
    expect(f.destroyed).toEqual([conns[2]]);
    expect(conns[2]?.closed).toBe(true);
  });

  it('maxIdle 0 keeps nothing', async () => {
    const f = connFactory();
    const pool = new ObjectPool(f.create, { destroy: f.destroy, maxIdle: 0 });
    await pool.use(() => {});
    await pool.use(() => {});
    expect(pool.stats).toMatchObject({ created: 2, released: 2, destroyed: 2, idle: 0 });
  });

  it('stats is a frozen snapshot', async () => {
    const pool = new ObjectPool(connFactory().create);
    const before = pool.stats;
    expect(Object.isFrozen(before)).toBe(true);
    expect(() => {
      (before as { created: number }).created = 9;
    }).toThrow(TypeError);
    await pool.acquire();
    expect(before.created).toBe(0);
    expect(pool.stats.created).toBe(1);
  });

  it('releasing twice, or an element it does not own, is a coded error that changes nothing', async () => {
    const pool = new ObjectPool(connFactory().create);
    const conn = await pool.acquire();
    pool.release(conn);
    const before = pool.stats;
    let twice: unknown;
    try {
      pool.release(conn);
    } catch (error) {
      twice = error;
    }
    expect(twice).toBeInstanceOf(PoolError);
    expect(twice).toBeInstanceOf(LarderError);
    expect(twice).toMatchObject({ code: 'ERR_NOT_IN_USE', message: expect.stringContaining('released twice') });
    expect(() => pool.release(new Conn(99, []))).toThrow(expect.objectContaining({ code: 'ERR_NOT_IN_USE', message: expect.stringContaining('does not have on loan') }));
    await expect(pool.destroy(new Conn(98, []))).rejects.toMatchObject({ code: 'ERR_NOT_IN_USE' });
    expect(pool.stats).toEqual(before);
  });

  it('destroy(el) destroys a lent element and frees its place; a failing destroy is reported', async () => {
    const f = connFactory();
    const pool = new ObjectPool(f.create, { destroy: f.destroy, maxTotal: 1 });
    const conn = await pool.acquire();
    const waiter = pool.acquire();
    await pool.destroy(conn);
    expect(f.destroyed).toEqual([conn]);
    const next = await waiter;
    expect(next).not.toBe(conn);
    expect(pool.stats).toMatchObject({ created: 2, destroyed: 1, inUse: 1 });
    await expect(pool.destroy(conn)).rejects.toMatchObject({ code: 'ERR_NOT_IN_USE' });

    const boom = new Error('socket already gone');
    const failing = new ObjectPool(f.create, {
      destroy: () => {
        throw boom;
      },
    });
    const el = await failing.acquire();
    await expect(failing.destroy(el)).rejects.toMatchObject({ code: 'ERR_POOL_DESTROY', cause: boom });
    expect(failing.stats).toMatchObject({ destroyed: 1, inUse: 0 });
  });
});
