import { describe, expect, it } from 'vitest';
import { ObjectPool, type ObjectPoolOptions } from '../../src/main/index.js';

const create = () => ({});

describe('ObjectPool options', () => {
  it.each([
    [{ maxIdle: -1 }, RangeError, 'maxIdle must be a non-negative integer or Infinity, received -1'],
    [{ maxIdle: 1.5 }, RangeError, 'maxIdle'],
    [{ maxTotal: 0 }, RangeError, 'maxTotal must be a positive integer or Infinity, received 0'],
    [{ maxTotal: '3' }, TypeError, 'maxTotal must be a number, received "3"'],
    [{ acquireTimeout: 0 }, RangeError, 'acquireTimeout must be a number of milliseconds > 0 or Infinity, received 0'],
    [{ acquireTimeout: 'soon' }, TypeError, 'acquireTimeout must be a number of milliseconds, received "soon"'],
    [{ idleTimeout: -5 }, RangeError, 'idleTimeout'],
    [{ destroy: 'close' }, TypeError, 'destroy must be a function, received "close"'],
    [{ validate: 1 }, TypeError, 'validate must be a function, received 1'],
    [{ args: 'a' }, TypeError, 'args must be an array, received "a"'],
    [{ timers: {} }, TypeError, 'timers must be an object'],
    [{ poolSize: 10 }, TypeError, 'unknown option poolSize (received 10)'],
  ])('%j throws %o naming the option and value', (options, Kind, message) => {
    expect(() => new ObjectPool(create, options as ObjectPoolOptions<object>)).toThrow(Kind);
    expect(() => new ObjectPool(create, options as ObjectPoolOptions<object>)).toThrow(message);
  });

  it('create must be a function', () => {
    expect(() => new ObjectPool('factory' as never)).toThrow(/create must be a function, received "factory"/);
  });

  it('accepts Infinity and the documented defaults', () => {
    const pool = new ObjectPool(create, { maxIdle: Number.POSITIVE_INFINITY, maxTotal: Number.POSITIVE_INFINITY, acquireTimeout: Number.POSITIVE_INFINITY, idleTimeout: 1 });
    expect(pool.stats.created).toBe(0);
    expect(() => new ObjectPool(create, { maxIdle: 0 })).not.toThrow();
  });

  it('acquire and close validate their options', async () => {
    const pool = new ObjectPool(create);
    expect(() => pool.acquire({ signal: {} as AbortSignal })).toThrow(/signal must be an AbortSignal/);
    expect(() => pool.close({ timeout: -1 })).toThrow(RangeError);
    expect(pool.closed).toBe(false);
    await pool.close({ timeout: Number.POSITIVE_INFINITY });
  });
});
