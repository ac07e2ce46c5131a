/**
 * The seam between the engine and a store. A store has a write side (usually the worker pool,
 * fed batches the engine has already encoded) and a read side on the caller's thread.
 * `files`, `memory` and the later stores implement this one interface.
 */
import type { Codec } from '../../shared/codecs.js';
import type { BatchColumns, Durability, WriteResult } from '../../shared/protocol.js';
import type { LarderError } from '../errors.js';
import type { Timers } from '../timers.js';
import type { WorkerPool } from '../worker-pool.js';

export interface StoredEntry {
  value: unknown;
  createdAt: number;
  /** 0 = never. */
  expiresAt: number;
  /** Encoded bytes of the value. */
  size: number;
}

export interface StoreContext {
  codec: Codec;
  durability: Durability;
  mode: { file: number; dir: number };
  timers: Timers;
  threads: number;
  /** Creates the worker pool on first call; stores that write on this thread never call it. */
  pool(): WorkerPool;
  /** A problem found while reading (a corrupt record): goes to the cacher's 'error' event. */
  report(error: LarderError): void;
  /**
   * Another process changed these keys (Redis pub/sub): the cacher drops its clean copies so the
   * next read goes to the store. Entries with unwritten local changes are kept (they win).
   */
  invalidate(keys: Iterable<string>): void;
}

export interface EngineStore {
  readonly kind: string;
  /** false: nothing is written anywhere; every write completes at once. */
  readonly persistent: boolean;
  open(context: StoreContext): Promise<void>;
  close(): Promise<void>;
  /** Synchronous read of one key; undefined on a miss, an expired entry or a bad record. */
  read(key: string): StoredEntry | undefined;
  /** Asynchronous read, for stores that cannot read synchronously (Redis). */
  load?(key: string): Promise<StoredEntry | undefined>;
  /** Every key the store holds (expired ones excluded where the store can tell cheaply). */
  keys(): AsyncIterable<string> | Iterable<string>;
  /** Writes one encoded batch; failures come back per entry, never as a thrown OS error. */
  write(batch: BatchColumns, transfer: ArrayBuffer[]): Promise<WriteResult>;
  /** Writes one batch on this thread, synchronously: the exit hook's last flush. */
  writeSync(batch: BatchColumns): WriteResult;
  /** Removes everything the store holds. */
  clear(): Promise<void>;
}
