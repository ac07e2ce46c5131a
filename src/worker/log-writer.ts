/**
 * Write side of the `log` store: frames a whole batch into one buffer, claims that many bytes of
 * the segment (see LogTarget), writes them with one positional write, and fsyncs once.
 * The batch lands entirely or is reported failed entirely (its range then reads as a damaged
 * or empty stretch, which scans skip).
 */
import { fstatSync } from 'node:fs';
import { join } from 'node:path';
import { RecordKind, recordSize, writeRecord } from '../shared/record.js';
import { toFailure, type LogTarget, type WriteBatch, type WriteResult } from '../shared/protocol.js';
import { fsLayer, fsyncDir } from './fs-layer.js';

/**
 * Segment descriptors this thread has open, oldest first. A segment is written for a while, then
 * never again; keeping few open lets the space of compacted-away segments be freed soon.
 */
const MAX_OPEN = 2;
const open = new Map<string, number>();

/** A descriptor for the segment, created if missing; a new segment's directory entry is made durable first. */
function segmentFd(path: string, target: LogTarget): number {
  const cached = open.get(path);
  // A cached descriptor of a file since deleted (clear(), a compaction) would write into nothing.
  if (cached !== undefined && fstatSync(cached).nlink > 0) return cached;
  if (cached !== undefined) forget(path);
  const fd = openForWrite(path, target.fileMode);
  try {
    if (target.durability === 'fsync') fsyncDir(target.dir);
  } catch (error) {
    fsLayer.closeSync(fd);
    throw error;
  }
  open.set(path, fd);
  if (open.size > MAX_OPEN) forget(open.keys().next().value as string);
  return fd;
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

function forget(path: string): void {
  const fd = open.get(path);
  if (fd === undefined) return;
  open.delete(path);
  try {
    fsLayer.closeSync(fd);
  } catch {
    // nothing to do about a descriptor that will not close
  }
}

export function writeAllAt(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) done += fsLayer.writeSync(fd, data, done, data.length - done, position + done);
}

export function writeLogBatch(batch: WriteBatch, target: LogTarget): WriteResult {
  const n = batch.keys.length;
  const keys = new Array<Buffer>(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const key = Buffer.from(batch.keys[i] as string, 'utf8');
    keys[i] = key;
    total += recordSize(key.length, (batch.valueOffsets[i + 1] as number) - (batch.valueOffsets[i] as number));
  }
  const out = Buffer.allocUnsafe(total);
  const position = Number(Atomics.add(new BigInt64Array(target.cursor), 0, BigInt(total)));
  const offsets = new Float64Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = position + at;
    const kind = batch.kinds[i] === RecordKind.delete ? RecordKind.delete : RecordKind.put;
    at = writeRecord(out, at, keys[i] as Buffer, batch.values.subarray(batch.valueOffsets[i], batch.valueOffsets[i + 1]), {
      kind,
      codec: batch.codecs[i] as number,
      createdAt: batch.createdAt[i] as number,
      expiresAt: batch.expiresAt[i] as number,
    });
  }
  offsets[n] = position + at;
  const path = join(target.dir, target.segment);
  try {
    const fd = segmentFd(path, target);
    writeAllAt(fd, out, position);
    if (target.durability === 'fsync') fsLayer.fsyncSync(fd);
  } catch (error) {
    forget(path);
    return { failures: batch.keys.map((_, i) => toFailure(i, error)), bytes: 0 };
  }
  return { failures: [], bytes: total, offsets };
}
