/**
 * The `tiered` store: the local `log` store as a durable outbox in front of a remote store
 * (Redis). Every batch the engine writes is made durable locally first — the log's records, and
 * in parallel a frame naming its keys in the outbox journal (outbox-journal.ts) — and only then
 * confirmed to the engine; replication to the remote runs behind, in batches, in order per key.
 *
 * Replication. Each local batch is a numbered frame. `#backlog` maps every key whose latest
 * local write is not replicated yet to the frame that wrote it; a frame is done when none of
 * its keys still points at it (replicated, or written again by a later frame), and the journal
 * is marked replicated up to the longest done prefix of frames. Two ways to send:
 * - fresh batches are kept in memory (a copy, up to `maxRetainedBytes`) and go to the remote
 *   as the engine encoded them, once they are durable locally;
 * - everything else (batches past that window, batches whose send failed, a backlog found at
 *   open) is sent by key, each key's CURRENT value read back from the local log (a key gone
 *   locally goes as a delete). Latest write wins for free: whatever was written in between,
 *   the remote ends with the local value.
 * A key is never in two remote batches at once, so an older value never lands after a newer
 * one. With the remote down, sends fail and are retried with backoff; writes go on landing
 * locally, so the backlog grows on disk (values in the log, keys in the journal), and memory
 * holds only the keys of the backlog (as the log's index does for every key).
 *
 * Reads: the engine's memory, then the local log (synchronous `read`), then the remote (`load`)
 * for a key this process has no record of. A key another process changed (the remote's
 * invalidation channel) is read from the remote until this process writes it again.
 */
import { EventEmitter } from 'node:events';
import { v8Codec, utf8Codec } from '../../../shared/codecs.js';
import { RecordKind } from '../../../shared/format/record.js';
import { describeFailure, type BatchColumns, type WriteFailure, type WriteResult } from '../../../shared/protocol.js';
import { CacherStoppedError, CorruptRecordError, type LarderError } from '../../core/errors.js';
import { SLICE_MS, sliceClock, unrefTimer } from '../../core/timers.js';
import { positiveInteger, rejectUnknown, show } from '../../core/validate.js';
import type { BackendMutex, CompactReport, EngineStore, ExpiredRecord, RegionInvalidation, SlotHolder, StoreContext, StoredEntry, StoredMeta, StoreStats, VerifyReport } from '../engine-store.js';
import type { LogStore } from '../log/log-store.js';
import { RedisStore } from '../redis/redis-store.js';
import { OutboxJournal, encodeKeysFrame } from './outbox-journal.js';
import { ReplicationFailedError, ReplicationTimeoutError } from './tiered-errors.js';

export interface TieredStoreOptions {
  /** The local tier: a writable `LogStore`. Its directory also holds the outbox journal (`outbox/`). */
  local: LogStore;
  /**
   * The remote tier: a `RedisStore` (or any store with `load`). Used only through the store
   * contract, so a store that speaks Redis Cluster works the same.
   */
  remote: EngineStore;
  /** Most keys in one replication batch read back from the local log. @default 1000 */
  batchSize?: number;
  /**
   * Bytes of fresh batches kept in memory so they replicate without being read back from disk.
   * Past it (a slow or absent remote), batches are replicated from the local log. @default 32 MiB
   */
  maxRetainedBytes?: number;
  /** Replication batches in flight at once (their keys never overlap). @default 2 */
  maxFlights?: number;
  /** The `'lag'` event fires when this many keys wait for replication… @default 10000 */
  lagEntries?: number;
  /** …or when the oldest unreplicated write is this many ms old. @default 5000 */
  lagMs?: number;
}

/** Replication progress, in `stats().replication` and `larder inspect`. */
export interface ReplicationStats {
  /** Keys whose latest local write has not reached the remote yet (the backlog). */
  pending: number;
  /** Age in ms of the oldest write not replicated yet (0: none). */
  oldestMs: number;
  /** Keys replicated since open, and the batches that carried them. */
  replicated: number;
  batches: number;
  /** Of those keys, how many were read back from the local log (not sent from memory). */
  readBack: number;
  /** Replication batches that failed (and were retried). */
  failures: number;
  /** false while sends to the remote fail. */
  remoteUp: boolean;
  /** Bytes of fresh batches held in memory for replication. */
  retainedBytes: number;
  /** Bytes of the outbox journal files. */
  journalBytes: number;
  /** Whether the lag is above a threshold (`lagEntries` / `lagMs`). */
  lagging: boolean;
}

/** The `'lag'` event: emitted when the lag crosses a threshold, either way. */
export interface LagInfo {
  lagging: boolean;
  entries: number;
  oldestMs: number;
}

export type TieredStoreStats = StoreStats & { replication: ReplicationStats };

const tieredDefaults = Object.freeze({
  batchSize: 1000,
  maxRetainedBytes: 32 * 1024 * 1024,
  maxFlights: 2,
  lagEntries: 10_000,
  lagMs: 5_000,
});
const KNOWN: ReadonlySet<string> = new Set(['local', 'remote', ...Object.keys(tieredDefaults)]);
const BACKOFF_MIN = 50;
const BACKOFF_MAX = 2_000;
/** Keys named on a replication timeout. */
const NAMED_KEYS = 100;

/** One local batch, from the moment it is handed to the local tier until all its keys are replicated. */
interface Frame {
  readonly seq: number;
  /** When it was written (the store's clock). */
  readonly at: number;
  /** Its local write and journal frame have come back. */
  landed: boolean;
  /** Keys of the backlog that point at this frame. */
  remaining: number;
  /**
   * Some key of it was in the backlog already when it landed (or twice in it). Without that, and
   * with none of its keys written again since (`remaining` = its key count), none of its keys
   * can be in another remote batch, so it goes from memory without a per-key look.
   */
  overlap: boolean;
  /** Its retained batch is being sent (its keys are not in `#sending`). */
  inFlight: boolean;
  /** The batch as the engine encoded it, kept for sending from memory. */
  retained: { batch: BatchColumns; transfer: ArrayBuffer[]; bytes: number } | undefined;
}

interface Outgoing {
  batch: BatchColumns;
  transfer: ArrayBuffer[];
  /** A retained batch: the frame all its values were taken from. */
  frame: Frame | undefined;
  /** A batch read back: the frame each key's value was taken from. */
  tags: Frame[] | undefined;
  readBack: number;
}

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: unknown;
}

export class TieredStore extends EventEmitter implements EngineStore {
  readonly kind = 'tiered';
  readonly persistent = true;
  readonly encodesInWorker: boolean;
  readonly local: LogStore;
  readonly remote: EngineStore;
  readonly batchSize: number;
  readonly maxRetainedBytes: number;
  readonly maxFlights: number;
  readonly lagEntries: number;
  readonly lagMs: number;
  #ctx: StoreContext | undefined;
  #journal: OutboxJournal | undefined;
  /** The last frame number given out. */
  #seq = 0;
  /** Every frame up to this one is replicated. */
  #mark = 0;
  /** Frames not yet done, in order (a done frame stays until those before it are done). */
  #frames = new Map<number, Frame>();
  /** Frames holding a retained batch, oldest first. */
  #retained: Frame[] = [];
  #retainedBytes = 0;
  /** key → the frame of its latest unreplicated local write (insertion order: oldest first). */
  #backlog = new Map<string, Frame>();
  /** Keys another process changed since this one last wrote them: read from the remote. */
  #stale = new Set<string>();
  /**
   * Keys in a remote batch now, except those of a retained batch in flight (`Frame.inFlight`)
   * that are still its latest write: a read-back batch's keys, and keys written again while
   * their retained batch is in flight.
   */
  #sending = new Set<string>();
  #flights = new Set<Promise<void>>();
  #retryTimer: unknown;
  #backoff = 0;
  #remoteUp = true;
  #lastFailure: Error | undefined;
  #waiters = new Set<Waiter>();
  #lagging = false;
  #lagTimer: unknown;
  #clearing = false;
  #closing = false;
  #counts = { replicated: 0, batches: 0, readBack: 0, failures: 0 };

  constructor(options: TieredStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object like { local, remote }, received ${show(options)}`);
    rejectUnknown('tiered store', options, KNOWN);
    const { local, remote } = options;
    if (typeof local !== 'object' || local === null || local.kind !== 'log' || typeof (local as LogStore).dir !== 'string') {
      throw new TypeError(`local must be a LogStore, received ${show(local)}`);
    }
    if (local.readOnly) throw new TypeError('local must be a writable LogStore, received one opened with readOnly: true');
    if (typeof remote !== 'object' || remote === null || typeof remote.write !== 'function' || typeof remote.load !== 'function') {
      throw new TypeError(`remote must be a store with load() (a RedisStore), received ${show(remote)}`);
    }
    super();
    const o = { ...tieredDefaults, ...options };
    this.local = local;
    this.remote = remote;
    this.batchSize = positiveInteger('batchSize', o.batchSize);
    this.maxRetainedBytes = positiveInteger('maxRetainedBytes', o.maxRetainedBytes, { allowZero: true, allowInfinity: true });
    this.maxFlights = positiveInteger('maxFlights', o.maxFlights);
    this.lagEntries = positiveInteger('lagEntries', o.lagEntries, { allowInfinity: true });
    this.lagMs = positiveInteger('lagMs', o.lagMs, { allowInfinity: true });
    this.encodesInWorker = local.encodesInWorker === true && remote.encodesInWorker === true;
  }

  // ---- open and close -----------------------------------------------------------------------

  async open(context: StoreContext): Promise<void> {
    this.#closing = false;
    await this.local.open(context);
    this.#ctx = context;
    const journal = new OutboxJournal(this.local.dir, context.durability, context.mode.file);
    try {
      const found = await journal.open(context.mode.dir);
      for (const problem of found.problems) context.report(new CorruptRecordError(undefined, `${journal.dir}/${problem.split(':')[0] ?? ''}`, problem));
      this.#seq = found.lastSeq;
      this.#mark = found.mark;
      for (const f of found.frames) {
        const frame = newFrame(f.seq, f.at);
        this.#frames.set(f.seq, frame);
        this.#land(frame, f.keys, undefined);
      }
      this.#journal = journal;
      // Without invalidateAll: after a missed message the remote names the keys it holds, which
      // this store marks stale (its local copies are the engine's, and older than the remote's).
      const { resident: _resident, invalidateAll: _invalidateAll, ...rest } = context;
      await this.remote.open({ ...rest, invalidate: (keys) => this.#invalidated(keys) });
    } catch (error) {
      await journal.close().catch(() => {});
      await this.local.close();
      this.#reset();
      this.#ctx = undefined;
      throw error;
    }
    this.#advance();
    this.#pump();
    this.#checkLag();
  }

  /**
   * Waits for the remote batches in flight, records how far replication got, and closes both
   * tiers. The backlog stays in the outbox for the next open (`sync({ tier: 'remote' })` first
   * to empty it).
   */
  async close(): Promise<void> {
    if (this.#ctx === undefined) return;
    const ctx = this.#ctx;
    this.#closing = true;
    this.#clearTimers();
    while (this.#flights.size > 0) await Promise.allSettled([...this.#flights]);
    for (const waiter of this.#waiters) this.#finish(waiter, new CacherStoppedError('wait for the remote tier'));
    this.#journal?.mark(this.#mark, ctx.timers.now());
    await this.#journal?.close();
    this.#journal = undefined;
    await Promise.all([this.remote.close(), this.local.close()]);
    this.#reset();
    this.#ctx = undefined;
  }

  #reset(): void {
    this.#frames.clear();
    this.#retained = [];
    this.#retainedBytes = 0;
    this.#backlog.clear();
    this.#stale.clear();
    this.#sending.clear();
    this.#lagging = false;
    this.#remoteUp = true;
    this.#backoff = 0;
    this.#counts = { replicated: 0, batches: 0, readBack: 0, failures: 0 };
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** From the local log, unless another process changed the key since this one wrote it. */
  read(key: string): StoredEntry | undefined {
    if (this.#stale.has(key) && !this.#backlog.has(key)) return undefined;
    return this.local.read(key);
  }

  readMeta(key: string): StoredMeta | undefined {
    if (this.#stale.has(key) && !this.#backlog.has(key)) return undefined;
    return this.local.readMeta(key);
  }

  /**
   * The local log, then the remote for a key this process holds no record of. A key whose
   * latest write here is not replicated yet is answered locally only (the remote has an older
   * value, or one this process deleted).
   */
  async load(key: string): Promise<StoredEntry | undefined> {
    const ours = this.#backlog.has(key);
    if (ours || !this.#stale.has(key)) {
      const entry = this.local.read(key);
      if (entry !== undefined) return entry;
      // A record that expired here is a miss here: the remote's copy expires on its own clock.
      if (ours || this.local.readMeta(key) !== undefined) return undefined;
    }
    return (this.remote.load as (key: string) => Promise<StoredEntry | undefined>).call(this.remote, key);
  }

  async findExpired(now: number): Promise<ExpiredRecord[]> {
    return this.local.findExpired(now);
  }

  /** Keys of the local log, then the remote's that this process holds no record of. */
  async *keys(): AsyncIterable<string> {
    const seen = new Set<string>();
    for (const key of this.local.keys()) {
      if (this.#stale.has(key) && !this.#backlog.has(key)) continue;
      seen.add(key);
      yield key;
    }
    let remoteKeys: AsyncIterator<string> | Iterator<string>;
    try {
      const source = this.remote.keys();
      remoteKeys = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<string>)[Symbol.iterator]();
      for (;;) {
        const next = await remoteKeys.next();
        if (next.done === true) break;
        const key = next.value;
        if (!seen.has(key) && !this.#backlog.has(key)) yield key;
      }
    } catch (error) {
      // The remote is unreachable: the local keys are what can be listed.
      this.#ctx?.report(new ReplicationFailedError([], describeFailure(error).code, `listing the remote's keys: ${(error as Error).message}`));
    }
  }

  // ---- writes --------------------------------------------------------------------------------

  write(batch: BatchColumns, transfer: ArrayBuffer[], holders?: readonly SlotHolder[]): Promise<WriteResult> {
    const ctx = this.#context();
    const journal = this.#journal as OutboxJournal;
    const seq = ++this.#seq;
    const at = ctx.timers.now();
    const frame = newFrame(seq, at);
    this.#frames.set(seq, frame);
    const { keys, kinds } = batch;
    // The copy must be taken before the local write transfers the batch's buffers away.
    const bytes = batch.values.byteLength + (batch.packed?.byteLength ?? 0);
    let copy: Frame['retained'];
    if (this.#retainedBytes + bytes <= this.maxRetainedBytes) {
      copy = copyBatch(batch, bytes);
      this.#retainedBytes += bytes;
    }
    const journaled = journal.append(seq, encodeKeysFrame(seq, at, keys, kinds));
    let written: Promise<WriteResult>;
    try {
      written = this.local.write(batch, transfer, holders);
    } catch (error) {
      written = Promise.reject(error);
    }
    return Promise.allSettled([written, journaled]).then(([local, frameWritten]) => {
      if (local.status === 'rejected') {
        this.#landFailed(frame, copy);
        throw local.reason;
      }
      if (frameWritten.status === 'rejected') {
        // The outbox could not name the keys: not confirmed, so the engine retries the batch.
        this.#landFailed(frame, copy);
        return failAll(keys.length, frameWritten.reason);
      }
      const result = local.value;
      this.#land(frame, keys, result.failures.length > 0 ? result.failures : undefined);
      if (copy !== undefined) {
        if (result.failures.length === 0 && frame.remaining > 0) {
          frame.retained = copy;
          this.#retained.push(frame);
        } else this.#retainedBytes -= copy.bytes;
      }
      this.#afterLanding();
      return result;
    });
  }

  /** The exit hook's last flush: the journal frame and the local records, synchronously. */
  writeSync(batch: BatchColumns): WriteResult {
    const ctx = this.#context();
    const journal = this.#journal as OutboxJournal;
    const seq = ++this.#seq;
    const at = ctx.timers.now();
    try {
      journal.appendSync(seq, encodeKeysFrame(seq, at, batch.keys, batch.kinds));
    } catch (error) {
      return failAll(batch.keys.length, error);
    }
    const result = this.local.writeSync(batch);
    const frame = newFrame(seq, at);
    this.#frames.set(seq, frame);
    this.#land(frame, batch.keys, result.failures.length > 0 ? result.failures : undefined);
    return result;
  }

  release(holder: SlotHolder): void {
    this.local.release(holder);
  }

  /**
   * Resolves once every write this store has taken so far has reached the remote tier (the
   * engine's `sync({ tier: 'remote' })` calls it after the local barrier). Rejects after
   * `timeout` ms with `ERR_SYNC_TIMEOUT` naming keys still in the outbox; nothing is dropped.
   */
  replicated(timeout: number): Promise<void> {
    const ctx = this.#context();
    const target = this.#seq;
    if (this.#mark >= target || this.#frames.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { target, resolve, reject, timer: undefined };
      this.#waiters.add(waiter);
      if (Number.isFinite(timeout)) {
        waiter.timer = ctx.timers.setTimeout(() => {
          const keys: string[] = [];
          for (const key of this.#backlog.keys()) {
            if (keys.length >= NAMED_KEYS) break;
            keys.push(key);
          }
          this.#finish(waiter, new ReplicationTimeoutError(keys, timeout, this.#backlog.size, this.#lastFailure));
        }, timeout);
      }
    });
  }

  /** Empties both tiers and the outbox. */
  async clear(): Promise<void> {
    this.#context();
    this.#clearing = true;
    try {
      this.#clearTimers();
      while (this.#flights.size > 0) await Promise.allSettled([...this.#flights]);
      const seq = this.#seq;
      this.#frames.clear();
      this.#retained = [];
      this.#retainedBytes = 0;
      this.#backlog.clear();
        this.#stale.clear();
      await (this.#journal as OutboxJournal).reset(seq);
      this.#mark = seq;
      await this.local.clear();
      await this.remote.clear();
    } finally {
      this.#clearing = false;
    }
    this.#settleWaiters();
    this.#checkLag();
  }

  compact(): Promise<CompactReport> {
    return this.local.compact();
  }

  verify(): Promise<VerifyReport> {
    return this.local.verify();
  }

  stats(): TieredStoreStats {
    return { ...this.local.stats(), kind: this.kind, replication: this.replication };
  }

  /** Replication progress (also in `stats().replication`). */
  get replication(): ReplicationStats {
    return {
      pending: this.#backlog.size,
      oldestMs: this.#oldestMs(),
      ...this.#counts,
      remoteUp: this.#remoteUp,
      retainedBytes: this.#retainedBytes,
      journalBytes: this.#journal?.bytes ?? 0,
      lagging: this.#lagging,
    };
  }

  // ---- coordination across processes (the remote's) ------------------------------------------

  /**
   * The remote tier when it is a `RedisStore`: its lock and its region channel are offered here
   * (`mutex`, `publishRegionInvalidation`, `onRegionInvalidation`), so a Region over a cacher on
   * this store runs one creator per key across processes. Undefined for another remote.
   */
  get redis(): RedisStore | undefined {
    return this.remote instanceof RedisStore ? this.remote : undefined;
  }

  /** The remote's lease of a `mutex` lock, in ms. */
  get lockLease(): number {
    return this.#redis('lockLease').lockLease;
  }

  /**
   * A lock on `key` shared by every process on the remote's prefix. Whoever holds it and writes
   * must let it go only once the write reached the remote (`sync({ tier: 'remote' })`): another
   * process finds the value there, not in this process's local log.
   */
  mutex(key: string): BackendMutex {
    return this.#redis('mutex').mutex(key);
  }

  publishRegionInvalidation(message: RegionInvalidation): Promise<void> {
    return this.#redis('publishRegionInvalidation').publishRegionInvalidation(message);
  }

  onRegionInvalidation(listener: (message: RegionInvalidation) => void): () => void {
    return this.#redis('onRegionInvalidation').onRegionInvalidation(listener);
  }

  #redis(what: string): RedisStore {
    const redis = this.redis;
    if (redis === undefined) throw new TypeError(`${what}: the remote tier is a ${this.remote.kind} store, not a RedisStore`);
    return redis;
  }

  // ---- replication ---------------------------------------------------------------------------

  /**
   * A frame's local write and journal frame came back: its keys (all, or those the local tier
   * wrote) join the backlog, each now pointing at this frame.
   */
  #land(frame: Frame, keys: readonly string[], failures: readonly WriteFailure[] | undefined): void {
    frame.landed = true;
    const failed = failures === undefined ? undefined : new Set(failures.map((f) => f.index));
    const backlog = this.#backlog;
    const stale = this.#stale.size > 0 ? this.#stale : undefined;
    for (let i = 0; i < keys.length; i++) {
      if (failed?.has(i) === true) continue;
      const key = keys[i] as string;
      const before = backlog.get(key);
      if (before !== undefined) {
        before.remaining--;
        frame.overlap = true;
        // Its older value is on its way to the remote: this write waits until it is back.
        if (before.inFlight) this.#sending.add(key);
      }
      backlog.set(key, frame);
      frame.remaining++;
      stale?.delete(key);
    }
  }

  /** Nothing of the frame was confirmed: it carries no key. */
  #landFailed(frame: Frame, copy: Frame['retained']): void {
    frame.landed = true;
    if (copy !== undefined) this.#retainedBytes -= copy.bytes;
    this.#afterLanding();
  }

  #afterLanding(): void {
    this.#advance();
    this.#pump();
    this.#checkLag();
  }

  /** Drops the done frames at the front and marks the journal replicated up to the last of them. */
  #advance(): void {
    let moved = false;
    for (const [seq, frame] of this.#frames) {
      if (!frame.landed || frame.remaining > 0) break;
      this.#frames.delete(seq);
      this.#mark = seq;
      moved = true;
    }
    if (this.#frames.size === 0) this.#mark = Math.max(this.#mark, this.#seq);
    if (!moved) return;
    this.#journal?.mark(this.#mark, (this.#ctx as StoreContext).timers.now());
    this.#settleWaiters();
  }

  #settleWaiters(): void {
    for (const waiter of this.#waiters) if (waiter.target <= this.#mark || this.#frames.size === 0) this.#finish(waiter);
  }

  #finish(waiter: Waiter, error?: Error): void {
    if (!this.#waiters.delete(waiter)) return;
    if (waiter.timer !== undefined) this.#ctx?.timers.clearTimeout(waiter.timer);
    if (error === undefined) waiter.resolve();
    else waiter.reject(error);
  }

  /** Sends batches while there is room in flight and something to send. */
  #pump(): void {
    if (this.#ctx === undefined || this.#closing || this.#clearing || this.#retryTimer !== undefined) return;
    while (this.#flights.size < this.maxFlights) {
      const fresh = this.#fromMemory();
      // A key of the next fresh batch is being sent: it goes when that send comes back.
      if (fresh === 'busy') return;
      const next = fresh ?? this.#fromDisk();
      if (next === undefined) return;
      this.#send(next);
      // Reading back took this turn's slice: go on after the event loop has had its turn.
      if (next.readBack > 0 && this.#flights.size < this.maxFlights) {
        setImmediate(() => this.#pump());
        return;
      }
    }
  }

  /**
   * The oldest retained batch, if all its keys still point at its frame; 'busy' while one of
   * them is being sent. A batch with a key written again since is dropped: its keys go by the
   * read-back path, each with its latest value.
   */
  #fromMemory(): Outgoing | 'busy' | undefined {
    while (this.#retained.length > 0) {
      const frame = this.#retained[0] as Frame;
      const retained = frame.retained as NonNullable<Frame['retained']>;
      const keys = retained.batch.keys;
      let superseded = false;
      if (frame.overlap || frame.remaining !== keys.length) {
        let busy = false;
        const sending = this.#sending.size > 0 ? this.#sending : undefined;
        for (const key of keys) {
          if (this.#backlog.get(key) !== frame) superseded = true;
          else if (sending?.has(key) === true) busy = true;
        }
        if (busy && !superseded) return 'busy';
      }
      this.#retained.shift();
      frame.retained = undefined;
      this.#retainedBytes -= retained.bytes;
      if (superseded) continue;
      return { batch: retained.batch, transfer: retained.transfer, frame, tags: undefined, readBack: 0 };
    }
    return undefined;
  }

  /**
   * Up to `batchSize` keys of the backlog, oldest first, each with its current local value (a
   * miss goes as a delete), read for at most a time slice. Keys waiting in a retained batch or
   * being sent are left for later.
   */
  #fromDisk(): Outgoing | undefined {
    const ctx = this.#ctx as StoreContext;
    const deadline = sliceClock() + SLICE_MS;
    const keys: string[] = [];
    const tags: Frame[] = [];
    const kinds: number[] = [];
    const codecs: number[] = [];
    const createdAt: number[] = [];
    const expiresAt: number[] = [];
    const values: Uint8Array[] = [];
    let total = 0;
    let visited = 0;
    for (const [key, frame] of this.#backlog) {
      // Keys passed over count too: a backlog led by keys being sent must not hold the loop.
      if (keys.length >= this.batchSize || ((++visited & 31) === 0 && sliceClock() > deadline)) break;
      if (frame.retained !== undefined || frame.inFlight || this.#sending.has(key)) continue;
      let entry: StoredEntry | undefined;
      let bytes: Uint8Array | undefined;
      let codec = ctx.codec.id;
      try {
        entry = this.local.read(key);
        if (entry !== undefined) {
          const value = entry.value;
          if (ctx.codec.id === v8Codec.id && typeof value === 'string' && value.isWellFormed()) {
            codec = utf8Codec.id;
            bytes = Buffer.from(value, 'utf8');
          } else bytes = ctx.codec.encode(value);
        }
      } catch (error) {
        // Unreadable locally (an I/O error): left in the backlog, tried again with the next batch.
        this.#report(new ReplicationFailedError([key], describeFailure(error).code, `reading ${JSON.stringify(key)} back from the local log: ${(error as Error).message}`));
        continue;
      }
      keys.push(key);
      tags.push(frame);
      kinds.push(entry === undefined ? RecordKind.delete : RecordKind.put);
      codecs.push(codec);
      createdAt.push(entry?.createdAt ?? ctx.timers.now());
      expiresAt.push(entry?.expiresAt ?? 0);
      values.push(bytes ?? EMPTY);
      total += bytes?.length ?? 0;
    }
    if (keys.length === 0) return undefined;
    const valueOffsets = new Uint32Array(keys.length + 1);
    const data = new Uint8Array(new ArrayBuffer(total));
    let at = 0;
    for (let i = 0; i < keys.length; i++) {
      valueOffsets[i] = at;
      data.set(values[i] as Uint8Array, at);
      at += (values[i] as Uint8Array).length;
    }
    valueOffsets[keys.length] = at;
    const batch: BatchColumns = {
      keys,
      kinds: Uint8Array.from(kinds),
      codecs: Uint8Array.from(codecs),
      createdAt: Float64Array.from(createdAt),
      expiresAt: Float64Array.from(expiresAt),
      valueOffsets,
      values: data,
    };
    return { batch, transfer: [data.buffer, valueOffsets.buffer], frame: undefined, tags, readBack: keys.length };
  }

  #send(out: Outgoing): void {
    const keys = out.batch.keys;
    if (out.frame !== undefined) out.frame.inFlight = true;
    else for (const key of keys) this.#sending.add(key);
    let writing: Promise<WriteResult>;
    try {
      writing = this.remote.write(out.batch, out.transfer);
    } catch (error) {
      writing = Promise.reject(error);
    }
    const flight: Promise<void> = writing
      .then(
        (result) => this.#sent(keys, out, result),
        (error: unknown) => this.#sent(keys, out, failAll(keys.length, error)),
      )
      .finally(() => {
        this.#flights.delete(flight);
        this.#pump();
      });
    this.#flights.add(flight);
  }

  /** A remote batch came back: each key it carried leaves the backlog unless written again meanwhile. */
  #sent(keys: readonly string[], out: Outgoing, result: WriteResult): void {
    const failed = result.failures.length === 0 ? undefined : new Set(result.failures.map((f) => f.index));
    const backlog = this.#backlog;
    let ok = 0;
    const frame = out.frame;
    if (frame !== undefined) {
      frame.inFlight = false;
      if (failed === undefined && frame.remaining === keys.length) {
        // No key of it was written again meanwhile: every one of them leaves the backlog.
        for (const key of keys) backlog.delete(key);
        frame.remaining = 0;
        ok = keys.length;
      } else {
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as string;
          const latest = backlog.get(key) === frame;
          // Written again while in flight: that write waited for this batch (see #land).
          if (!latest) this.#sending.delete(key);
          if (failed?.has(i) === true) continue;
          ok++;
          if (!latest) continue;
          backlog.delete(key);
          frame.remaining--;
        }
      }
    } else {
      const tags = out.tags as Frame[];
      for (const key of keys) this.#sending.delete(key);
      for (let i = 0; i < keys.length; i++) {
        if (failed?.has(i) === true) continue;
        ok++;
        const key = keys[i] as string;
        const tag = tags[i] as Frame;
        if (backlog.get(key) !== tag) continue;
        backlog.delete(key);
        tag.remaining--;
      }
    }
    this.#counts.replicated += ok;
    if (out.readBack > 0) this.#counts.readBack += failed === undefined ? out.readBack : ok;
    this.#counts.batches++;
    if (failed === undefined) {
      this.#backoff = 0;
      this.#remoteUp = true;
      this.#lastFailure = undefined;
    } else this.#failed(keys, result.failures);
    this.#advance();
    this.#checkLag();
  }

  /** Some keys did not reach the remote: they stay in the backlog; sending pauses for a backoff. */
  #failed(keys: readonly string[], failures: readonly WriteFailure[]): void {
    const first = failures[0] as WriteFailure;
    const error = new ReplicationFailedError(
      failures.map((f) => keys[f.index] as string),
      first.code,
      first.message,
    );
    this.#counts.failures++;
    this.#lastFailure = error;
    // One report per run of failures: an outage retried every couple of seconds is one event.
    if (this.#remoteUp) this.#report(error);
    this.#remoteUp = false;
    this.#backoff = Math.min(BACKOFF_MAX, Math.max(BACKOFF_MIN, this.#backoff * 2));
    const ctx = this.#ctx;
    if (ctx === undefined || this.#closing || this.#retryTimer !== undefined) return;
    const delay = this.#backoff + Math.floor(Math.random() * BACKOFF_MIN);
    this.#retryTimer = unrefTimer(ctx.timers, () => {
      this.#retryTimer = undefined;
      this.#pump();
    }, delay);
  }

  /** Another process changed these keys: drop the engine's copies, and read them from the remote. */
  #invalidated(keys: Iterable<string>): void {
    const list = [...keys];
    for (const key of list) this.#stale.add(key);
    this.#ctx?.invalidate(list);
  }

  #oldestMs(): number {
    const ctx = this.#ctx;
    if (ctx === undefined) return 0;
    for (const frame of this.#frames.values()) return Math.max(0, ctx.timers.now() - frame.at);
    return 0;
  }

  /** Emits `'lag'` when the lag crosses a threshold; while there is a backlog, looks again every second. */
  #checkLag(): void {
    const ctx = this.#ctx;
    if (ctx === undefined) return;
    const entries = this.#backlog.size;
    const oldestMs = this.#oldestMs();
    const lagging = entries >= this.lagEntries || oldestMs >= this.lagMs;
    if (lagging !== this.#lagging) {
      this.#lagging = lagging;
      this.emit('lag', { lagging, entries, oldestMs } satisfies LagInfo);
    }
    if (this.#frames.size > 0 && this.#lagTimer === undefined && !this.#closing) {
      this.#lagTimer = unrefTimer(ctx.timers, () => {
        this.#lagTimer = undefined;
        this.#checkLag();
      }, Math.min(1_000, this.lagMs));
    }
  }

  #clearTimers(): void {
    const ctx = this.#ctx;
    if (ctx === undefined) return;
    if (this.#retryTimer !== undefined) ctx.timers.clearTimeout(this.#retryTimer);
    if (this.#lagTimer !== undefined) ctx.timers.clearTimeout(this.#lagTimer);
    this.#retryTimer = this.#lagTimer = undefined;
  }

  #report(error: LarderError): void {
    this.#ctx?.report(error);
  }

  #context(): StoreContext {
    if (this.#ctx === undefined) throw new Error('tiered store used before open()');
    return this.#ctx;
  }
}

const EMPTY = new Uint8Array(0);

function newFrame(seq: number, at: number): Frame {
  return { seq, at, landed: false, remaining: 0, overlap: false, inFlight: false, retained: undefined };
}

/** A batch's own copy of its value buffers (the engine's are transferred to the local writer). */
function copyBatch(batch: BatchColumns, bytes: number): NonNullable<Frame['retained']> {
  const values = copyBytes(batch.values);
  const valueOffsets = new Uint32Array(batch.valueOffsets);
  const copy: BatchColumns = { keys: batch.keys, kinds: batch.kinds, codecs: batch.codecs, createdAt: batch.createdAt, expiresAt: batch.expiresAt, valueOffsets, values };
  const transfer = [values.buffer as ArrayBuffer, valueOffsets.buffer];
  if (batch.packed !== undefined) {
    copy.packed = copyBytes(batch.packed);
    transfer.push(copy.packed.buffer as ArrayBuffer);
  }
  return { batch: copy, transfer, bytes };
}

/** Bytes in an ArrayBuffer of their own (transferable), not zero-filled first: they are overwritten at once. */
function copyBytes(source: Uint8Array): Uint8Array {
  const copy = new Uint8Array(Buffer.allocUnsafeSlow(source.byteLength).buffer, 0, source.byteLength);
  copy.set(source);
  return copy;
}

function failAll(n: number, error: unknown): WriteResult {
  const failure = describeFailure(error);
  const failures: WriteFailure[] = new Array(n);
  for (let index = 0; index < n; index++) failures[index] = { index, ...failure };
  return { failures, bytes: 0 };
}
