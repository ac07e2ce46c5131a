/**
 * The `tiered` store's coded errors. Local write failures are the engine's `ERR_WRITE_FAILED`;
 * these are about the remote tier, behind the local one.
 */
import { LarderError, registerError } from '../../core/errors.js';

/**
 * Batches could not be replicated to the remote tier (Redis down, OOM, READONLY…). They stay in
 * the outbox on disk and are retried with backoff; reported once per run of failures.
 */
export class ReplicationFailedError extends LarderError {
  /** The remote's failure code (ECONNREFUSED, ETIMEDOUT, OOM…). */
  readonly remoteCode: string;
  constructor(keys: readonly string[], remoteCode: string, message: string) {
    super('ERR_REPLICATION_FAILED', `replicating ${keys.length} key(s) to the remote tier failed (${remoteCode}): ${message}; they stay in the outbox on disk and are retried`, { keys });
    this.remoteCode = remoteCode;
  }
}

/** `sync({ tier: 'remote' })` or `save(…, { tier: 'remote' })` ran out of time before the remote tier acknowledged. */
export class ReplicationTimeoutError extends LarderError {
  constructor(keys: readonly string[], timeout: number, pending: number, cause?: unknown) {
    super(
      'ERR_SYNC_TIMEOUT',
      `waiting for the remote tier timed out after ${timeout} ms with ${pending} key(s) not replicated${keys.length > 0 ? ` (first: ${JSON.stringify(keys[0])})` : ''}; they are durable locally and stay in the outbox`,
      { keys, cause },
    );
  }
}

registerError(ReplicationFailedError, ReplicationTimeoutError);
