import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connFactory, deferred, settle, track, type Conn } from '../helpers/pool-elements.js';
import { ObjectPool } from '../../src/main/index.js';

describe('ObjectPool maxTotal and waiting', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits at the cap and serves waiters first come first served', async () => {
    const f = connFactory();
    const pool = new ObjectPool(f.create, { maxTotal: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const log: string[] = [];
    const w1 = track(pool.acquire(), log, 'w1');
    const w2 = track(pool.acquire(), log, 'w2');
    const w3 = track(pool.acquire(), log, 'w3');
    await settle();
    expect(pool.stats).toMatchObject({ created: 2, inUse: 2, waiting: 3 });
    expect(log).toEqual([]);

    pool.release(b);
    expect(await w1).toBe(b);
    pool.release(a);
    expect(await w2).toBe(a);
    expect(log).toEqual(['w1 ok', 'w2 ok']);
    expect(pool.stats).toMatchObject({ created: 2, acquired: 4, waiting: 1 });

    // a destroy frees a place: the next waiter gets a new element
    await pool.destroy(b);
    const third = await w3;
    expect(f.made).toHaveLength(3);
    expect(third).toBe(f.made[2]);
    expect(pool.stats).toMatchObject({ created: 3, destroyed: 1, inUse: 2, waiting: 0 });
  });

  it('a new acquirer does not jump the queue when an element comes back', async () => {
    const pool = new ObjectPool(connFactory().create, { maxTotal: 1 });
    const only = await pool.acquire();
    const log: string[] = [];
    const waiter = track(pool.acquire(), log, 'waiter');
    await settle();
    pool.release(only);
    const late = track(pool.acquire(), log, 'late');
    expect(await waiter).toBe(only);
    await settle();
    expect(log).toEqual(['waiter ok']);
    pool.release(only);
    expect(await late).toBe(only);
  });

  it('rejects a waiter with ERR_ACQUIRE_TIMEOUT after acquireTimeout, and the queue moves on', async () => {
    const pool = new ObjectPool(connFactory().create, { maxTotal: 1, acquireTimeout: 1_000 });
    const only = await pool.acquire();
    const timedOut = pool.acquire();
    const outcome = timedOut.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(999);
    expect(pool.stats.waiting).toBe(1);
    const second = pool.acquire();
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT', message: expect.stringContaining('1000 ms') });
    expect(pool.stats.waiting).toBe(1);
    pool.release(only);
    expect(await second).toBe(only);
    expect(pool.stats).toMatchObject({ acquired: 2, released: 1, waiting: 0 });
  });

  it('a create slower than acquireTimeout rejects the acquirer and its element goes to the pool', async () => {
    const gate = deferred<void>();
    let made = 0;
    const pool = new ObjectPool(
      async () => {
        await gate.promise;
        return { n: ++made };
      },
      { acquireTimeout: 50 },
    );
    const slow = pool.acquire().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(50);
    expect(await slow).toMatchObject({ code: 'ERR_ACQUIRE_TIMEOUT' });
    gate.resolve();
    await settle();
    expect(pool.stats).toMatchObject({ created: 1, acquired: 0, idle: 1, inUse: 0 });
    expect(await pool.acquire()).toEqual({ n: 1 });
  });

  it('an AbortSignal rejects a waiting acquire with ERR_ACQUIRE_ABORTED carrying the reason', async () => {
    const pool = new ObjectPool(connFactory().create, { maxTotal: 1 });
    const only = await pool.acquire();
    const controller = new AbortController();
    const aborted = pool.acquire({ signal: controller.signal }).catch((error: unknown) => error);
    const next = pool.acquire();
    await settle();
    expect(pool.stats.waiting).toBe(2);
    const reason = new Error('request cancelled');
    controller.abort(reason);
    expect(await aborted).toMatchObject({ code: 'ERR_ACQUIRE_ABORTED', cause: reason });
    expect(pool.stats.waiting).toBe(1);
    pool.release(only);
    expect(await next).toBe(only);

    await expect(pool.acquire({ signal: AbortSignal.abort('gone') })).rejects.toMatchObject({ code: 'ERR_ACQUIRE_ABORTED', cause: 'gone' });
    expect(pool.stats).toMatchObject({ acquired: 2, waiting: 0 });
  });

  it('aborting after the acquire resolved changes nothing', async () => {
    const pool = new ObjectPool(connFactory().create);
    const controller = new AbortController();
    const conn: Conn = await pool.acquire({ signal: controller.signal });
    controller.abort();
    pool.release(conn);
    expect(pool.stats).toMatchObject({ acquired: 1, released: 1, idle: 1 });
  });
});
