/**
 * Every runtime failure larder reports is a `LarderError` with a stable `code`; tests and
 * callers branch on the code, never on the message. `cause` chains the original error, and
 * `keys` names the keys the failure concerns. Bad arguments are plain `TypeError`/`RangeError`,
 * thrown at once.
 */

/**
 * Every code larder's errors carry, in one place (each class's own file says what it means).
 * `ERR_LARDER` is for an error revived from another thread whose class this thread does not know.
 */
export type ErrorCode =
  | 'ERR_ACQUIRE_ABORTED'
  | 'ERR_ACQUIRE_TIMEOUT'
  | 'ERR_CACHE_CONFLICT'
  | 'ERR_CLOSE_TIMEOUT'
  | 'ERR_CODEC_MISMATCH'
  | 'ERR_CORRUPT_RECORD'
  | 'ERR_CREATOR_RESULT'
  | 'ERR_DEFERRED_CLOSED'
  | 'ERR_DEPENDENCY_CYCLE'
  | 'ERR_KEY_MAKER_MISMATCH'
  | 'ERR_LOCK_LOST'
  | 'ERR_MANAGER_CLOSED'
  | 'ERR_MANAGER_CONFLICT'
  | 'ERR_NOT_IN_USE'
  | 'ERR_NOT_LOADED'
  | 'ERR_NOT_SERIALIZABLE'
  | 'ERR_POOL_CLOSED'
  | 'ERR_POOL_CREATE'
  | 'ERR_POOL_DESTROY'
  | 'ERR_QUEUE_FULL'
  | 'ERR_REDIS_UNAVAILABLE'
  | 'ERR_REGION_BACKGROUND'
  | 'ERR_REGION_BROADCAST'
  | 'ERR_REGION_WAIT_TIMEOUT'
  | 'ERR_REMOTE_CLOSED'
  | 'ERR_REMOTE_LOCK_TIMEOUT'
  | 'ERR_REMOTE_TIMEOUT'
  | 'ERR_REPLICATION_FAILED'
  | 'ERR_STOPPED'
  | 'ERR_STOP_TIMEOUT'
  | 'ERR_STORE_FOREIGN'
  | 'ERR_STORE_IO'
  | 'ERR_STORE_LOCKED'
  | 'ERR_STORE_MISSING'
  | 'ERR_STORE_READ_ONLY'
  | 'ERR_DISK_FULL'
  | 'ERR_SYNC_TIMEOUT'
  | 'ERR_UNKNOWN_CACHE'
  | 'ERR_USAGE'
  | 'ERR_WORKER_DIED'
  | 'ERR_WRITE_FAILED'
  | 'ERR_LARDER';

/** A code of larder's own, or one of your error classes' (a subclass of LarderError may bring its own). */
export type AnyErrorCode = ErrorCode | (string & {});

export class LarderError extends Error {
  readonly code: AnyErrorCode;
  /** The keys this failure concerns (pending keys of a timeout, keys of a failed batch). */
  keys: readonly string[];
  constructor(code: AnyErrorCode, message: string, options?: { cause?: unknown; keys?: readonly string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.keys = options?.keys ?? [];
  }
}

/** Lists at most a few keys in a message; the full list is on the error's `keys`. */
function preview(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).map((k) => JSON.stringify(k.length > 80 ? `${k.slice(0, 77)}...` : k));
  return keys.length > 5 ? `${shown.join(', ')} and ${keys.length - 5} more` : shown.join(', ');
}

export class QueueFullError extends LarderError {
  readonly limit: number;
  constructor(limit: number) {
    super('ERR_QUEUE_FULL', `write queue is full (maxPending ${limit}); await cache.drained() before writing more`);
    this.limit = limit;
  }
}

export class CacherStoppedError extends LarderError {
  constructor(action: string) {
    super('ERR_STOPPED', `cannot ${action}: the cacher is not started (call start() first, or it was stopped)`);
  }
}

export class SyncTimeoutError extends LarderError {
  constructor(keys: readonly string[], timeout: number) {
    super('ERR_SYNC_TIMEOUT', `sync() timed out after ${timeout} ms with ${keys.length} write(s) pending: ${preview(keys)}; they stay queued`, { keys });
  }
}

export class StopTimeoutError extends LarderError {
  constructor(keys: readonly string[], timeout: number) {
    super('ERR_STOP_TIMEOUT', `stop() timed out after ${timeout} ms with ${keys.length} write(s) not written: ${preview(keys)}; the cacher is still running and they stay queued`, { keys });
  }
}

export interface OsFailure {
  code: string;
  message: string;
  syscall?: string;
  path?: string;
}

/** A write the store refused; `osCode` is the OS's code (ENOSPC, EIO, EMFILE…). */
export class WriteFailedError extends LarderError {
  readonly osCode: string;
  readonly syscall: string | undefined;
  readonly path: string | undefined;
  constructor(keys: readonly string[], failure: OsFailure, options?: { cause?: unknown }) {
    super('ERR_WRITE_FAILED', `writing ${preview(keys)} failed (${failure.code}): ${failure.message}; kept in memory and queued for retry`, { keys, cause: options?.cause });
    this.osCode = failure.code;
    this.syscall = failure.syscall;
    this.path = failure.path;
  }
}

export class NotSerializableError extends LarderError {
  constructor(keys: readonly string[], cause: unknown) {
    super('ERR_NOT_SERIALIZABLE', `value for ${preview(keys)} cannot be serialized: ${(cause as Error)?.message ?? String(cause)}; it stays in memory only`, { cause, keys });
  }
}

export class StoreLockedError extends LarderError {
  readonly dir: string;
  readonly pid: number;
  constructor(dir: string, pid: number) {
    super('ERR_STORE_LOCKED', `store ${dir} is locked by live process ${pid}`);
    this.dir = dir;
    this.pid = pid;
  }
}

export class CorruptRecordError extends LarderError {
  readonly location: string;
  constructor(key: string | undefined, location: string, reason: string) {
    super('ERR_CORRUPT_RECORD', `corrupt record${key === undefined ? '' : ` for ${JSON.stringify(key)}`} at ${location}: ${reason}; read as a miss`, { keys: key === undefined ? [] : [key] });
    this.location = location;
  }
}

export class WorkerDiedError extends LarderError {
  constructor(cause: unknown) {
    super('ERR_WORKER_DIED', `a writer worker died mid-batch; it is replaced and the batch retried`, { cause });
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Error classes by name: what an error crossing a thread (as data) is revived as. */
const registry = new Map<string, ErrorClass>(
  [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].map((cls) => [cls.name, cls]),
);

/**
 * Makes errors of these classes keep their class (and `instanceof`) when they cross to this
 * thread. Every larder error class is registered by the file that defines it; register your own
 * in every thread that may receive them.
 */
export function registerError(...classes: ErrorClass[]): void {
  for (const cls of classes) registry.set(cls.name, cls);
}

/** The class registered under `name`, if any. */
export function registeredError(name: string): ErrorClass | undefined {
  return registry.get(name);
}

registerError(LarderError, QueueFullError, CacherStoppedError, SyncTimeoutError, StopTimeoutError, WriteFailedError, NotSerializableError, StoreLockedError, CorruptRecordError, WorkerDiedError);
