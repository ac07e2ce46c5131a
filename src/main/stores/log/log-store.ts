/**
 * The `log` store, larder's embedded default: a log-structured hash table after Bitcask.
 * Records (the framing `files` uses too) are appended to segment files, one positional write
 * and one fsync per batch, by the writer workers; this thread keeps the index (key → segment,
 * offset, size, expiry) and reads a record with one `readSync` at its offset (with read-ahead
 * for reads in write order: record-window.ts).
 *
 * Batches in flight at once (two per writer thread, and one spare) each claim their own byte
 * range of the active segment with one atomic add on a cursor shared with the workers, once they
 * know their framed size, so they never overlap and need no lock; a key's newer version is always
 * posted after its older one landed, so it always lies at a higher offset or in a later
 * segment. Values arrive as the engine's batch encoder made them (strings already UTF-8, other
 * values in one serialization per batch, encoded in the worker). A crash can leave a reserved
 * range unwritten (a stretch of zeros) or half written; scans skip both. See
 * src/shared/format/log-format.ts for the files, src/worker/log/log-scan.ts for recovery.
 */
import { EventEmitter } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import fse from 'fs-extra';
import { unlessMissingAsync } from '../../../shared/fs/unless-missing.js';
import { RecordKind, decodeRecord } from '../../../shared/format/record.js';
import { describeFailure, type BatchColumns, type ByteRange, type LogIndexChunk, type LogJob, type LogJobResult, type LogTarget, type WriteResult } from '../../../shared/protocol.js';
import {
  HINT_SUFFIX,
  LOCK_FILE,
  SEGMENT_SUFFIX,
  TMP_SUFFIX,
  compareSegments,
  hintName,
  parseSegmentName,
  segmentName,
  type DiskBudgetRecord,
  type SegmentId,
} from '../../../shared/format/log-format.js';
import { writeLogBatch } from '../../../shared/writers/log-writer.js';
import { SLICE_MS, sliceClock, type Timers } from '../../core/timers.js';
import { CorruptRecordError } from '../../core/errors.js';
import { positiveInteger, rejectUnknown, show } from '../../core/validate.js';
import type { CompactReport, EngineStore, ExpiredRecord, SlotHolder, StoreContext, StoredEntry, StoredMeta, StoreStats, VerifyReport } from '../engine-store.js';
import { LogIndex } from './log-index.js';
import { readDiskBudget } from './budget-file.js';
import { DiskFullError, StoreIoError, StoreReadOnlyError } from './log-errors.js';
import { readStoredEntry } from '../record-reader.js';
import { RecordWindow } from './record-window.js';
import { StoreLock } from './store-lock.js';

export interface LogStoreOptions {
  /**
   * Open without the lock, even while another process writes the directory: reads see the
   * store as it was at open; nothing is repaired; writes, `clear()` and `compact()` fail with
   * `ERR_STORE_READ_ONLY`.
   * @default false
   */
  readOnly?: boolean;
  /** A segment is sealed (and a new one started) once it holds this many bytes. @default 64 MiB */
  segmentSize?: number;
  /** Compact automatically when dead bytes reach this share of sealed segments' bytes… @default 0.5 */
  compactRatio?: number;
  /** …and at least this many bytes. @default 16 MiB */
  compactMinBytes?: number;
  /** false: compaction runs only when `compact()` is called. @default true */
  autoCompact?: boolean;
  /**
   * A budget for the store's files (live and dead bytes). When live bytes pass half of it,
   * expired records are evicted, then records by `diskPolicy`, down to two fifths of it; dead
   * bytes are compacted away whenever the files pass half of it plus a segment, and while they
   * are over it, batches wait for that compaction. Files stay within the budget plus
   * a headroom of two segments and the batches in flight: the active segment fills while
   * compaction runs, and compaction needs room for one segment's live bytes. A segment is sealed
   * past a sixteenth of the budget, so each may exceed that by the batches in flight (up to
   * 2 × threads + 1 batches): headroom = 2 × (segment + in flight) + in flight (docs/log-store.md).
   * Requires `autoCompact`. @default Infinity (no budget)
   */
  maxDiskBytes?: number;
  /**
   * What makes room under `maxDiskBytes`: `'lrs'` evicts the least recently stored keys, `'lru'`
   * the least recently used (stored, or read from disk: reads served from the engine's memory do
   * not reach the store), `'none'` evicts nothing and refuses a batch that would take live bytes
   * past half the budget with `ERR_DISK_FULL` (reported as the `osCode` of `ERR_WRITE_FAILED`; its
   * writes stay queued and are retried; a batch whose deletes free what it adds passes). An evicted key is
   * gone from the index and the engine's memory at once, and from disk at the next compaction;
   * each eviction is counted in `stats().evictions` and emitted as `'evict'` ({ keys, bytes, reason }).
   * @default 'lrs'
   */
  diskPolicy?: DiskPolicy;
}

export type DiskPolicy = 'lrs' | 'lru' | 'none';

/** What `stats()` adds for the disk budget. */
export interface LogBudgetStats {
  /** The `maxDiskBytes` option (Infinity: no budget). */
  maxDiskBytes: number;
  /** Keys evicted to keep within it since open. */
  evictions: number;
}

/** The `'evict'` event of a LogStore with a `maxDiskBytes` budget. */
export interface EvictInfo {
  keys: string[];
  bytes: number;
  /** Expired records go first; then the policy's order. */
  reason: 'expired' | 'lrs' | 'lru';
}

/** Evictions start when live bytes pass this share of `maxDiskBytes`… */
const EVICT_ABOVE = 0.5;
/** …and go down to this one, so they come in bulk, not one per batch. */
const EVICT_TO = 0.4;

const logDefaults = Object.freeze({
  readOnly: false,
  segmentSize: 64 * 1024 * 1024,
  compactRatio: 0.5,
  compactMinBytes: 16 * 1024 * 1024,
  autoCompact: true,
  maxDiskBytes: Number.POSITIVE_INFINITY,
  diskPolicy: 'lrs' as DiskPolicy,
});
const LOG_OPTIONS: ReadonlySet<string> = new Set(Object.keys(logDefaults));

const MAX_MINOR = 0xffff;

/** Openings of log stores in this process, counted: each tells the writer threads whose batches they are (LogTarget.opening). */
let openings = 0;

interface Segment extends SegmentId {
  /** Number in the index's segment column. */
  readonly id: number;
  readonly name: string;
  /** Bytes reserved (the active segment) or on disk (sealed ones). */
  bytes: number;
  /** Batches posted and not yet landed. */
  pending: number;
  /** No batch will be added: full, or found at open. */
  sealed: boolean;
  /** Read descriptor, opened on first read. */
  fd: number | undefined;
  /** Append position shared with the writers (segments written by this process, until sealed). */
  cursor: BigInt64Array | undefined;
  /** Where the last batch that landed in it ends: past it, only failed batches' bytes. */
  landedEnd: number;
  /** A batch failed in it: its seal cuts what failed batches left past `landedEnd`. */
  failed: boolean;
  /** Bytes of failed batches the writer could not take back out (see log-writer.ts): zeroed again at the seal. */
  torn: ByteRange[];
  /** A seal that cuts the file, in progress: compaction waits for it. */
  cutting: Promise<void> | undefined;
}

export class LogStore extends EventEmitter implements EngineStore {
  readonly kind = 'log';
  readonly persistent = true;
  /** Non-string values arrive as one serialization per batch; the worker encodes them. */
  readonly encodesInWorker = true;
  readonly dir: string;
  readonly readOnly: boolean;
  readonly segmentSize: number;
  readonly compactRatio: number;
  readonly compactMinBytes: number;
  readonly autoCompact: boolean;
  readonly maxDiskBytes: number;
  readonly diskPolicy: DiskPolicy;
  #evictions = 0;
  /** Evictions recorded in the BUDGET file at open: the file counts on from them. */
  #evictionsBefore = 0;
  #budgetWrite: Promise<void> | undefined;
  #budgetStale = false;
  /** Evictions since the BUDGET file was last written: it is written after the compaction that frees their bytes, and at close. */
  #evictionsUnsaved = false;
  /** Value bytes of the batches posted and not landed yet ('none' counts them against the budget). */
  #pendingBytes = 0;
  #context: StoreContext | undefined;
  #opening = 0;
  #index = new LogIndex();
  #window = new RecordWindow<Segment>();
  /** The slot of the record the last `#locate` found. */
  #locatedSlot = -1;
  #segments = new Map<number, Segment>();
  #active: Segment | undefined;
  #nextId = 1;
  #nextMajor = 1;
  #lock: StoreLock | undefined;
  #inFlight = new Set<Promise<unknown>>();
  #compacting: Promise<CompactReport> | undefined;
  #compactions = 0;
  #closing = false;
  /** A batch failed with ENOSPC since the last compaction started: compact whatever is dead. */
  #diskFull = false;
  /** The compaction running is one a full disk started: new batches wait for it (see `write`). */
  #reclaiming = false;
  /** `segmentSize`, or less on a small filesystem (see #open). */
  #segmentLimit: number;

  constructor(dir: string, options: LogStoreOptions = {}) {
    if (typeof dir !== 'string' || dir === '') throw new TypeError(`dir must be a non-empty string, received ${show(dir)}`);
    if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, received ${show(options)}`);
    rejectUnknown('log store', options, LOG_OPTIONS);
    const o = { ...logDefaults, ...options };
    for (const name of ['readOnly', 'autoCompact'] as const) {
      if (typeof o[name] !== 'boolean') throw new TypeError(`${name} must be a boolean, received ${show(o[name])}`);
    }
    if (typeof o.compactRatio !== 'number' || !(o.compactRatio > 0 && o.compactRatio <= 1)) {
      throw new RangeError(`compactRatio must be a number above 0 and at most 1, received ${show(o.compactRatio)}`);
    }
    if (o.maxDiskBytes !== Number.POSITIVE_INFINITY) {
      positiveInteger('maxDiskBytes', o.maxDiskBytes);
      if (o.autoCompact === false) throw new RangeError('maxDiskBytes needs autoCompact: only compaction frees the bytes evictions leave dead');
    }
    if (!['lrs', 'lru', 'none'].includes(o.diskPolicy)) throw new TypeError(`diskPolicy must be 'lrs', 'lru' or 'none', received ${show(o.diskPolicy)}`);
    super();
    this.dir = dir;
    this.readOnly = o.readOnly;
    this.segmentSize = positiveInteger('segmentSize', o.segmentSize);
    this.compactRatio = o.compactRatio;
    this.compactMinBytes = positiveInteger('compactMinBytes', o.compactMinBytes, { allowZero: true });
    this.autoCompact = o.autoCompact;
    this.maxDiskBytes = o.maxDiskBytes;
    this.diskPolicy = o.diskPolicy;
    this.#segmentLimit = this.segmentSize;
  }

  // ---- open and close -----------------------------------------------------------------------

  async open(context: StoreContext): Promise<void> {
    this.#context = context;
    this.#opening = ++openings;
    this.#closing = false;
    this.#index.clear();
    this.#index.useResident(context.resident);
    this.#segments.clear();
    this.#active = undefined;
    if (!this.readOnly) {
      await fse.ensureDir(this.dir, { mode: context.mode.dir });
      this.#lock = StoreLock.acquire(this.dir, context.mode.file);
      this.#evictionsBefore = readDiskBudget(this.dir)?.evictions ?? 0;
      this.#segmentLimit = Math.min(await segmentLimit(this.dir, this.segmentSize), Math.max(MIN_SEGMENT, Math.floor(this.maxDiskBytes / FS_SHARE)));
    }
    try {
      // Writer threads load while the directory is read; the first batch should not wait for them.
      const warming = this.readOnly ? undefined : context.pool().warm();
      await this.#load(context);
      await warming;
      // Without a budget the file is left alone: the CLI opens stores without one.
      if (!this.readOnly && this.maxDiskBytes !== Number.POSITIVE_INFINITY) this.#saveBudget();
    } catch (error) {
      this.#closeFds();
      this.#lock?.release();
      this.#lock = undefined;
      this.#context = undefined;
      throw error;
    }
  }

  async #load(context: StoreContext): Promise<void> {
    const names = await unlessMissingAsync(() => readdir(this.dir), []);
    const found: Array<SegmentId & { name: string }> = [];
    const junk: string[] = [];
    for (const name of names) {
      const id = parseSegmentName(name);
      if (id !== undefined) found.push({ ...id, name });
      // An uncommitted compaction or hint; lock attempts in progress are another process's business.
      else if (name.endsWith(TMP_SUFFIX) && !name.startsWith(LOCK_FILE)) junk.push(name);
    }
    found.sort(compareSegments);
    // Roll a committed compaction forward: everything ordered below its output was its input.
    let newestOutput = -1;
    found.forEach((s, i) => {
      if (s.minor > 0) newestOutput = i;
    });
    const leftovers = newestOutput > 0 ? found.splice(0, newestOutput) : [];
    const live = new Set(found.map((s) => s.name.slice(0, -SEGMENT_SUFFIX.length)));
    for (const name of names) {
      if (name.endsWith(HINT_SUFFIX) && !live.has(name.slice(0, -HINT_SUFFIX.length))) junk.push(name);
    }
    if (!this.readOnly && (leftovers.length > 0 || junk.length > 0)) {
      await this.#jobOrThrow('removing leftovers', { job: 'remove', dir: this.dir, segments: leftovers.map((s) => s.name), durability: context.durability });
      await Promise.all(junk.map((name) => fse.remove(join(this.dir, name))));
    }
    const segments = found.map((s) => this.#addSegment(s, 0, true));
    const results = await Promise.all(
      segments.map((s) => this.#jobOrThrow(`opening segment ${s.name}`, { job: 'open', dir: this.dir, segment: s.name, repair: !this.readOnly, fileMode: context.mode.file })),
    );
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] as Segment;
      const result = results[i] as LogJobResult;
      segment.bytes = result.size ?? 0;
      this.#reportProblems(segment, result);
      if (result.chunk !== undefined) await this.#applyChunk(segment, result.chunk);
    }
    const last = found[found.length - 1];
    this.#nextMajor = Math.max(this.#nextMajor, last === undefined ? 1 : last.major + 1);
    if (this.readOnly) {
      // The writer may compact segments away meanwhile: descriptors opened now keep them readable.
      for (const segment of segments) segment.fd = openSync(join(this.dir, segment.name), 'r');
    } else {
      this.#maybeCompact();
    }
  }

  /** Applies one segment's index entries in order, yielding the event loop every couple of ms. */
  async #applyChunk(segment: Segment, chunk: LogIndexChunk): Promise<void> {
    const { keys, keyEnds, kinds, offsets, sizes, expiresAt } = chunk;
    let deadline = sliceClock() + SLICE_MS;
    let start = 0;
    for (let i = 0; i < keyEnds.length; i++) {
      const end = keyEnds[i] as number;
      const key = keys.slice(start, end);
      start = end;
      if (kinds[i] === RecordKind.delete) this.#index.delete(key);
      else this.#index.set(key, segment.id, offsets[i] as number, sizes[i] as number, expiresAt[i] as number);
      if ((i & 1023) === 1023 && sliceClock() > deadline) {
        await yieldToLoop();
        deadline = sliceClock() + SLICE_MS;
      }
    }
  }

  async close(): Promise<void> {
    if (this.#context === undefined) return;
    this.#closing = true;
    await this.#settled();
    if (this.#evictionsUnsaved) this.#saveBudget();
    const active = this.#active;
    if (active !== undefined) {
      this.#active = undefined;
      if (active.pending === 0) await this.#seal(active);
    }
    await this.#settled();
    // The writer threads outlive the store (core/shared-pool.ts): they close its files now (the
    // one this job reaches tells the others). Best effort: a thread that died has no files open.
    if (!this.readOnly) await this.#job({ job: 'release', dir: this.dir }).catch(() => undefined);
    this.#closeFds();
    this.#lock?.release();
    this.#lock = undefined;
    this.#context = undefined;
  }

  /** Waits until no batch, seal or compaction is running. */
  async #settled(): Promise<void> {
    while (this.#inFlight.size > 0 || this.#compacting !== undefined) {
      await Promise.allSettled([...this.#inFlight, this.#compacting]);
    }
  }

  // ---- reads ---------------------------------------------------------------------------------

  read(key: string): StoredEntry | undefined {
    const ctx = this.#ctx();
    const buf = this.#locate(key, ctx.timers);
    if (buf === undefined) return undefined;
    const slot = this.#locatedSlot;
    if (this.diskPolicy === 'lru' && this.maxDiskBytes !== Number.POSITIVE_INFINITY) this.#index.touch(slot);
    return readStoredEntry(buf, this.#window.at, key, () => this.#whereSlot(slot), ctx, this.#window.shared);
  }

  readMeta(key: string): StoredMeta | undefined {
    const ctx = this.#ctx();
    const buf = this.#locate(key, undefined);
    if (buf === undefined) return undefined;
    const decoded = decodeRecord(buf, this.#window.at, undefined, key);
    if (decoded.status !== 'ok' || decoded.record.key !== key) {
      ctx.report(new CorruptRecordError(key, this.#whereSlot(this.#locatedSlot), decoded.status === 'ok' ? 'holds another key' : decoded.status));
      return undefined;
    }
    const r = decoded.record;
    return { createdAt: r.createdAt, expiresAt: r.expiresAt, size: r.value.length };
  }

  /**
   * The buffer holding the record of `key`, from `#window.at` (its slot in `#locatedSlot`), unless
   * the key has none or, by `clock` when given, it has expired. (No object per read: this is the
   * cold-read path; the clock is asked only about a key that expires.)
   */
  #locate(key: string, clock: Timers | undefined): Buffer | undefined {
    const slot = this.#index.slot(key);
    if (slot === undefined) return undefined;
    const expiresAt = this.#index.expiresAtOf(slot);
    if (clock !== undefined && expiresAt !== 0 && expiresAt <= clock.now()) return undefined;
    const segment = this.#segments.get(this.#index.segmentOf(slot)) as Segment;
    segment.fd ??= openSync(join(this.dir, segment.name), 'r');
    this.#locatedSlot = slot;
    // A segment's bytes are immutable once it is sealed and its last batch has landed.
    return this.#window.read(segment, segment.fd, this.#index.offsetOf(slot), this.#index.sizeOf(slot), segment.sealed && segment.pending === 0);
  }

  #whereSlot(slot: number): string {
    return this.#where(this.#segments.get(this.#index.segmentOf(slot)) as Segment, this.#index.offsetOf(slot));
  }

  async findExpired(now: number): Promise<ExpiredRecord[]> {
    const expired: ExpiredRecord[] = [];
    for (const [key, slot] of this.#index.entries()) {
      const at = this.#index.expiresAtOf(slot);
      if (at !== 0 && at <= now) expired.push({ key, bytes: this.#index.sizeOf(slot) });
    }
    return expired;
  }

  *keys(): Iterable<string> {
    const now = this.#ctx().timers.now();
    for (const [key, slot] of this.#index.entries()) {
      const at = this.#index.expiresAtOf(slot);
      if (at === 0 || at > now) yield key;
    }
  }

  stats(): StoreStats & LogBudgetStats {
    let total = 0;
    let live = 0;
    for (const segment of this.#segments.values()) {
      total += segment.bytes;
      live += this.#index.liveBytes(segment.id);
    }
    const stats: StoreStats & LogBudgetStats = {
      kind: this.kind,
      keys: this.#index.size,
      segments: this.#segments.size,
      liveBytes: live,
      deadBytes: total - live,
      totalBytes: total,
      compactions: this.#compactions,
      maxDiskBytes: this.maxDiskBytes,
      evictions: this.#evictions,
    };
    return stats;
  }

  // ---- writes --------------------------------------------------------------------------------

  write(batch: BatchColumns, transfer: ArrayBuffer[], holders?: readonly SlotHolder[]): Promise<WriteResult> {
    const ctx = this.#ctx();
    if (this.readOnly) return Promise.resolve(refuseAll(batch, new StoreReadOnlyError(this.dir, 'write')));
    const compacting = this.#compacting;
    if (compacting !== undefined && (this.#reclaiming || this.#filesBytes() > this.maxDiskBytes)) {
      // The batch waits for the compaction making room. Over the budget, the files would grow
      // by everything written meanwhile. On a full disk, retried batches took each byte the
      // compaction freed before it could copy the next segment's live records there, and it
      // failed with ENOSPC, at times on every retry (log-disk-full.test.ts, "recovers by
      // compaction alone": 1 run in 3–6 failed).
      const after = (): Promise<WriteResult> => this.write(batch, transfer, holders);
      return this.#track(compacting.then(after, after));
    }
    if (this.#refuses(batch)) return Promise.resolve(refuseAll(batch, new DiskFullError(this.dir, this.maxDiskBytes)));
    const { target, segment } = this.#reserve(ctx);
    const { keys, kinds, expiresAt } = batch; // cloned to the worker, not transferred: still here when it lands
    const claimed = batch.values.length;
    this.#pendingBytes += claimed;
    const writing = ctx
      .pool()
      .run({ ...batch, op: 'write', target }, transfer)
      .then(
        (result) => {
          this.#pendingBytes -= claimed;
          this.#landed(segment, keys, kinds, expiresAt, result, holders);
          return result;
        },
        (error: unknown) => {
          this.#pendingBytes -= claimed;
          this.#landed(segment, keys, kinds, expiresAt, undefined, undefined);
          throw error;
        },
      );
    return this.#track(writing);
  }

  writeSync(batch: BatchColumns): WriteResult {
    const ctx = this.#ctx();
    if (this.readOnly) return refuseAll(batch, new StoreReadOnlyError(this.dir, 'write'));
    if (this.#refuses(batch)) return refuseAll(batch, new DiskFullError(this.dir, this.maxDiskBytes));
    const { target, segment } = this.#reserve(ctx);
    const result = writeLogBatch({ ...batch, op: 'write', target }, target);
    this.#landed(segment, batch.keys, batch.kinds, batch.expiresAt, result, undefined);
    return result;
  }

  release(holder: SlotHolder): void {
    this.#index.release(holder);
  }

  /** Reserves the batch's byte range in the active segment, starting a new segment when it is full. */
  #reserve(ctx: StoreContext): { target: LogTarget; segment: Segment } {
    let segment = this.#active;
    // Batches already posted may still take the segment past the limit by a batch or two each.
    if (segment === undefined || appended(segment) >= this.#segmentLimit) {
      if (segment !== undefined) this.#retire(segment);
      segment = this.#addSegment({ major: this.#nextMajor++, minor: 0 }, 0, false);
      segment.cursor = new BigInt64Array(new SharedArrayBuffer(8));
      this.#active = segment;
    }
    segment.pending++;
    const cursor = (segment.cursor as BigInt64Array).buffer as SharedArrayBuffer;
    return {
      segment,
      target: { kind: 'log', dir: this.dir, fileMode: ctx.mode.file, dirMode: ctx.mode.dir, durability: ctx.durability, segment: segment.name, cursor, opening: this.#opening },
    };
  }

  /**
   * A batch came back: index what it wrote (all or nothing), then seal or compact if due. With
   * the engine's entries for its keys, their slots are kept on them (see log-index.ts).
   */
  #landed(
    segment: Segment,
    keys: readonly string[],
    kinds: Uint8Array,
    expiresAt: Float64Array,
    result: WriteResult | undefined,
    holders: readonly SlotHolder[] | undefined,
  ): void {
    segment.pending--;
    segment.bytes = appended(segment);
    const offsets = result?.offsets;
    if (result?.torn !== undefined) {
      // Its partial bytes are still in the segment: nothing more is appended behind them.
      segment.torn.push(result.torn);
      if (this.#active === segment) {
        this.#active = undefined;
        this.#retire(segment);
      }
    }
    if (result === undefined || result.failures.length > 0) segment.failed = true;
    else if (offsets !== undefined) segment.landedEnd = Math.max(segment.landedEnd, offsets[keys.length] as number);
    if (result !== undefined && result.failures.length === 0 && offsets !== undefined) {
      const index = this.#index;
      for (let i = 0; i < keys.length; i++) {
        const holder = holders?.[i];
        const offset = offsets[i] as number;
        const size = (offsets[i + 1] as number) - offset;
        if (holder === undefined) {
          const key = keys[i] as string;
          if (kinds[i] === RecordKind.delete) index.delete(key);
          else index.set(key, segment.id, offset, size, expiresAt[i] as number);
        } else if (kinds[i] === RecordKind.delete) index.deleteHeld(holder);
        else index.setHeld(holder, segment.id, offset, size, expiresAt[i] as number);
      }
    }
    if (segment.sealed && segment.pending === 0 && this.#segments.has(segment.id)) void this.#seal(segment);
    if (result?.failures.some((f) => f.code === 'ENOSPC') === true) this.#onDiskFull();
    else if (this.maxDiskBytes !== Number.POSITIVE_INFINITY) this.#keepBudget();
  }

  /**
   * 'none' at its budget: a batch is refused when it would take live bytes past the eviction
   * line; one whose deletes free at least what its values take passes, so deletes make room.
   */
  #refuses(batch: BatchColumns): boolean {
    if (this.diskPolicy !== 'none' || this.maxDiskBytes === Number.POSITIVE_INFINITY) return false;
    let freed = 0;
    for (let i = 0; i < batch.keys.length; i++) {
      const slot = this.#index.slot(batch.keys[i] as string);
      if (slot !== undefined) freed += this.#index.sizeOf(slot);
    }
    const growth = batch.values.length - freed;
    return growth > 0 && this.#liveBytes() + this.#pendingBytes + growth >= this.maxDiskBytes * EVICT_ABOVE;
  }

  /** Bytes of every segment, with the ranges batches in flight claimed. */
  #filesBytes(): number {
    let total = 0;
    for (const segment of this.#segments.values()) total += appended(segment);
    return total;
  }

  #liveBytes(): number {
    let live = 0;
    for (const segment of this.#segments.values()) live += this.#index.liveBytes(segment.id);
    return live;
  }

  /**
   * Within the budget: past half of it in live bytes, evict (expired first, then by policy) down
   * to two fifths; past half of it plus a segment in files, compact whatever is dead, sealing the
   * active segment first when it holds dead bytes (as on ENOSPC).
   */
  #keepBudget(): void {
    if (this.#closing || this.readOnly) return;
    const total = this.#filesBytes();
    const live = this.#liveBytes();
    if (live > this.maxDiskBytes * EVICT_ABOVE) this.#evict(live - this.maxDiskBytes * EVICT_TO);
    if (total > this.maxDiskBytes * EVICT_ABOVE + this.#segmentLimit) this.#onDiskFull();
  }

  #evict(bytes: number): void {
    const ctx = this.#ctx();
    const now = ctx.timers.now();
    const expired: string[] = [];
    const candidates: Array<{ key: string; tick: number; size: number }> = [];
    let freed = 0;
    let expiredBytes = 0;
    for (const [key, slot] of this.#index.entries()) {
      const at = this.#index.expiresAtOf(slot);
      const size = this.#index.sizeOf(slot);
      if (at !== 0 && at <= now) {
        expired.push(key);
        expiredBytes += size;
      } else if (this.diskPolicy !== 'none') candidates.push({ key, tick: this.#index.tickOf(slot), size });
    }
    freed = expiredBytes;
    this.#drop(expired, expiredBytes, 'expired');
    if (freed >= bytes || this.diskPolicy === 'none') return;
    candidates.sort((a, b) => a.tick - b.tick);
    const chosen: string[] = [];
    let chosenBytes = 0;
    for (const c of candidates) {
      if (freed >= bytes) break;
      chosen.push(c.key);
      chosenBytes += c.size;
      freed += c.size;
    }
    this.#drop(chosen, chosenBytes, this.diskPolicy);
  }

  /** Evicts `keys`: out of the index now (their records are dead, compaction frees them), out of the engine's memory. */
  #drop(keys: string[], bytes: number, reason: EvictInfo['reason']): void {
    if (keys.length === 0) return;
    for (const key of keys) this.#index.delete(key);
    this.#ctx().invalidate(keys);
    this.#evictions += keys.length;
    this.emit('evict', { keys, bytes, reason } satisfies EvictInfo);
    // Not written now: a job in the writer pool here would hold back the compaction that makes room.
    this.#evictionsUnsaved = true;
  }

  /** Records the budget and the evictions so far in the BUDGET file, one write at a time. */
  #saveBudget(): void {
    this.#evictionsUnsaved = false;
    if (this.#budgetWrite !== undefined) {
      this.#budgetStale = true;
      return;
    }
    const record: DiskBudgetRecord = { maxDiskBytes: this.maxDiskBytes, diskPolicy: this.diskPolicy, evictions: this.#evictionsBefore + this.#evictions };
    const job: LogJob = { job: 'budget', dir: this.dir, json: JSON.stringify(record), fileMode: this.#ctx().mode.file };
    // Best effort, like hints: a failure (ENOSPC) leaves the previous count, which only inspect reads.
    this.#budgetWrite = this.#track(
      this.#job(job).then(() => {
        this.#budgetWrite = undefined;
        if (this.#budgetStale) {
          this.#budgetStale = false;
          this.#saveBudget();
        }
      }),
    );
  }

  /** The active segment is full: no new batch goes to it; it is sealed once its batches land. */
  #retire(segment: Segment): void {
    segment.sealed = true;
    if (segment.pending === 0) void this.#seal(segment);
  }

  /**
   * Writes the hint of a segment whose last batch has landed; when a batch failed in it, first
   * cuts what failed batches left past the last batch that landed, and zeroes torn ranges (see
   * log-writer.ts). No batch runs in it any more, so the cut cannot cut one; compaction waits
   * for it (#compact).
   */
  #seal(segment: Segment): Promise<void> {
    segment.sealed = true;
    const ctx = this.#ctx();
    const job: LogJob = { job: 'seal', dir: this.dir, segment: segment.name, opening: this.#opening, fileMode: ctx.mode.file };
    const cuts = segment.cursor !== undefined && segment.failed;
    if (cuts) {
      job.end = segment.landedEnd;
      if (segment.torn.length > 0) job.torn = segment.torn;
    }
    const sealing = this.#job(job).then((result) => {
      segment.bytes = appended(segment);
      segment.cursor = undefined;
      segment.cutting = undefined;
      if (result.failure !== undefined) {
        ctx.report(new StoreIoError(`writing the hint of ${segment.name}`, result.failure));
        return;
      }
      segment.torn = [];
      if (result.size !== undefined) segment.bytes = result.size;
      if (segment.bytes === 0 && this.#index.liveBytes(segment.id) === 0) this.#segments.delete(segment.id);
      this.#reportProblems(segment, result);
      this.#maybeCompact();
    });
    const tracked = this.#track(sealing);
    if (cuts) segment.cutting = tracked;
    return tracked;
  }

  // ---- compaction ----------------------------------------------------------------------------

  /**
   * Rewrites the live records of the sealed segments, one segment at a time, and removes each
   * old one as soon as its records are durable elsewhere; expired records and tombstones are
   * dropped. No step needs more free space than one segment's live bytes. Writes go on
   * meanwhile (to newer segments). Concurrent calls share one run.
   */
  compact(): Promise<CompactReport> {
    const ctx = this.#ctx();
    if (this.readOnly) return Promise.reject(new StoreReadOnlyError(this.dir, 'compact'));
    if (this.#compacting !== undefined) return this.#compacting;
    const running = this.#compact(ctx).finally(() => {
      this.#compacting = undefined;
      this.#reclaiming = false;
      if (this.#evictionsUnsaved) this.#saveBudget();
      if (this.#diskFull) this.#maybeCompact();
    });
    this.#compacting = running;
    return running;
  }

  #maybeCompact(): void {
    if (!this.autoCompact || this.#closing || this.readOnly || this.#compacting !== undefined) return;
    let total = 0;
    let dead = 0;
    for (const segment of this.#compactable()) {
      total += segment.bytes;
      dead += segment.bytes - this.#index.liveBytes(segment.id);
    }
    // On a full disk any dead byte is worth reclaiming: the thresholds only pace compaction.
    if (dead === 0 || (!this.#diskFull && (dead < this.compactMinBytes || dead < total * this.compactRatio))) return;
    this.#reclaiming = this.#diskFull;
    this.#diskFull = false; // a write failing with ENOSPC after this run starts asks for another
    const ctx = this.#ctx();
    this.compact().catch((error: unknown) => ctx.report(error instanceof StoreIoError ? error : new StoreIoError('compaction', describeFailure(error))));
  }

  /**
   * A batch failed with ENOSPC: the engine keeps it and retries it after a backoff; meanwhile
   * the space of dead records is reclaimed. The active segment is sealed first when it holds
   * dead bytes (with a large `segmentSize` on a small disk it would otherwise never be, and
   * compaction only rewrites sealed segments); its last batches landing seals it, which
   * compacts (see #seal).
   */
  #onDiskFull(): void {
    if (this.#closing || this.readOnly) return;
    this.#diskFull = true;
    const active = this.#active;
    if (active !== undefined && appended(active) > this.#index.liveBytes(active.id)) {
      this.#active = undefined;
      this.#retire(active);
    }
    this.#maybeCompact();
  }

  /** Sealed segments ordered below every segment still being written: the inputs of a compaction. */
  #compactable(): Segment[] {
    let limit = Number.POSITIVE_INFINITY;
    // A segment whose seal cuts it (#seal): nothing goes below it until that is done.
    for (const s of this.#segments.values()) if (!s.sealed || s.pending > 0 || s.cutting !== undefined) limit = Math.min(limit, s.major);
    return [...this.#segments.values()].filter((s) => s.major < limit).sort(compareSegments);
  }

  async #compact(ctx: StoreContext): Promise<CompactReport> {
    // A segment whose seal cuts it can be an input once that is done (the cut could cut what compaction appended to it).
    await Promise.allSettled([...this.#segments.values()].map((s) => s.cutting));
    const inputs = this.#compactable();
    const bytesBefore = inputs.reduce((sum, s) => sum + s.bytes, 0);
    const nothing = { segments: 0, bytesBefore, bytesAfter: bytesBefore, recordsKept: 0, expiredDropped: 0 };
    const last = inputs[inputs.length - 1];
    if (last === undefined) return nothing;
    const now = ctx.timers.now();
    if (inputs.length === 1 && this.#index.liveBytes(last.id) === last.bytes && !this.#hasExpired(last, now)) return nothing;

    // Which records are live, per input; expired ones leave the index now (they read as misses anyway).
    const live = new Map<number, { keys: string[]; offsets: number[]; sizes: number[]; expiresAt: number[] }>();
    for (const s of inputs) live.set(s.id, { keys: [], offsets: [], sizes: [], expiresAt: [] });
    let expiredDropped = 0;
    let deadline = sliceClock() + SLICE_MS;
    let i = 0;
    for (const [key, slot] of this.#index.entries()) {
      const group = live.get(this.#index.segmentOf(slot));
      if (group !== undefined) {
        const at = this.#index.expiresAtOf(slot);
        if (at !== 0 && at <= now) {
          this.#index.delete(key);
          expiredDropped++;
        } else {
          group.keys.push(key);
          group.offsets.push(this.#index.offsetOf(slot));
          group.sizes.push(this.#index.sizeOf(slot));
          group.expiresAt.push(at);
        }
      }
      if ((++i & 1023) === 0 && sliceClock() > deadline) {
        await yieldToLoop();
        deadline = sliceClock() + SLICE_MS;
      }
    }

    // One input per job, oldest first, so writes queued behind a job wait for at most one
    // segment's copy, and so a full disk needs free space for one input's live bytes only. The
    // first input that keeps live records is rewritten to a new output (its name orders right
    // above it: at open, everything below it is a leftover input), or kept as it is when it has
    // nothing dead; every later input's live records are appended to that bottom segment, and
    // each input is removed as soon as its records are durable elsewhere. So no job's output
    // outgrows its input. Inputs are removed in order: a tombstone is dropped only once every
    // older record of its key is gone from disk. A kill at any point leaves either a torn tail
    // on the bottom segment (cut at open) or an input whose live records are also in the
    // bottom one, right below it (the same records in the same order).
    let bottom: Segment | undefined;
    let appendedTo = false;
    let recordsKept = 0;
    let compacted = 0;
    for (const s of inputs) {
      const group = live.get(s.id) as { keys: string[]; offsets: number[]; sizes: number[]; expiresAt: number[] };
      if (group.keys.length > 0 && this.#index.liveBytes(s.id) === s.bytes) {
        // Nothing dead: it stays. Later inputs' live records may go below it (appended to the
        // bottom segment): none of its records is replaced or deleted by theirs.
        bottom ??= s;
        continue;
      }
      if (group.keys.length > 0) {
        const offsets = Float64Array.from(group.offsets);
        const sizes = Uint32Array.from(group.sizes);
        const transfer = [offsets.buffer, sizes.buffer];
        let target: Segment;
        let newOffsets: Float64Array;
        if (bottom === undefined) {
          if (s.minor + 1 > MAX_MINOR) throw new StoreIoError('compaction', { code: 'ERANGE', message: `segment ${s.name} was compacted ${MAX_MINOR} times without new writes` });
          const final = segmentName({ major: s.major, minor: s.minor + 1 });
          const output = final + TMP_SUFFIX;
          try {
            const copied = await this.#jobOrThrow(`compacting ${s.name}`, { job: 'compact-copy', dir: this.dir, segment: s.name, output, position: 0, offsets, sizes, fileMode: ctx.mode.file }, transfer);
            this.#reportProblems(s, copied);
            newOffsets = copied.offsets as Float64Array;
            const committed = await this.#jobOrThrow('committing a compaction', { job: 'compact-commit', dir: this.dir, output, final, size: copied.end as number, durability: ctx.durability, fileMode: ctx.mode.file });
            target = this.#addSegment({ major: s.major, minor: s.minor + 1 }, committed.size ?? (copied.end as number), true);
          } catch (error) {
            // A partial output would hold on to the very space a full disk needs.
            await this.#job({ job: 'remove', dir: this.dir, segments: [output], durability: ctx.durability });
            throw error;
          }
        } else {
          target = bottom;
          const position = bottom.bytes;
          try {
            const copied = await this.#jobOrThrow(`compacting ${s.name}`, { job: 'compact-copy', dir: this.dir, segment: s.name, output: bottom.name, position, offsets, sizes, fileMode: ctx.mode.file }, transfer);
            this.#reportProblems(s, copied);
            newOffsets = copied.offsets as Float64Array;
            await this.#jobOrThrow('committing a compaction', { job: 'compact-cut', dir: this.dir, segment: bottom.name, size: copied.end as number, durability: ctx.durability });
            bottom.bytes = copied.end as number;
            appendedTo = true;
          } catch (error) {
            await this.#job({ job: 'compact-cut', dir: this.dir, segment: bottom.name, size: position, durability: ctx.durability });
            throw error;
          }
          // Read-ahead may have kept bytes past the bottom segment's old end.
          this.#window.clear();
        }
        bottom = target;
        recordsKept += await this.#repoint(s, group, target, newOffsets);
      }
      // Reads are synchronous, so once the index no longer names the input none can be using it.
      if (s.fd !== undefined) closeSync(s.fd);
      s.fd = undefined;
      // Kept in the list until it is gone from disk: a later input's tombstones must not be dropped before.
      await this.#jobOrThrow('removing a compacted segment', { job: 'remove', dir: this.dir, segments: [s.name], durability: ctx.durability });
      this.#segments.delete(s.id);
      // Counted as soon as it freed space: on a full disk a batch already in flight may take that
      // space and make a later step of this run fail with ENOSPC.
      if (compacted++ === 0) this.#compactions++;
    }
    if (bottom !== undefined && appendedTo) {
      // The bottom segment's hint describes its old size; a new one saves the next open a scan.
      const sealed = await this.#job({ job: 'seal', dir: this.dir, segment: bottom.name, opening: this.#opening, fileMode: ctx.mode.file });
      if (sealed.failure === undefined && sealed.size !== undefined) bottom.bytes = sealed.size;
    }
    let bytesAfter = bottom !== undefined && !inputs.includes(bottom) ? bottom.bytes : 0;
    for (const s of inputs) if (this.#segments.has(s.id)) bytesAfter += s.bytes;
    return { segments: compacted, bytesBefore, bytesAfter, recordsKept, expiredDropped };
  }

  /** Points the index at the copies of `s`'s live records in `target`, unless a key was written again meanwhile. */
  async #repoint(s: Segment, group: { keys: string[]; offsets: number[]; sizes: number[]; expiresAt: number[] }, target: Segment, newOffsets: Float64Array): Promise<number> {
    let kept = 0;
    let deadline = sliceClock() + SLICE_MS;
    for (let j = 0; j < group.keys.length; j++) {
      const key = group.keys[j] as string;
      if (!this.#index.isAt(key, s.id, group.offsets[j] as number)) continue;
      const to = newOffsets[j] ?? -1;
      if (to < 0) this.#index.delete(key);
      else {
        this.#index.relocate(key, target.id, to);
        kept++;
      }
      if ((j & 1023) === 1023 && sliceClock() > deadline) {
        await yieldToLoop();
        deadline = sliceClock() + SLICE_MS;
      }
    }
    return kept;
  }

  #hasExpired(segment: Segment, now: number): boolean {
    for (const [, slot] of this.#index.entries()) {
      if (this.#index.segmentOf(slot) !== segment.id) continue;
      const at = this.#index.expiresAtOf(slot);
      if (at !== 0 && at <= now) return true;
    }
    return false;
  }

  // ---- verify and clear ----------------------------------------------------------------------

  async verify(): Promise<VerifyReport> {
    const ctx = this.#ctx();
    const segments = [...this.#segments.values()].sort(compareSegments);
    const report: VerifyReport = { segments: segments.length, records: 0, bytes: 0, problems: [] };
    const results = await Promise.all(segments.map((s) => this.#jobOrThrow(`verifying ${s.name}`, { job: 'verify', dir: this.dir, segment: s.name })));
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] as Segment;
      const result = results[i] as LogJobResult;
      report.records += result.records ?? 0;
      report.bytes += result.size ?? 0;
      // A segment still being written (or not yet sealed) may show a batch half way: that is no damage.
      const settled = segment.sealed && segment.pending === 0 && segment.cursor === undefined;
      const problems = (result.problems ?? []).filter((p) => settled || !p.reason.startsWith('torn tail'));
      for (const p of problems) report.problems.push({ segment: segment.name, offset: p.offset, reason: p.reason });
      this.#reportProblems(segment, { problems });
    }
    return report;
  }

  async clear(): Promise<void> {
    const ctx = this.#ctx();
    if (this.readOnly) throw new StoreReadOnlyError(this.dir, 'clear');
    await this.#settled();
    const names = [...this.#segments.values()].map((s) => s.name);
    this.#closeFds();
    this.#segments.clear();
    this.#index.clear();
    this.#active = undefined;
    // Segment numbers keep counting up: a writer thread may still hold a descriptor of an old name.
    if (names.length > 0) await this.#jobOrThrow('clearing the store', { job: 'remove', dir: this.dir, segments: names, durability: ctx.durability });
  }

  // ---- helpers -------------------------------------------------------------------------------

  #ctx(): StoreContext {
    if (this.#context === undefined) throw new Error('log store used before open()');
    return this.#context;
  }

  #addSegment(id: SegmentId, bytes: number, sealed: boolean): Segment {
    const segment: Segment = { id: this.#nextId++, major: id.major, minor: id.minor, name: segmentName(id), bytes, pending: 0, sealed, fd: undefined, cursor: undefined, landedEnd: 0, failed: false, torn: [], cutting: undefined };
    this.#segments.set(segment.id, segment);
    return segment;
  }

  #where(segment: Segment, offset: number): string {
    return `${join(this.dir, segment.name)}@${offset}`;
  }

  #reportProblems(segment: Segment, result: Pick<LogJobResult, 'problems'>): void {
    const ctx = this.#ctx();
    for (const p of result.problems ?? []) ctx.report(new CorruptRecordError(undefined, this.#where(segment, p.offset), p.reason));
  }

  #closeFds(): void {
    this.#window.clear();
    for (const segment of this.#segments.values()) {
      if (segment.fd !== undefined) closeSync(segment.fd);
      segment.fd = undefined;
    }
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    const untrack = (): void => {
      this.#inFlight.delete(promise);
    };
    promise.then(untrack, untrack);
    return promise;
  }

  /** Runs a maintenance job in a writer worker. The pool types every result as a write's; this one is a job's. */
  #job(job: LogJob, transfer: ArrayBuffer[] = []): Promise<LogJobResult> {
    return this.#ctx().pool().run({ op: 'log', job }, transfer) as unknown as Promise<LogJobResult>;
  }

  async #jobOrThrow(action: string, job: LogJob, transfer?: ArrayBuffer[]): Promise<LogJobResult> {
    const result = await this.#job(job, transfer);
    if (result.failure !== undefined) throw new StoreIoError(action, result.failure);
    return result;
  }
}

/**
 * Segments are at most a sixteenth of the filesystem (and at least MIN_SEGMENT): on a full disk,
 * compaction needs free space for one segment's live bytes, and the default 64 MiB is the whole
 * of a small disk.
 */
const FS_SHARE = 16;
const MIN_SEGMENT = 64 * 1024;

async function segmentLimit(dir: string, segmentSize: number): Promise<number> {
  try {
    const fs = await statfs(dir);
    return Math.min(segmentSize, Math.max(MIN_SEGMENT, Math.floor((fs.blocks * fs.bsize) / FS_SHARE)));
  } catch {
    return segmentSize; // a filesystem that will not say its size
  }
}

/** Bytes claimed in a segment being written (including batches still in flight). */
function appended(segment: Segment): number {
  return segment.cursor === undefined ? segment.bytes : Number(Atomics.load(segment.cursor, 0));
}

function refuseAll(batch: BatchColumns, error: StoreReadOnlyError | DiskFullError): WriteResult {
  return { failures: batch.keys.map((_, index) => ({ index, code: error.code, message: error.message })), bytes: 0 };
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
