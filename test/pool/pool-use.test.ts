import { describe, expect, it } from 'vitest';
import { connFactory, type Conn } from '../helpers/pool-elements.js';
import { ObjectPool } from '../../src/main/index.js';

class NetError extends Error {
  readonly transient: boolean;
  constructor(message: string, transient: boolean) {
    super(message);
    this.transient = transient;
  }
}

function makePool() {
  const f = connFactory();
  return { f, pool: new ObjectPool(f.create, { destroy: f.destroy }) };
}

describe('ObjectPool use() and shouldReuse', () => {
  it('returns the callback result and releases the element', async () => {
    const { pool } = makePool();
    await expect(pool.use(async (conn) => conn.id * 10)).resolves.toBe(10);
    expect(pool.stats).toMatchObject({ acquired: 1, released: 1, idle: 1, inUse: 0 });
  });

  it('without shouldReuse, an error destroys the element and is rethrown as is', async () => {
    const { f, pool } = makePool();
    const boom = new Error('boom');
    await expect(
      pool.use(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(f.destroyed).toEqual([f.made[0]]);
    expect(pool.stats).toMatchObject({ created: 1, released: 0, destroyed: 1, idle: 0, inUse: 0 });
  });

  it('shouldReuse true puts the element back, false destroys it; it sees the error and the element', async () => {
    const { f, pool } = makePool();
    const seen: Array<[unknown, Conn]> = [];
    const shouldReuse = async (error: unknown, conn: Conn) => {
      seen.push([error, conn]);
      return error instanceof NetError && error.transient;
    };
    const transient = new NetError('timeout', true);
    await expect(pool.use(() => Promise.reject(transient), { shouldReuse })).rejects.toBe(transient);
    expect(seen).toEqual([[transient, f.made[0]]]);
    expect(pool.stats).toMatchObject({ released: 1, destroyed: 0, idle: 1 });

    const fatal = new NetError('reset', false);
    await expect(pool.use(() => Promise.reject(fatal), { shouldReuse })).rejects.toBe(fatal);
    expect(pool.stats).toMatchObject({ created: 1, released: 1, destroyed: 1, idle: 0 });
    expect(f.made[0]?.closed).toBe(true);
  });

  it('a throwing shouldReuse destroys the element and rethrows the original error with the decider error as cause', async () => {
    const { f, pool } = makePool();
    const original = new Error('query failed');
    const deciderError = new Error('decider bug');
    const rejection = pool.use(
      () => {
        throw original;
      },
      {
        shouldReuse: () => {
          throw deciderError;
        },
      },
    );
    await expect(rejection).rejects.toBe(original);
    expect(original.cause).toBe(deciderError);
    expect(f.destroyed).toEqual([f.made[0]]);
    expect(pool.stats).toMatchObject({ destroyed: 1, idle: 0, inUse: 0 });
  });

  it('an original error that already has a cause travels with the decider error in an AggregateError', async () => {
    const { pool } = makePool();
    const root = new Error('root');
    const original = new Error('wrapped', { cause: root });
    const deciderError = new Error('decider bug');
    const error = await pool
      .use(() => Promise.reject(original), {
        shouldReuse: () => {
          throw deciderError;
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([original, deciderError]);
    expect(original.cause).toBe(root);
    expect(pool.stats.destroyed).toBe(1);
  });

  it('a callback that destroyed its element itself keeps its own error', async () => {
    const { pool } = makePool();
    const mine = new Error('mine');
    await expect(
      pool.use(async (conn) => {
        await pool.destroy(conn);
        throw mine;
      }),
    ).rejects.toBe(mine);
    expect(pool.stats).toMatchObject({ destroyed: 1, inUse: 0 });
  });

  it('scoped(options) binds shouldReuse once and is reusable (make_wrapper)', async () => {
    const { f, pool } = makePool();
    const withConn = pool.scoped({ shouldReuse: (error) => error instanceof NetError });
    expect(await withConn((conn) => conn.id)).toBe(1);
    await expect(withConn(() => Promise.reject(new NetError('retry', true)))).rejects.toBeInstanceOf(NetError);
    expect(pool.stats).toMatchObject({ created: 1, destroyed: 0, idle: 1 });
    await expect(withConn(() => Promise.reject(new TypeError('bug')))).rejects.toBeInstanceOf(TypeError);
    expect(pool.stats).toMatchObject({ created: 1, destroyed: 1, idle: 0 });
    expect(await withConn((conn) => conn.id)).toBe(2);
    expect(f.made).toHaveLength(2);
    await expect(withConn(() => 1, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ACQUIRE_ABORTED' });
  });

  it('rejects bad use() and scoped() arguments at once', async () => {
    const { pool } = makePool();
    expect(() => pool.scoped({ shouldReuse: true as never })).toThrow(/shouldReuse must be a function, received true/);
    await expect(pool.use('nope' as never)).rejects.toThrow(TypeError);
    expect(pool.stats.acquired).toBe(0);
  });
});
