/**
 * The object `exposeCacher` serves over comlink and `connectCacher` calls: the wire contract
 * between a Cacher's owning thread and the threads connected to it. Values cross by structured
 * clone; errors that are returned rather than thrown cross as `SerializedError` data.
 */
import type { CacherStats, GetOptions, WaitOptions } from '../engine/cacher.js';
import type { SerializedError } from './remote-errors.js';

/** Bumped when the wire contract changes; a mismatch fails the connection with a clear error. */
export const REMOTE_PROTOCOL = 1;

export interface Hello {
  protocol: number;
  /** BroadcastChannel name on which the owner publishes invalidated keys. */
  channel: string;
}

/** A set that the owner refused (ERR_QUEUE_FULL, ERR_STOPPED, a bad key…), by index in its batch. */
export interface SetFailure {
  index: number;
  error: SerializedError;
}

export type AcquireResult = { hit: true; value: unknown } | { hit: false; token: number };

export interface RemoteApi {
  /** `subscribe`: this connection keeps a local read cache and wants invalidations published. */
  hello(subscribe: boolean): Hello;
  get(key: string, options?: GetOptions): unknown;
  has(key: string, options?: GetOptions): boolean;
  delete(key: string): boolean;
  /** Many `set`s in one message, as columns; `ttls` is omitted when no set in the batch had one. */
  setMany(keys: string[], values: unknown[], ttls: Array<number | undefined> | undefined): SetFailure[] | undefined;
  save(key: string, value: unknown, options: { ttl?: number; timeout?: number }): Promise<void>;
  sync(options: WaitOptions): Promise<void>;
  stats(): CacherStats;
  /** The cached value, or the lock on `key` (the caller creates), or (after waiting) the value another caller created. */
  acquire(key: string, waitTimeout: number): Promise<AcquireResult>;
  /** Ends the caller's creation with a value; `store: false` hands it to waiters without caching it. */
  fulfil(key: string, token: number, value: unknown, options: { ttl?: number; store: boolean }): void;
  /** Ends the caller's creation with the creator's error, shared with every waiter. */
  abandon(key: string, token: number, error: SerializedError | { value: unknown }): void;
}
