/**
 * `Cacher`, the write-behind engine. `get`/`set` touch only the memory map on the caller's
 * thread; a flush scheduler hands dirty entries, already encoded, to the store's writer (a
 * worker pool for disk stores) in batches, and marks them clean when the writer reports them
 * durable. See DESIGN.md §2 for the contract this file keeps.
 */
import { EventEmitter } from 'node:events';
import { BatchBuilder, type EncodedBatch } from './batch-builder.js';
import { v8Codec } from '../../shared/codecs.js';
import { Entry, EntryState } from './entry.js';
import {
  CacherStoppedError,
  LarderError,
  NotSerializableError,
  type OsFailure,
  QueueFullError,
  StopTimeoutError,
  SyncTimeoutError,
  WriteFailedError,
} from '../core/errors.js';
import { addExitHooks, removeExitHooks, type ExitFlushable } from './exit-hooks.js';
import { fillOptions, type CacherOptions, type FilledOptions } from './options.js';
import { duration, waitDuration } from '../core/validate.js';
import type { CompactReport, EngineStore, StoreContext, StoreStats, VerifyReport } from '../stores/engine-store.js';
import { LogStore } from '../stores/log/log-store.js';
import { FilesStore } from '../stores/files/files-store.js';
import { MemoryStore } from '../stores/memory-store.js';
import { SyncWaiter, failWaiters, settleWaiters } from './sync-waiter.js';
import { Barriers } from './barriers.js';
import type { TaskPool } from '../core/worker-pool.js';
import { leasePool } from '../core/shared-pool.js';
import { WriteQueue } from './write-queue.js';
import { FlushScheduler } from './flush-scheduler.js';
import { CoarseClock } from './coarse-clock.js';
import { sliceClock, systemTimers } from '../core/timers.js';
import { describeFailure, type WriteFailure, type WriteResult } from '../../shared/protocol.js';
import { MAX_KEY_BYTES } from '../../shared/format/record.js';
import { reportError } from '../core/report.js';

export interface SetOptions {
  /** Time-to-live of this entry in ms (0 = never); overrides the cacher's `ttl`. */
  ttl?: number;
}

export interface GetOptions {
  /** Treat an entry older than this many ms (since it was set) as a miss. */
  maxAge?: number;
}

export interface WaitOptions {
  /** Milliseconds before the call rejects with a coded error naming what is pending. @default 30000 */
  timeout?: number;
}

export interface SyncOptions extends WaitOptions {
  /**
   * Which tier to wait for, with a store that has two (`TieredStore`): `'local'` resolves once
   * the writes are durable on local disk, `'remote'` once the remote tier (Redis) has them too.
   * With a one-tier store both wait for that tier. `timeout` covers the whole wait.
   * @default 'local'
   */
  tier?: 'local' | 'remote';
}

export interface FlushInfo {
  /** Entries this batch made durable (or written, with weaker durability). */
  entries: number;
  bytes: number;
  /** Wall time the writer took, in ms. */
  ms: number;
}

export interface CacherStats {
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  /** Entries written by completed batches. */
  flushed: number;
  batches: number;
  /** Encoded value bytes handed to the store. */
  bytes: number;
  errors: number;
  retries: number;
  evictions: number;
  /** Writes waiting for a flush. */
  queued: number;
  /** Writes being written now. */
  inFlight: number;
  /** Entries whose value cannot be encoded (kept in memory, reported). */
  failed: number;
  /** Entries in memory (clean and dirty). */
  entries: number;
  /** Encoded bytes of entries in memory, where known (tracked only with maxBytes). */
  memoryBytes: number;
}

interface FailedWrite {
  entry: Entry;
  failure: WriteFailure | undefined;
  /** The flight's `since` for the entry: the oldest write that failed. */
  since: number;
}

type Lifecycle = 'new' | 'starting' | 'started' | 'stopping' | 'stopped';

/** A batch from the moment its first entry is taken (it may fill over several turns) until it lands. */
interface Flight {
  entries: readonly Entry[];
  seqs: readonly number[];
  since: readonly number[];
}

/** The batch being filled and encoded, a time slice at a time; it is already one of the flights. */
interface Building {
  builder: BatchBuilder;
  flight: Flight;
}

const DEFAULT_WAIT = 30_000;

let sharedInstance: Cacher | undefined;

export class Cacher extends EventEmitter implements ExitFlushable, AsyncDisposable {
  readonly options: Readonly<FilledOptions>;
  #store: EngineStore;
  #mem = new Map<string, Entry>();
  #queue = new WriteQueue();
  #flights = new Set<Flight>();
  #building: Building | undefined;
  #inFlightCount = 0;
  #failed = new Set<Entry>();
  #seq = 0;
  #barriers: Barriers;
  /** True while mutations are accepted: started and not stopping. Checked first on every call. */
  #open = false;
  /** True while reads are served: started or stopping (a service may read while it shuts down). */
  #readable = false;
  /** `set`'s clock: the coarse clock over the system's, or the injected timers exactly. */
  #clock: { now(): number };
  #lifecycle: Lifecycle = 'new';
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #paused = false;
  /** clear() calls in progress: while any is, no new batch is handed to the store. */
  #clearing = 0;
  #pool: TaskPool | undefined;
  #scheduler: FlushScheduler;
  #needDrain = false;
  #drainWaiters: Array<() => void> = [];
  #bounded: boolean;
  #memBytes = 0;
  #stats = { hits: 0, misses: 0, sets: 0, deletes: 0, flushed: 0, batches: 0, bytes: 0, errors: 0, retries: 0, evictions: 0 };

  constructor(options: CacherOptions = {}) {
    super();
    this.options = Object.freeze(fillOptions(options));
    const timers = this.options.timers;
    this.#barriers = new Barriers(timers);
    this.#clock = timers === systemTimers ? new CoarseClock(Date.now) : timers;
    const { store, dir } = this.options;
    this.#store =
      typeof store === 'object' ? store : store === 'memory' ? new MemoryStore() : store === 'log' ? new LogStore(dir as string) : new FilesStore(dir as string);
    this.#bounded = Number.isFinite(this.options.maxEntries) || Number.isFinite(this.options.maxBytes);
    this.#scheduler = new FlushScheduler(this.options.timers, this.options.flushDelay, this.options.savePoints, () => this.#pump());
  }

  /** `new Cacher(options)` then `await start()`. */
  static async open(options?: CacherOptions): Promise<Cacher> {
    const cacher = new Cacher(options);
    await cacher.start();
    return cacher;
  }

  /**
   * The process-wide instance (the seed's singleton), created on first call. Options may be
   * given only by the call that creates it; a stopped shared instance is replaced.
   */
  static shared(options?: CacherOptions): Cacher {
    if (sharedInstance !== undefined && sharedInstance.#lifecycle !== 'stopped') {
      if (options !== undefined) throw new TypeError('Cacher.shared() is already configured; call it without options');
      return sharedInstance;
    }
    sharedInstance = new Cacher(options);
    return sharedInstance;
  }

  get isStarted(): boolean {
    return this.#lifecycle === 'started';
  }

  get isPaused(): boolean {
    return this.#paused;
  }

  /** The store this cacher writes to. */
  get store(): EngineStore {
    return this.#store;
  }

  /** Writes accepted but not yet written: queued plus in flight. */
  get pendingCount(): number {
    return this.#queue.size + this.#inFlightCount;
  }

  get stats(): Readonly<CacherStats> {
    return Object.freeze({
      ...this.#stats,
      queued: this.#queue.size,
      inFlight: this.#inFlightCount,
      failed: this.#failed.size,
      entries: this.#mem.size,
      memoryBytes: this.#memBytes,
    });
  }

  /** Opens the store and starts the writers. Idempotent; a stopped cacher can be started again. */
  async start(): Promise<void> {
    if (this.#lifecycle === 'started') return;
    if (this.#lifecycle === 'starting') return this.#starting;
    if (this.#lifecycle === 'stopping') await this.#stopping;
    this.#lifecycle = 'starting';
    this.#starting = (async () => {
      try {
        await this.#store.open(this.#storeContext());
      } catch (error) {
        this.#lifecycle = 'stopped';
        await this.#closePool();
        throw error;
      }
      this.#lifecycle = 'started';
      this.#open = this.#readable = true;
      this.#scheduler.started();
      if (this.options.exitHooks) addExitHooks(this);
    })();
    return this.#starting;
  }

  // ---- the hot path -------------------------------------------------------------------------

  /**
   * Stores a value in memory and queues its write. Synchronous; returns false once the queue is
   * above `highWaterMark` (keep going after `await drained()` or the `'drain'` event).
   * @throws CacherStoppedError before start or after stop; QueueFullError above `maxPending`.
   */
  set(key: string, value: unknown, options?: SetOptions): boolean {
    if (!this.#open) throw new CacherStoppedError('set');
    const now = this.#clock.now();
    const ttl = options === undefined || options.ttl === undefined ? this.options.ttl : duration('ttl', options.ttl);
    const entry = this.#dirty(key);
    entry.value = value;
    entry.deleted = false;
    entry.createdAt = now;
    entry.expiresAt = ttl === 0 ? 0 : now + ttl;
    this.#stats.sets++;
    return this.#queue.size + this.#inFlightCount < this.options.highWaterMark || this.#overHighWater();
  }

  /** Alias of `set` (the seed's name). */
  push(key: string, value: unknown, options?: SetOptions): boolean {
    return this.set(key, value, options);
  }

  /**
   * The value for `key`, from memory or (on a memory miss) read synchronously from the store;
   * undefined on a miss. Use `has` to tell a stored `undefined` from a miss.
   */
  get(key: string, options?: GetOptions): unknown {
    if (!this.#readable) throw new CacherStoppedError('get');
    const entry = this.#mem.get(key);
    if (entry === undefined) return this.#readThrough(key, options);
    // The common case (no expiry, no options) decides without a call.
    if (entry.deleted || ((entry.expiresAt !== 0 || options !== undefined) && this.#stale(entry, options))) {
      this.#stats.misses++;
      return undefined;
    }
    this.#stats.hits++;
    if (this.#bounded) this.#touch(entry);
    return entry.value;
  }

  /** Alias of `get` (the seed's name). */
  pop(key: string, options?: GetOptions): unknown {
    return this.get(key, options);
  }

  /** Same answer as `get`, asynchronously: stores that cannot read synchronously (Redis) are read here. */
  async load(key: string, options?: GetOptions): Promise<unknown> {
    if (!this.#readable) throw new CacherStoppedError('load');
    if (this.#store.load === undefined || this.#mem.has(key)) return this.get(key, options);
    validateKey(key);
    const stored = await this.#store.load(key);
    if (stored === undefined || (options?.maxAge !== undefined && this.options.timers.now() - stored.createdAt > options.maxAge)) {
      this.#stats.misses++;
      return undefined;
    }
    this.#stats.hits++;
    return stored.value;
  }

  has(key: string, options?: GetOptions): boolean {
    if (!this.#readable) throw new CacherStoppedError('has');
    const entry = this.#mem.get(key);
    if (entry !== undefined) return !entry.deleted && !this.#stale(entry, options);
    validateKey(key);
    // Metadata is enough to answer, and skips decoding the value where the store can.
    const stored = this.#store.readMeta !== undefined ? this.#store.readMeta(key) : this.#store.read(key);
    if (stored === undefined) return false;
    const now = this.options.timers.now();
    return (stored.expiresAt === 0 || stored.expiresAt > now) && !(options?.maxAge !== undefined && now - stored.createdAt > options.maxAge);
  }

  /** Deletes a key (in memory now, in the store write-behind, ordered with writes). Returns whether it existed. */
  delete(key: string): boolean {
    if (!this.#open) throw new CacherStoppedError('delete');
    const existed = this.has(key);
    this.#markDeleted(key);
    this.#stats.deletes++;
    return existed;
  }

  /**
   * Drops a written entry from memory, keeping it in the store: the next `get` reads it back.
   * Returns false, and keeps the entry, when it has a change not yet written (call `sync()`
   * first), when it is not in memory, or when the store persists nothing.
   */
  unload(key: string): boolean {
    const entry = this.#mem.get(key);
    if (entry === undefined || entry.state !== EntryState.clean || !this.#store.persistent) return false;
    this.#drop(entry);
    return true;
  }

  /**
   * Deletes the store's expired entries, found from its index or record headers (no value is
   * decoded), and resolves once the deletes are durable with what was removed. Each candidate
   * is re-checked just before its delete is queued, so a key written meanwhile is kept.
   * Stores without `findExpired` (Redis expires entries itself) remove nothing here.
   */
  async prune(options?: WaitOptions): Promise<{ bytes: number; count: number }> {
    if (!this.#open) throw new CacherStoppedError('prune');
    const store = this.#store;
    if (store.findExpired === undefined) return { bytes: 0, count: 0 };
    const candidates = await store.findExpired(this.options.timers.now());
    if (!this.#open) throw new CacherStoppedError('prune');
    // From here to the queueing of the deletes nothing awaits, so no write can slip in between
    // a check and its delete; a later write is queued after the delete and wins.
    const now = this.options.timers.now();
    let bytes = 0;
    let count = 0;
    for (const { key, bytes: size } of candidates) {
      const entry = this.#mem.get(key);
      if (entry !== undefined && (entry.state !== EntryState.clean || entry.deleted || entry.expiresAt === 0 || entry.expiresAt > now)) continue;
      const stored = store.readMeta !== undefined ? store.readMeta(key) : undefined;
      if (store.readMeta !== undefined && (stored === undefined || stored.expiresAt === 0 || stored.expiresAt > now)) continue;
      this.#markDeleted(key);
      bytes += size;
      count++;
    }
    if (count > 0) {
      const timeout = waitTimeout(options);
      await this.#barrier(timeout, (keys) => new SyncTimeoutError(keys, timeout));
    }
    return { bytes, count };
  }

  /** Stores a value and resolves once it is durable (the seed's `push(..., async=False)`). */
  async save(key: string, value: unknown, options?: SetOptions & SyncOptions): Promise<void> {
    const remote = options?.tier !== undefined && syncTier(options.tier) === 'remote';
    this.set(key, value, options?.ttl === undefined ? undefined : { ttl: options.ttl });
    const entry = this.#mem.get(key) as Entry;
    const timeout = waitTimeout(options);
    const waiter = new SyncWaiter(entry, this.options.timers, timeout, (keys) => new SyncTimeoutError(keys, timeout));
    this.#scheduler.soon();
    return remote ? this.#thenRemote(waiter.promise, timeout) : waiter.promise;
  }

  /**
   * A durability barrier: resolves when every write accepted before the call is durable (per
   * `durability`). Rejects on a write failure or after `timeout` with a coded error naming the
   * pending keys; the writes stay queued either way. While paused it waits for `resume()`.
   *
   * Called while writes are failing (an earlier failure is being retried, e.g. ENOSPC), it does
   * not reject for that failure: it waits through the retries and resolves once they land (space
   * freed just before the call is enough), or rejects on `timeout` with `ERR_SYNC_TIMEOUT` whose
   * `cause` is the last write error. Called while no write is failing, it rejects at the first
   * failure of a write it waits for (`ERR_WRITE_FAILED`).
   *
   * With `tier: 'remote'` and a two-tier store (`TieredStore`) it then waits until the remote
   * tier has every write the store had taken by then, within the same `timeout`.
   */
  async sync(options?: SyncOptions): Promise<void> {
    if (!this.#open && this.#lifecycle !== 'stopping') throw new CacherStoppedError('sync');
    const timeout = waitTimeout(options);
    const remote = options?.tier !== undefined && syncTier(options.tier) === 'remote';
    const local = this.#barrier(timeout, (keys) => new SyncTimeoutError(keys, timeout));
    return remote ? this.#thenRemote(local, timeout) : local;
  }

  /** After a local wait, waits for the store's remote tier with what is left of `timeout`. */
  async #thenRemote(local: Promise<void>, timeout: number): Promise<void> {
    const started = this.options.timers.now();
    await local;
    const store = this.#store;
    if (store.replicated === undefined) return;
    await store.replicated(Math.max(0, timeout - (this.options.timers.now() - started)));
  }

  /** Resolves when the queue is below `highWaterMark` (at once if it already is). */
  drained(): Promise<void> {
    if (this.pendingCount < this.options.highWaterMark) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /**
   * Drops queued writes that no worker has started yet and returns how many. Their keys fall
   * back to what the store holds. Writes already in flight complete.
   */
  discard(): number {
    let count = 0;
    const building = this.#building;
    if (building !== undefined) {
      // Taken and encoded, but not handed to the store yet: dropped like the queue.
      this.#building = undefined;
      this.#flights.delete(building.flight);
      const { entries, since } = building.builder;
      this.#inFlightCount -= entries.length;
      entries.forEach((entry, i) => this.#forget(entry, since[i] as number));
      count += entries.length;
    }
    for (const entry of this.#queue.drain()) {
      this.#forget(entry, entry.dirtySince);
      count++;
    }
    for (const entry of this.#failed) {
      this.#forget(entry, 0);
      count++;
    }
    this.#failed.clear();
    for (const flight of this.#flights) {
      for (let i = 0; i < flight.entries.length; i++) {
        const entry = flight.entries[i] as Entry;
        if (entry.state !== EntryState.inFlightDirty) continue;
        // The newer version is dropped; the one being written still lands, then memory
        // falls back to it (the entry is dropped when the flight ends).
        entry.state = EntryState.inFlight;
        entry.discarded = true;
        entry.dirtySince = 0;
        settleWaiters(entry, Number.POSITIVE_INFINITY, flight.seqs[i]);
        count++;
      }
    }
    this.#afterProgress();
    return count;
  }

  /** Stops writing until `resume()`; writes are still accepted and queued. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#unsent) this.#scheduler.soon();
  }

  /** Runs `fn` with writing paused (the seed's `with cacher:`), resuming even if it throws. */
  async paused<T>(fn: () => T | Promise<T>): Promise<T> {
    this.pause();
    try {
      return await fn();
    } finally {
      this.resume();
    }
  }

  /** Every live key: in memory or in the store, minus pending deletes and expired entries. */
  async *keys(): AsyncIterableIterator<string> {
    if (!this.#readable) throw new CacherStoppedError('keys');
    const now = this.options.timers.now();
    const seen = new Set<string>();
    for (const entry of this.#mem.values()) {
      seen.add(entry.key);
      if (!entry.deleted && (entry.expiresAt === 0 || entry.expiresAt > now)) yield entry.key;
    }
    for await (const key of this.#store.keys()) {
      if (!seen.has(key)) yield key;
    }
  }

  /** Removes every entry, in memory and in the store. Queued writes are discarded first. */
  async clear(options?: WaitOptions): Promise<void> {
    if (!this.#open) throw new CacherStoppedError('clear');
    this.discard();
    const timeout = waitTimeout(options);
    // Hold new writes back until the store is empty, or one made meanwhile could land first
    // and be cleared with the rest; held writes stay queued and go out afterwards.
    this.#clearing++;
    try {
      await this.#barrier(timeout, (keys) => new SyncTimeoutError(keys, timeout));
      await this.#store.clear();
      for (const entry of this.#mem.values()) if (entry.state === EntryState.clean) this.#drop(entry);
    } finally {
      this.#clearing--;
      if (this.#unsent) this.#scheduler.soon();
    }
  }

  /**
   * Rewrites the store's live records to free the space of overwritten, deleted and expired
   * ones (the `log` store; it also does this by itself past a dead-bytes threshold). Resolves
   * with what it did, or undefined when the store has nothing to compact.
   */
  async compact(): Promise<CompactReport | undefined> {
    if (!this.#open) throw new CacherStoppedError('compact');
    return this.#store.compact?.();
  }

  /**
   * Reads every record in the store and checks its checksum. Damaged records are listed in the
   * report and emitted as `ERR_CORRUPT_RECORD` errors. Undefined when the store cannot verify.
   */
  async verify(): Promise<VerifyReport | undefined> {
    if (!this.#readable) throw new CacherStoppedError('verify');
    return this.#store.verify?.();
  }

  /** What the store holds on disk (segments, live and dead bytes, keys), where the store can tell. */
  get storeStats(): StoreStats | undefined {
    return this.#readable ? this.#store.stats?.() : undefined;
  }

  /**
   * Flushes everything and closes the writers. Idempotent. On timeout it rejects with
   * `ERR_STOP_TIMEOUT` naming the keys not written, and the cacher keeps running with them queued.
   */
  async stop(options?: WaitOptions): Promise<void> {
    if (this.#lifecycle === 'new' || this.#lifecycle === 'stopped') return;
    if (this.#lifecycle === 'stopping') return this.#stopping;
    if (this.#lifecycle === 'starting') await this.#starting;
    const timeout = waitTimeout(options);
    this.#lifecycle = 'stopping';
    this.#open = false;
    this.#stopping = (async () => {
      try {
        await this.#barrier(timeout, (keys) => new StopTimeoutError(keys, timeout));
      } catch (error) {
        this.#lifecycle = 'started';
        this.#open = true;
        throw error;
      }
      this.#scheduler.cancel();
      removeExitHooks(this);
      await this.#store.close();
      await this.#closePool();
      this.#mem.clear();
      this.#memBytes = 0;
      this.#readable = false;
      this.#lifecycle = 'stopped';
    })();
    try {
      await this.#stopping;
    } finally {
      this.#stopping = undefined;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Writes everything unwritten synchronously on this thread (the exit hook's last flush,
   * when no event loop is left to run workers). Values that cannot be encoded are skipped.
   */
  flushSync(): void {
    if (this.#lifecycle !== 'started' && this.#lifecycle !== 'stopping') return;
    // Encoded here, value by value: there is no worker left to unpack a packed batch.
    const builder = new BatchBuilder(this.options.codec, false);
    const pending = [...this.#queue];
    for (const flight of this.#flights) pending.push(...flight.entries.filter((e) => e.state !== EntryState.clean));
    for (const entry of pending) builder.add(entry); // an unencodable value was reported when first flushed
    const { encoded } = builder.build();
    if (encoded !== undefined) this.#store.writeSync(encoded.batch);
  }

  // ---- internals: the memory map -------------------------------------------------------------

  #markDeleted(key: string): void {
    const entry = this.#dirty(key);
    entry.value = undefined;
    entry.deleted = true;
    entry.createdAt = this.options.timers.now();
    entry.expiresAt = 0;
  }

  /** The entry for `key`, made dirty (queued, or marked for re-queueing if in flight). */
  #dirty(key: string): Entry {
    let entry = this.#mem.get(key);
    if (entry === undefined) {
      validateKey(key);
      this.#checkCapacity();
      entry = new Entry(key, undefined, EntryState.queued, ++this.#seq, 0, 0);
      entry.dirtySince = entry.seq;
      this.#mem.set(key, entry);
      this.#enqueue(entry);
      return entry;
    }
    entry.seq = ++this.#seq;
    if (entry.size > 0) {
      this.#memBytes -= entry.size;
      entry.size = -1;
    }
    switch (entry.state) {
      case EntryState.queued:
      case EntryState.inFlightDirty:
        break; // coalesced: the queued write will carry this version
      case EntryState.inFlight:
        entry.state = EntryState.inFlightDirty;
        entry.discarded = false;
        entry.dirtySince = entry.seq;
        break;
      default:
        this.#checkCapacity();
        if (entry.state === EntryState.failed) this.#failed.delete(entry);
        entry.state = EntryState.queued;
        entry.dirtySince = entry.seq;
        this.#enqueue(entry);
    }
    return entry;
  }

  /** Writes not yet handed to the store: queued, or in the batch being filled. */
  get #unsent(): boolean {
    return this.#queue.size > 0 || this.#building !== undefined;
  }

  #checkCapacity(): void {
    if (this.#queue.size + this.#inFlightCount >= this.options.maxPending) throw new QueueFullError(this.options.maxPending);
  }

  #enqueue(entry: Entry): void {
    this.#queue.push(entry);
    this.#scheduler.queued(this.#queue.size, this.options.batchSize, this.#flights.size > 0);
  }

  #overHighWater(): false {
    this.#needDrain = true;
    return false;
  }

  #stale(entry: Entry, options: GetOptions | undefined): boolean {
    if (entry.expiresAt === 0 && options?.maxAge === undefined) return false;
    const now = this.options.timers.now();
    if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
      // Expired: a clean copy can go; a dirty one still has to reach the store (it overwrites
      // an older, maybe unexpired, version there).
      if (entry.state === EntryState.clean) this.#drop(entry);
      return true;
    }
    return options?.maxAge !== undefined && now - entry.createdAt > options.maxAge;
  }

  #readThrough(key: string, options: GetOptions | undefined): unknown {
    validateKey(key);
    const stored = this.#store.read(key);
    if (stored === undefined || (options?.maxAge !== undefined && this.options.timers.now() - stored.createdAt > options.maxAge)) {
      this.#stats.misses++;
      return undefined;
    }
    this.#stats.hits++;
    if (this.#store.persistent) {
      const entry = new Entry(key, stored.value, EntryState.clean, 0, stored.createdAt, stored.expiresAt);
      entry.size = stored.size;
      this.#mem.set(key, entry);
      this.#memBytes += stored.size;
      if (this.#bounded) this.#evict();
    }
    return stored.value;
  }

  /** Moves an entry to the young end of the map (insertion order is the eviction order). */
  #touch(entry: Entry): void {
    this.#mem.delete(entry.key);
    this.#mem.set(entry.key, entry);
  }

  #drop(entry: Entry): void {
    if (this.#mem.get(entry.key) !== entry) return;
    this.#mem.delete(entry.key);
    if (entry.storeSlot >= 0) this.#store.release?.(entry);
    if (entry.size > 0) this.#memBytes -= entry.size;
  }

  /**
   * Drops an unwritten entry on purpose (discard): memory falls back to the store. `since`: the
   * oldest of the dropped writes (0 for a failed entry, which no barrier counts).
   */
  #forget(entry: Entry, since: number): void {
    this.#drop(entry);
    entry.state = EntryState.clean;
    entry.dirtySince = 0;
    settleWaiters(entry, Number.POSITIVE_INFINITY);
    if (since > 0) this.#barriers.landed(since, 0);
  }

  #evict(): void {
    const { maxEntries, maxBytes } = this.options;
    if (this.#mem.size <= maxEntries && this.#memBytes <= maxBytes) return;
    for (const entry of this.#mem.values()) {
      if (this.#mem.size <= maxEntries && this.#memBytes <= maxBytes) break;
      if (entry.state !== EntryState.clean) continue;
      this.#drop(entry);
      this.#stats.evictions++;
    }
  }

  // ---- internals: flushing -------------------------------------------------------------------

  /**
   * Hands queued entries to the store in batches of `batchSize`, encoding on this thread in
   * slices of at most `sliceMs` (a batch too big for one slice fills over several turns), and
   * keeps up to two batches per writer thread in flight plus one spare: a writer holds two (one
   * framed while the other's fsync waits) and takes the spare the moment one finishes, instead
   * of idling until this thread's next turn sends one (+8–15 % entries/s, bench/durable.bench.ts).
   */
  #pump(): void {
    if (this.#paused || this.#clearing > 0) return;
    if (this.#lifecycle !== 'started' && this.#lifecycle !== 'stopping') return;
    if (!this.#scheduler.begin()) return;
    if (!this.#store.persistent) {
      this.#settleUnpersisted();
      return;
    }
    const { batchSize } = this.options;
    const maxFlights = this.options.threads * 2 + 1;
    const deadline = sliceClock() + this.options.sliceMs;
    while (this.#building !== undefined || (this.#queue.size > 0 && this.#flights.size < maxFlights)) {
      const building = (this.#building ??= this.#startBatch());
      const { builder } = building;
      let timeUp = false;
      let entry: Entry | undefined;
      while (builder.length < batchSize && (entry = this.#queue.shift()) !== undefined) {
        const refused = builder.add(entry);
        if (refused !== undefined) {
          this.#unencodable(entry, refused.error, entry.dirtySince, entry.seq);
          continue;
        }
        entry.state = EntryState.inFlight;
        entry.dirtySince = 0;
        this.#inFlightCount++;
        if ((builder.length & 63) === 0 && sliceClock() > deadline) {
          timeUp = true;
          break;
        }
      }
      if (timeUp && builder.length < batchSize && this.#queue.size > 0) {
        this.#scheduler.soon(); // the batch fills on next turn
        return;
      }
      this.#building = undefined;
      this.#send(building);
      if (sliceClock() > deadline) {
        if (this.#queue.size > 0) this.#scheduler.soon();
        return;
      }
    }
  }

  #startBatch(): Building {
    const { codec } = this.options;
    const builder = new BatchBuilder(codec, codec === v8Codec && this.#store.encodesInWorker === true);
    const flight: Flight = { entries: builder.entries, seqs: builder.seqs, since: builder.since };
    this.#flights.add(flight);
    return { builder, flight };
  }

  /** Finishes a batch's encoding and hands it to the store. */
  #send({ builder, flight }: Building): void {
    const taken = builder.length;
    const { encoded, unencodable } = builder.build();
    // Entries whose value v8 refused are not in the batch: they leave the flight as failed.
    this.#inFlightCount -= taken - (encoded?.entries.length ?? 0);
    for (const { entry, error, since, seq } of unencodable) this.#unencodable(entry, error, since, seq);
    if (encoded === undefined) {
      this.#flights.delete(flight);
      return;
    }
    flight.entries = encoded.entries;
    flight.seqs = encoded.seqs;
    flight.since = encoded.since;
    this.#dispatch(flight, encoded);
  }

  /** A store that persists nothing: every queued write is done as soon as it is taken. */
  #settleUnpersisted(): void {
    let entry: Entry | undefined;
    while ((entry = this.#queue.shift()) !== undefined) {
      entry.state = EntryState.clean;
      if (entry.deleted) this.#drop(entry);
      settleWaiters(entry, entry.seq);
      this.#barriers.landed(entry.dirtySince, 0);
      entry.dirtySince = 0;
    }
    this.#afterProgress();
  }

  /**
   * Version `seq` of the entry cannot be encoded: reported, and the entry kept in memory as
   * failed. If the caller has written the key again since (a batch can fill over several turns),
   * only that version failed: the newer one is queued like any write.
   */
  #unencodable(entry: Entry, cause: unknown, since: number, seq: number): void {
    const error = new NotSerializableError([entry.key], cause);
    failWaiters(entry, error, seq);
    this.#barriers.failed(since, error);
    if (entry.state === EntryState.inFlightDirty) {
      entry.state = EntryState.queued;
      this.#queue.push(entry);
    } else {
      entry.state = EntryState.failed;
      entry.dirtySince = 0;
      this.#failed.add(entry);
    }
    this.#report(error);
  }

  #dispatch(flight: Flight, { batch, transfer }: EncodedBatch): void {
    const started = sliceClock();
    const done = (result: WriteResult | Error): void => {
      this.#flights.delete(flight);
      this.#inFlightCount -= flight.entries.length;
      this.#complete(flight, result, sliceClock() - started);
    };
    let writing: Promise<WriteResult>;
    try {
      writing = this.#store.write(batch, transfer, flight.entries);
    } catch (error) {
      writing = Promise.reject(error);
    }
    writing.then(done, (error: unknown) => done(error instanceof Error ? error : new Error(String(error))));
  }

  #complete(flight: Flight, result: WriteResult | Error, ms: number): void {
    const failures = new Map<number, WriteFailure>();
    if (!(result instanceof Error)) for (const f of result.failures) failures.set(f.index, f);
    const failedKeys: FailedWrite[] = [];
    let written = 0;
    for (let i = 0; i < flight.entries.length; i++) {
      const entry = flight.entries[i] as Entry;
      const seq = flight.seqs[i] as number;
      const failure = failures.get(i);
      if (result instanceof Error || failure !== undefined) {
        failedKeys.push({ entry, failure, since: flight.since[i] as number });
        continue;
      }
      written++;
      // The size of what was written counts toward maxBytes unless a newer version replaced it.
      const size = result.sizes?.[i];
      if (size !== undefined && entry.seq === seq && entry.size < 0) {
        entry.size = size;
        this.#memBytes += size;
      }
      if (entry.state === EntryState.inFlightDirty) {
        entry.state = EntryState.queued;
        this.#queue.push(entry);
      } else {
        entry.state = EntryState.clean;
        if (entry.deleted || entry.discarded) this.#drop(entry);
        entry.discarded = false;
      }
      settleWaiters(entry, seq);
      this.#barriers.landed(flight.since[i] as number, entry.dirtySince);
    }
    this.#stats.batches++;
    this.#stats.flushed += written;
    if (!(result instanceof Error)) this.#stats.bytes += result.bytes;
    if (failedKeys.length > 0) this.#retryLater(failedKeys, result instanceof Error ? result : undefined);
    this.#scheduler.completed(failedKeys.length === 0);
    if (written > 0) this.emit('flush', { entries: written, bytes: result instanceof Error ? 0 : result.bytes, ms } satisfies FlushInfo);
    this.#afterProgress();
  }

  /** Failed writes go back to the queue and are reported, one error per cause; the scheduler retries them. */
  #retryLater(failed: FailedWrite[], batchError: Error | undefined): void {
    const byCause = new Map<string, { failure: OsFailure; entries: Entry[]; since: number[] }>();
    for (const { entry, failure, since } of failed) {
      if (entry.discarded) {
        this.#forget(entry, since);
        continue;
      }
      entry.state = EntryState.queued;
      // Queued again from its oldest unwritten write: the failed range comes before any newer one.
      entry.dirtySince = since;
      this.#queue.push(entry);
      const cause = failure ?? describeFailure(batchError ?? new Error('unknown failure'));
      const causeKey = `${cause.code}:${cause.syscall ?? ''}`;
      const group = byCause.get(causeKey);
      if (group === undefined) byCause.set(causeKey, { failure: cause, entries: [entry], since: [since] });
      else {
        group.entries.push(entry);
        group.since.push(since);
      }
    }
    this.#stats.retries += failed.length;
    for (const { failure, entries, since } of byCause.values()) {
      const error =
        batchError instanceof LarderError && failure.code === batchError.code
          ? batchError
          : new WriteFailedError(entries.map((e) => e.key), failure, batchError === undefined ? undefined : { cause: batchError });
      error.keys = entries.map((e) => e.key);
      for (const entry of entries) failWaiters(entry, error);
      for (const from of since) this.#barriers.retrying(from, error);
      this.#report(error);
    }
  }

  #afterProgress(): void {
    const pending = this.pendingCount;
    if (pending < this.options.highWaterMark) {
      if (this.#needDrain) {
        this.#needDrain = false;
        this.emit('drain');
      }
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.#bounded) this.#evict();
    if (this.#unsent) this.#scheduler.soon();
  }

  /** Waits until everything pending now is written; rejects at once if a value cannot be encoded. */
  #barrier(timeout: number, onTimeout: (keys: string[]) => Error): Promise<void> {
    if (this.#failed.size > 0) {
      const keys = [...this.#failed].map((e) => e.key);
      return Promise.reject(new NotSerializableError(keys, new Error('reported by an earlier error event; set, delete or discard() them')));
    }
    // Every entry in the queue or in a flight has a write at or before now (see barriers.ts).
    const waiting = this.#barriers.add(this.#seq, this.pendingCount, timeout, (at) => onTimeout(this.#pendingKeys(at)));
    if (this.#unsent) this.#scheduler.soon();
    return waiting;
  }

  /** Keys with a write at or before sequence `at` that is not durable yet (a timed-out barrier names them). */
  #pendingKeys(at: number): string[] {
    const keys = new Set<string>();
    for (const entry of this.#queue) if (entry.dirtySince <= at) keys.add(entry.key);
    for (const flight of this.#flights) {
      flight.entries.forEach((entry, i) => {
        if ((flight.since[i] as number) <= at) keys.add(entry.key);
      });
    }
    return [...keys];
  }

  #report(error: Error): void {
    this.#stats.errors++;
    reportError(this, error);
  }

  #storeContext(): StoreContext {
    const { codec, durability, mode, timers, threads } = this.options;
    return {
      codec,
      durability,
      mode,
      timers,
      threads,
      pool: () => (this.#pool ??= leasePool(threads)),
      report: (error) => this.#report(error),
      invalidate: (keys) => {
        for (const key of keys) {
          const entry = this.#mem.get(key);
          if (entry !== undefined && entry.state === EntryState.clean) this.#drop(entry);
        }
      },
      invalidateAll: () => {
        for (const entry of this.#mem.values()) if (entry.state === EntryState.clean) this.#drop(entry);
      },
      resident: (key) => this.#mem.get(key),
    };
  }

  async #closePool(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.close();
  }
}

function validateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`key must be a string, received ${typeof key}`);
  // Byte length is at most 3× the UTF-16 length: only very long keys need the exact count.
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new RangeError(`key must be at most ${MAX_KEY_BYTES} bytes of UTF-8, received ${Buffer.byteLength(key)}`);
  }
}

function syncTier(tier: unknown): 'local' | 'remote' {
  if (tier !== 'local' && tier !== 'remote') throw new TypeError(`tier must be 'local' or 'remote', received ${typeof tier === 'string' ? JSON.stringify(tier) : typeof tier}`);
  return tier;
}

function waitTimeout(options: WaitOptions | undefined): number {
  return options?.timeout === undefined ? DEFAULT_WAIT : waitDuration('timeout', options.timeout);
}
