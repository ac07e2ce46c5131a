/**
 * Write side of the `log` store: frames a whole batch into one buffer, claims that many bytes of
 * the segment (see LogTarget), writes them with one positional write, and fsyncs once.
 * The batch lands entirely or is reported failed entirely, and a failed one takes its bytes
 * back out of the segment (see `withdraw`).
 *
 * In a worker the fsync runs on libuv's thread pool (`writeLogBatchAsync`): while one batch's
 * fsync waits on the disk, the next batch is framed and written (the pool lets a worker hold two
 * tasks). Measured: the fsync of a 1 MB batch takes 1–5 ms here, as long as framing it.
 */
import { fstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RecordKind, recordBound, sealRecord, writeRecordHead } from '../format/record.js';
import { LocatedValues } from '../format/located-values.js';
import { toFailure, type BatchColumns, type ByteRange, type LogTarget, type WriteBatch, type WriteResult } from '../protocol.js';
import { fsLayer, fsyncDir, writeAllAt } from '../fs/fs-layer.js';
import { emptyColumns, type RecordColumns } from '../format/log-format.js';
import { reusableBuffer } from '../reusable-buffer.js';

/** An open segment. Closing waits for the fsyncs in progress: a reused descriptor number would fsync another file. */
interface Descriptor {
  readonly fd: number;
  busy: number;
  forgotten: boolean;
}

/**
 * Segment descriptors this thread has open, oldest first. A segment is written for a while, then
 * never again. The thread serves every log store of the process (src/main/core/shared-pool.ts),
 * each writing its own active segment, so a few stay open; a deleted segment's is closed at the
 * next batch (its space is freed), and a closed store's at once (`forgetStore`).
 */
const MAX_OPEN = 8;
const open = new Map<string, Descriptor>();

/** A descriptor for the segment, created if missing; a new segment's directory entry is made durable first. */
function segmentFd(path: string, target: LogTarget): Descriptor {
  // A cached descriptor of a file since deleted (clear(), a compaction) would write into nothing,
  // and keeps the file's space allocated: on a full disk the space compaction freed stays taken
  // until the descriptor closes. One fstat per cached segment per batch (MAX_OPEN of them).
  for (const [other, descriptor] of open) if (fstatSync(descriptor.fd).nlink === 0) forget(other);
  const cached = open.get(path);
  if (cached !== undefined) return cached;
  const fd = openForWrite(path, target.fileMode);
  try {
    if (target.durability === 'fsync') fsyncDir(target.dir);
  } catch (error) {
    fsLayer.closeSync(fd);
    throw error;
  }
  const descriptor: Descriptor = { fd, busy: 0, forgotten: false };
  open.set(path, descriptor);
  if (open.size > MAX_OPEN) forget(open.keys().next().value as string);
  return descriptor;
}

/** Opens read-write, creating the file if missing, without truncating it or forcing appends. */
export function openForWrite(path: string, mode: number): number {
  try {
    return fsLayer.openSync(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    return fsLayer.openSync(path, 'wx+', mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return fsLayer.openSync(path, 'r+'); // another thread created it first
  }
}

/**
 * A store closed: this thread closes its descriptors of the store's segments and drops what it
 * remembers of them, so that no file of a stopped store stays open (a disk it is on can be
 * unmounted, its space freed). The thread that runs the release job passes it on to the others
 * (src/worker/log/log-jobs.ts).
 */
export function forgetStore(dir: string): void {
  const normalized = join(dir);
  for (const path of [...open.keys()]) if (dirname(path) === normalized) forget(path);
  for (const path of [...segmentLogs.keys()]) if (dirname(path) === normalized) segmentLogs.delete(path);
}

/** Segments removed from disk: this thread closes its descriptors of them so their space is freed. */
export function forgetSegments(paths: readonly string[]): void {
  for (const path of paths) {
    forget(path);
    segmentLogs.delete(path);
  }
}

function forget(path: string): void {
  const descriptor = open.get(path);
  if (descriptor === undefined) return;
  open.delete(path);
  descriptor.forgotten = true;
  closeIfIdle(descriptor);
}

function closeIfIdle(descriptor: Descriptor): void {
  if (!descriptor.forgotten || descriptor.busy > 0) return;
  try {
    fsLayer.closeSync(descriptor.fd);
  } catch {
    // nothing to do about a descriptor that will not close
  }
}

/**
 * What this thread wrote to a segment, in order, while it was the only writer of every byte so
 * far: the seal job writes the segment's hint from it instead of reading the segment back
 * (a scan of a 64 MiB segment was a fifth of this thread's time). Any gap (another thread's
 * batch, a failed one) and the seal scans as before. A log belongs to one opening of the store
 * (`LogTarget.opening`): the thread outlives stores, and a file of the same path written
 * meanwhile by someone else must never be described by an older log.
 */
interface SegmentLog {
  opening: number;
  end: number;
  columns: RecordColumns | undefined;
}
const MAX_LOGGED_SEGMENTS = 4;
const MAX_LOGGED_RECORDS = 2_000_000;
const segmentLogs = new Map<string, SegmentLog>();

function logBatch(path: string, opening: number, batch: WriteBatch, offsets: Float64Array, position: number, total: number): void {
  let log = segmentLogs.get(path);
  if (log === undefined || log.opening !== opening) {
    segmentLogs.delete(path);
    log = { opening, end: 0, columns: emptyColumns() };
    segmentLogs.set(path, log);
    if (segmentLogs.size > MAX_LOGGED_SEGMENTS) segmentLogs.delete(segmentLogs.keys().next().value as string);
  }
  const columns = log.columns;
  if (columns === undefined || position !== log.end || columns.keys.length + batch.keys.length > MAX_LOGGED_RECORDS) {
    log.columns = undefined;
    return;
  }
  for (let i = 0; i < batch.keys.length; i++) {
    columns.keys.push(batch.keys[i] as string);
    columns.kinds.push(batch.kinds[i] as number);
    columns.offsets.push(offsets[i] as number);
    columns.sizes.push((offsets[i + 1] as number) - (offsets[i] as number));
    columns.expiresAt.push(batch.expiresAt[i] as number);
  }
  log.end = position + total;
}

/** A write of this range failed: the segment's log can no longer describe it. */
function breakLog(path: string): void {
  const log = segmentLogs.get(path);
  if (log !== undefined) log.columns = undefined;
}

/**
 * The records of a whole segment of `size` bytes as this thread wrote them for that opening of
 * the store, or undefined (then scan). Consumes the log.
 */
export function takeSegmentLog(path: string, opening: number, size: number): RecordColumns | undefined {
  const log = segmentLogs.get(path);
  segmentLogs.delete(path);
  return log !== undefined && log.opening === opening && log.end === size ? log.columns : undefined;
}

/**
 * The framing buffer (src/shared/reusable-buffer.ts). Two batches may be in progress at once (one
 * awaiting its fsync), but only ever one is being framed and written: the buffer is free again
 * once `place` returns.
 */
const frameBuffer = reusableBuffer();

interface Placed {
  path: string;
  descriptor: Descriptor;
  offsets: Float64Array;
  position: number;
  total: number;
}

/**
 * Frames the batch's records, one after another, into the framing buffer: `offsets[i]` is where
 * record i starts, `offsets[n]` and `total` where the last ends. The buffer is reused by the next call.
 */
export function frameBatch(batch: BatchColumns, values: LocatedValues): { out: Buffer; offsets: Float64Array; total: number } {
  const n = batch.keys.length;
  let bound = 0;
  for (let i = 0; i < n; i++) bound += recordBound(batch.keys[i] as string, values.sizes[i] as number);
  const out = frameBuffer(bound);
  const offsets = new Float64Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = at;
    const kind = batch.kinds[i] === RecordKind.delete ? RecordKind.delete : RecordKind.put;
    const valueStart = writeRecordHead(out, at, batch.keys[i] as string, values.sizes[i] as number, {
      kind,
      codec: batch.codecs[i] as number,
      createdAt: batch.createdAt[i] as number,
      expiresAt: batch.expiresAt[i] as number,
    });
    at = sealRecord(out, at, valueStart, values.copyTo(i, out, valueStart));
  }
  offsets[n] = at;
  return { out, offsets, total: at };
}

/** Frames the batch, claims its range, writes it: everything but the fsync. A failure comes back as the batch's result. */
function place(batch: WriteBatch, values: LocatedValues, target: LogTarget): Placed | WriteResult {
  const n = batch.keys.length;
  const { out, offsets, total } = frameBatch(batch, values);
  // Framed first, placed second: the range is claimed only once its exact size is known.
  const position = Number(Atomics.add(new BigInt64Array(target.cursor), 0, BigInt(total)));
  for (let i = 0; i <= n; i++) offsets[i] = (offsets[i] as number) + position;
  const path = join(target.dir, target.segment);
  let descriptor: Descriptor | undefined;
  const progress = { written: 0 };
  try {
    descriptor = segmentFd(path, target);
    writeAllAt(descriptor.fd, out.subarray(0, total), position, progress);
  } catch (error) {
    return failed(batch, error, path, descriptor, target.cursor, position, total, progress.written);
  }
  logBatch(path, target.opening, batch, offsets, position, total);
  return { path, descriptor, offsets, position, total };
}

/** The batch's result when its write or fsync failed, once its bytes are out of the segment. */
function failed(batch: WriteBatch, error: unknown, path: string, descriptor: Descriptor | undefined, cursor: SharedArrayBuffer, position: number, total: number, written: number): WriteResult {
  const withdrawn = withdraw(descriptor?.fd, cursor, position, total, written);
  if (!withdrawn.claimReturned) breakLog(path);
  forget(path);
  const result: WriteResult = { failures: batch.keys.map((_, i) => toFailure(i, error)), bytes: 0 };
  if (withdrawn.torn !== undefined) result.torn = withdrawn.torn;
  return result;
}

/** Zeros to overwrite a failed batch with, allocated on the first failure. */
let zeros: Buffer | undefined;

/**
 * Takes a failed batch's bytes back out of the log. Left in place, a batch cut short by ENOSPC
 * becomes a damaged stretch in the middle of the segment once later batches land after it
 * (verify and every open report it), and its complete records, of writes reported failed,
 * would be read at the next open.
 *
 * Only the batch's own range may be touched: other threads' batches may be landing on either
 * side of it, so cutting the file back (ftruncate) could cut them. Instead the bytes it wrote
 * are overwritten with zeros, which scans skip silently as a range claimed but never written;
 * overwriting bytes already written needs no free space. Then, if no batch claimed a range
 * after it, the claim is given back (compare-and-swap on the cursor): the next batch writes
 * over the zeros, and the store's idea of the segment's end does not count them. What is left
 * past the last batch that landed is cut when the segment is sealed, once no batch is running
 * (src/main/stores/log/log-store.ts). When the zeros cannot be written, the range is `torn`:
 * the claim is kept (a retry of the same keys must land after it, not over part of it) and the
 * store seals the segment, so nothing more is appended behind it.
 */
export function withdraw(fd: number | undefined, cursor: SharedArrayBuffer, position: number, total: number, written: number): { claimReturned: boolean; torn?: ByteRange } {
  if (written > 0 && fd !== undefined) {
    try {
      zeros ??= Buffer.alloc(64 * 1024);
      for (let done = 0; done < written; ) {
        const n = Math.min(zeros.length, written - done);
        writeAllAt(fd, zeros.subarray(0, n), position + done);
        done += n;
      }
    } catch {
      return { claimReturned: false, torn: { offset: position, length: written } };
    }
  }
  const end = BigInt(position + total);
  const claimReturned = Atomics.compareExchange(new BigInt64Array(cursor), 0, end, BigInt(position)) === end;
  return { claimReturned };
}

/** The whole batch on this thread, fsync included (the caller's thread's last flush at exit). */
export function writeLogBatch(batch: WriteBatch, target: LogTarget): WriteResult {
  const placed = place(batch, new LocatedValues(batch), target);
  if ('failures' in placed) return placed;
  if (target.durability === 'fsync') {
    try {
      fsLayer.fsyncSync(placed.descriptor.fd);
    } catch (error) {
      return failed(batch, error, placed.path, placed.descriptor, target.cursor, placed.position, placed.total, placed.total);
    }
  }
  return { failures: [], bytes: placed.total, offsets: placed.offsets };
}

/**
 * The same, with the fsync on libuv's pool. `values`: the batch's values, located (a packed
 * batch's are cut from its packed array as they are framed).
 */
export async function writeLogBatchAsync(batch: WriteBatch, values: LocatedValues, target: LogTarget): Promise<WriteResult> {
  const placed = place(batch, values, target);
  if ('failures' in placed) return placed;
  const { descriptor, path } = placed;
  if (target.durability === 'fsync') {
    descriptor.busy++;
    try {
      await fsLayer.fsync(descriptor.fd);
    } catch (error) {
      return failed(batch, error, path, descriptor, target.cursor, placed.position, placed.total, placed.total);
    } finally {
      descriptor.busy--;
      closeIfIdle(descriptor);
    }
  }
  return { failures: [], bytes: placed.total, offsets: placed.offsets };
}
