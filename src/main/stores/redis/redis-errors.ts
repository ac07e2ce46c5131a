/**
 * The `redis` store's coded errors. Write failures are the engine's `ERR_WRITE_FAILED` (with the
 * connection's code: ECONNREFUSED, ETIMEDOUT, OOM…); these are the store's own reports.
 */
import { LarderError, registerError } from '../../core/errors.js';

/** The store lost (or never had) its connection; writes stay queued, reads fall back to memory. */
export class RedisUnavailableError extends LarderError {
  readonly url: string;
  constructor(url: string, cause: unknown) {
    super('ERR_REDIS_UNAVAILABLE', `Redis at ${redact(url)} is unavailable (${(cause as Error)?.message ?? String(cause)}); writes stay queued and are retried, reads fall back to memory`, { cause });
    this.url = redact(url);
  }
}

/** A held lock's lease ran out before it could be renewed: another process may now hold it. */
export class RedisLockLostError extends LarderError {
  constructor(key: string, cause?: unknown) {
    super('ERR_LOCK_LOST', `the Redis lock on ${JSON.stringify(key)} expired before it was renewed; another process may hold it now`, { cause, keys: [key] });
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

registerError(RedisUnavailableError, RedisLockLostError);
