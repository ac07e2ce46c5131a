/**
 * The seam between the engine and a store. A store has a write side (usually the worker pool,
 * fed batches the engine has already encoded) and a read side on the caller's thread.
 * `files`, `memory` and the later stores implement this one interface.
 */
import type { Codec } from '../../shared/codecs.js';
import type { BatchColumns, Durability, WriteResult } from '../../shared/protocol.js';
import type { LarderError } from '../core/errors.js';
import type { Timers } from '../core/timers.js';
import type { TaskPool } from '../core/worker-pool.js';

export interface StoredMeta {
  createdAt: number;
  /** 0 = never. */
  expiresAt: number;
  /** Encoded bytes of the value. */
  size: number;
}

export interface StoredEntry extends StoredMeta {
  value: unknown;
}

/** A stored record whose expiry has passed, as found by `EngineStore.findExpired`. */
export interface ExpiredRecord {
  key: string;
  /** Bytes the record occupies in the store (file size for `files`). */
  bytes: number;
}

/** What a store holds on disk (`Cacher.storeStats`). */
export interface StoreStats {
  kind: string;
  /** Keys with a live record (expired ones included until compaction drops them). */
  keys: number;
  segments: number;
  /** Bytes of the records keys point to. */
  liveBytes: number;
  /** Bytes of records nothing points to any more (overwritten, deleted, damaged): what compaction frees. */
  deadBytes: number;
  totalBytes: number;
  /** Compaction runs that removed a segment: one that fails after that still counts (it freed that space). */
  compactions: number;
}

/** What one `compact()` did. */
export interface CompactReport {
  /** Segments rewritten (0: there was nothing to compact). */
  segments: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsKept: number;
  expiredDropped: number;
}

/** What `verify()` found: every record of every segment read and its checksum checked. */
export interface VerifyReport {
  segments: number;
  records: number;
  bytes: number;
  /** Damaged stretches (each also reported as an `ERR_CORRUPT_RECORD` error event). */
  problems: Array<{ segment: string; offset: number; reason: string }>;
}

/**
 * The engine's in-memory entry, as a store sees it: a store may keep the key's location on it
 * while the engine holds it (the `log` store keeps its index slot there, saving a Map insert per
 * written key). The engine calls `EngineStore.release` when it drops such an entry from memory.
 */
export interface SlotHolder {
  readonly key: string;
  /** The store's slot for the key, or -1 (none on this entry). Only the store writes it. */
  storeSlot: number;
}

/*
 * Cross-process coordination a store may offer (the `redis` store does): a lock for single-flight,
 * and a channel for regions' invalidations. The APIs above (Region) build on these.
 */

/** A held lock; `release` is idempotent. */
export interface MutexLease {
  release(): Promise<void>;
}

/** Single-flight across processes (Redis lock); in-process single-flight needs none. */
export interface BackendMutex {
  /**
   * Takes the lock. With `wait: false` resolves to undefined at once when someone else holds it;
   * otherwise waits up to `timeout` ms (then undefined).
   */
  acquire(options?: { wait?: boolean; timeout?: number }): Promise<MutexLease | undefined>;
}

/**
 * A region's `invalidate()` as it travels between processes: which region, which kind, and the
 * publisher's clock at the time. Entries created at or before `at` are invalidated.
 */
export interface RegionInvalidation {
  region: string;
  hard: boolean;
  /** ms since epoch, on the publisher's clock. */
  at: number;
}

export interface StoreContext {
  codec: Codec;
  durability: Durability;
  mode: { file: number; dir: number };
  timers: Timers;
  threads: number;
  /** Leases the process's worker pool on first call (core/shared-pool.ts); stores that write on this thread never call it. */
  pool(): TaskPool;
  /** A problem found while reading (a corrupt record): goes to the cacher's 'error' event. */
  report(error: LarderError): void;
  /**
   * Another process changed these keys (Redis pub/sub): the cacher drops its clean copies so the
   * next read goes to the store. Entries with unwritten local changes are kept (they win).
   */
  invalidate(keys: Iterable<string>): void;
  /**
   * Any key may have changed (the subscription missed messages): the cacher drops every clean
   * copy. A store given this need not remember which keys this process holds; one without it
   * (a tier inside another store) must name them to `invalidate`.
   */
  invalidateAll?(): void;
  /** The engine's in-memory entry for `key`, if it holds one. */
  resident?(key: string): SlotHolder | undefined;
}

export interface EngineStore {
  readonly kind: string;
  /** false: nothing is written anywhere; every write completes at once. */
  readonly persistent: boolean;
  /**
   * true: `write` hands batches to the worker task (src/worker/task.ts), which can take v8
   * values packed in one serialization and encode them there, off the caller's thread.
   */
  readonly encodesInWorker?: boolean;
  open(context: StoreContext): Promise<void>;
  close(): Promise<void>;
  /** Synchronous read of one key; undefined on a miss, an expired entry or a bad record. */
  read(key: string): StoredEntry | undefined;
  /**
   * Synchronous metadata of one key without decoding its value (`has`, `prune`): undefined on a
   * miss, a delete or a bad record. Unlike `read`, an expired entry is returned, with its expiry.
   */
  readMeta?(key: string): StoredMeta | undefined;
  /**
   * Records expired at `now`, found from the store's index or record headers without decoding
   * values. A hint: `Cacher.prune` re-checks each one before deleting it.
   */
  findExpired?(now: number): Promise<ExpiredRecord[]>;
  /** Asynchronous read, for stores that cannot read synchronously (Redis). */
  load?(key: string): Promise<StoredEntry | undefined>;
  /** Every key the store holds (expired ones excluded where the store can tell cheaply). */
  keys(): AsyncIterable<string> | Iterable<string>;
  /**
   * Writes one encoded batch; failures come back per entry, never as a thrown OS error.
   * `holders`: the engine's entries for the batch's keys, in order (see `SlotHolder`).
   */
  write(batch: BatchColumns, transfer: ArrayBuffer[], holders?: readonly SlotHolder[]): Promise<WriteResult>;
  /** The engine dropped `holder` from memory: take back whatever the store kept on it. */
  release?(holder: SlotHolder): void;
  /** Writes one batch on this thread, synchronously: the exit hook's last flush. */
  writeSync(batch: BatchColumns): WriteResult;
  /** Removes everything the store holds. */
  clear(): Promise<void>;
  /** Rewrites live records to drop dead ones (log-structured stores). */
  compact?(): Promise<CompactReport>;
  /** Reads every record and checks it; damaged ones are reported and listed. */
  verify?(): Promise<VerifyReport>;
  /** Sizes of what the store holds. */
  stats?(): StoreStats;
  /**
   * Stores with a remote tier behind a local one (`tiered`): resolves once every write the store
   * has taken so far has reached the remote tier; rejects after `timeout` ms (`ERR_SYNC_TIMEOUT`).
   * The engine's `sync({ tier: 'remote' })` and `save(…, { tier: 'remote' })` call it after
   * their local wait. A store without it has one tier: 'remote' waits for the same as 'local'.
   */
  replicated?(timeout: number): Promise<void>;
}
