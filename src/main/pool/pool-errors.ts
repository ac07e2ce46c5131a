/**
 * The coded failures of `ObjectPool`. One class for the pool's own failures, told apart by
 * `code`, and `PoolCreateError` for a failing `create`, so a caller can catch "the factory
 * is broken" (a refused connection…) apart from "the pool said no".
 */
import { LarderError, registerError } from '../core/errors.js';

export type PoolErrorCode =
  | 'ERR_POOL_CLOSED'
  | 'ERR_ACQUIRE_TIMEOUT'
  | 'ERR_ACQUIRE_ABORTED'
  | 'ERR_NOT_IN_USE'
  | 'ERR_POOL_DESTROY'
  | 'ERR_CLOSE_TIMEOUT'
  | 'ERR_POOL_CREATE';

export class PoolError extends LarderError {
  declare readonly code: PoolErrorCode;
  constructor(code: PoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** `create` threw, rejected, or returned something the pool cannot hold; `cause` is what it threw. */
export class PoolCreateError extends PoolError {
  constructor(cause: unknown) {
    super('ERR_POOL_CREATE', `creating a pool element failed: ${messageOf(cause)}`, { cause });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The pool's failures, one factory per code, so every message is written once. */
export const poolErrors = Object.freeze({
  closed: (action: string) => new PoolError('ERR_POOL_CLOSED', `cannot ${action}: the pool is closed`),
  acquireTimeout: (ms: number, waiting: number) =>
    new PoolError('ERR_ACQUIRE_TIMEOUT', `acquire() timed out after ${ms} ms (acquireTimeout) with ${waiting} other acquirer(s) waiting; raise maxTotal or release elements sooner`),
  aborted: (reason: unknown) => new PoolError('ERR_ACQUIRE_ABORTED', `acquire() was aborted: ${messageOf(reason)}`, { cause: reason }),
  notInUse: (action: string, why: 'idle' | 'foreign') =>
    new PoolError(
      'ERR_NOT_IN_USE',
      why === 'idle'
        ? `cannot ${action} an element that is already back in the pool (released twice?)`
        : `cannot ${action} an element this pool does not have on loan (never acquired from it, or already destroyed)`,
    ),
  destroyFailed: (errors: readonly unknown[]) =>
    new PoolError(
      'ERR_POOL_DESTROY',
      `destroying ${errors.length === 1 ? 'an element' : `${errors.length} elements`} failed: ${messageOf(errors[0])}`,
      { cause: errors.length === 1 ? errors[0] : new AggregateError(errors, 'several destroy() calls failed') },
    ),
  closeTimeout: (ms: number, inUse: number) =>
    new PoolError('ERR_CLOSE_TIMEOUT', `close() timed out after ${ms} ms with ${inUse} element(s) still in use; the pool stays closed and destroys them when they are released`),
});

registerError(PoolError, PoolCreateError);
