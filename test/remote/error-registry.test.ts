/**
 * One registry of error classes: every coded class registers where it is defined, so an error
 * that crosses to another thread (as data) is revived as its own class, `instanceof` holds, and
 * its code and fields survive. Regression: only a hand-kept list of classes was revived; every
 * other class (a pool's, a region's, a bucket's…) came back as a bare LarderError.
 */
import { describe, expect, it } from 'vitest';
import * as larder from '../../src/main/index.js';
import { registeredError } from '../../src/main/core/errors.js';
import { reviveError, serializeError } from '../../src/main/remote/remote-errors.js';

const errorClasses = Object.entries(larder as Record<string, unknown>).filter(
  (entry): entry is [string, new (...args: never[]) => Error] => typeof entry[1] === 'function' && (entry[1] as { prototype: unknown }).prototype instanceof Error,
);

/** What another thread receives: the error as structured-clonable data. */
const acrossThreads = (error: Error): Error => reviveError(structuredClone(serializeError(error)));

describe('error registry', () => {
  it('every error class the package exports is registered under its name', () => {
    expect(errorClasses.length).toBeGreaterThan(25);
    for (const [name, cls] of errorClasses) expect(registeredError(cls.name), name).toBe(cls);
  });

  it.each([
    ['a pool error', () => new larder.PoolCreateError(new Error('refused'))],
    ['a region error', () => new larder.RegionWaitTimeoutError('users', 'k1', 250)],
    ['a bucket error', () => new larder.DeferredClosedError('set')],
    ['a manager error', () => new larder.UnknownCacheError('reports', 'default')],
    ['a store error', () => new larder.StoreReadOnlyError('write', '/tmp/x')],
  ])('%s keeps its class, code and keys across threads', (_what, make) => {
    const error = make();
    const revived = acrossThreads(error);
    expect(revived).toBeInstanceOf(error.constructor);
    expect(revived).toBeInstanceOf(larder.LarderError);
    expect((revived as larder.LarderError).code).toBe((error as larder.LarderError).code);
    expect((revived as larder.LarderError).keys).toEqual((error as larder.LarderError).keys);
    expect(revived.message).toBe(error.message);
  });

  it('a class of your own revives once registered', () => {
    class QuotaError extends larder.LarderError {
      readonly quota: number;
      constructor(quota: number) {
        super('ERR_QUOTA', `over quota ${quota}`);
        this.quota = quota;
      }
    }
    expect(acrossThreads(new QuotaError(3))).not.toBeInstanceOf(QuotaError);
    larder.registerError(QuotaError);
    const revived = acrossThreads(new QuotaError(3));
    expect(revived).toBeInstanceOf(QuotaError);
    expect((revived as QuotaError).quota).toBe(3);
    expect((revived as QuotaError).code).toBe('ERR_QUOTA');
  });
});
