/**
 * The `log` store's maintenance jobs, each run in a writer worker so the caller's thread only
 * ever sees their results: indexing a segment at open, sealing a full one (its hint file),
 * the two steps of compaction, removing segments, and verifying one.
 */
import { existsSync, fstatSync, readFileSync, statSync } from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import { join } from 'node:path';
import { unlessMissing } from '../../shared/fs/unless-missing.js';
import { decodeRecord } from '../../shared/format/record.js';
import { toFailure, type ByteRange, type LogIndexChunk, type LogJob, type LogJobResult, type LogProblem, type LogTask } from '../../shared/protocol.js';
import { writeFileAtomicSync } from '../../shared/fs/atomic-write.js';
import { fsLayer, fsyncDir, writeAllAt } from '../../shared/fs/fs-layer.js';
import { BUDGET_FILE, columnsToChunk, decodeHint, encodeHint, hintName } from '../../shared/format/log-format.js';
import { FileWindow, scanSegmentFd, scanSegmentFile } from './log-scan.js';
import { forgetSegments, forgetStore, openForWrite, takeSegmentLog } from '../../shared/writers/log-writer.js';

const COPY_BUFFER = 4 * 1024 * 1024;

/**
 * A store's release job reaches one writer thread; that thread passes it on to the others here,
 * so that every thread closes the store's files at once (no thread would otherwise, until it
 * wrote again).
 */
const otherThreads = new BroadcastChannel('larder:log-store-released');
otherThreads.onmessage = (event: MessageEvent) => forgetStore(event.data as string);
otherThreads.unref();

/** Runs one job; an OS failure comes back as data (`failure`), never as a throw. */
export function runLogTask(task: LogTask): LogJobResult {
  try {
    return runJob(task.job);
  } catch (error) {
    return { failure: toFailure(-1, error) };
  }
}

function runJob(job: LogJob): LogJobResult {
  switch (job.job) {
    case 'open':
      return openSegment(job.dir, job.segment, job.repair, job.fileMode);
    case 'seal': {
      // Every batch of a segment may have failed before its file was even created.
      const path = join(job.dir, job.segment);
      if (!existsSync(path)) return { size: 0, problems: [] };
      if (job.end !== undefined) clearFailed(path, job.end, job.torn ?? []);
      const size = statSync(path).size;
      const written = takeSegmentLog(path, job.opening, size);
      if (written !== undefined) {
        tryWriteHint(job.dir, job.segment, columnsToChunk(written), size, job.fileMode);
        return { problems: [], size };
      }
      const scan = scanSegmentFile(path);
      tryWriteHint(job.dir, job.segment, columnsToChunk(scan.records), scan.fileSize, job.fileMode);
      return { problems: scan.problems, size: scan.fileSize };
    }
    case 'compact-copy':
      return copyLive(job.dir, job.segment, job.output, job.position, job.offsets, job.sizes, job.fileMode);
    case 'compact-commit':
      return commit(job.dir, job.output, job.final, job.size, job.durability === 'fsync', job.fileMode);
    case 'compact-cut': {
      const fd = fsLayer.openSync(join(job.dir, job.segment), 'r+');
      try {
        fsLayer.ftruncateSync(fd, job.size);
        if (job.durability === 'fsync') fsLayer.fsyncSync(fd);
      } finally {
        fsLayer.closeSync(fd);
      }
      return { size: job.size };
    }
    case 'remove':
      forgetSegments(job.segments.map((segment) => join(job.dir, segment)));
      for (const segment of job.segments) {
        unlinkIfPresent(join(job.dir, segment));
        unlinkIfPresent(join(job.dir, hintName(segment)));
      }
      if (job.durability === 'fsync') fsyncDir(job.dir);
      return {};
    case 'release':
      forgetStore(job.dir);
      otherThreads.postMessage(job.dir);
      return {};
    case 'budget':
      writeFileAtomicSync(join(job.dir, BUDGET_FILE), [Buffer.from(job.json)], { mode: job.fileMode, fsync: false });
      return {};
    case 'verify': {
      if (!existsSync(join(job.dir, job.segment))) return { problems: [], records: 0, size: 0 };
      const scan = scanSegmentFile(join(job.dir, job.segment));
      const problems = scan.problems;
      if (scan.validEnd < scan.fileSize) problems.push({ offset: scan.validEnd, reason: `torn tail of ${scan.fileSize - scan.validEnd} bytes` });
      return { problems, records: scan.records.keys.length, size: scan.fileSize };
    }
  }
}

/**
 * Sealing, no batch running: what failed batches left behind goes. Past `end` (where the last
 * batch that landed ends) every byte is a failed batch's, so the file is cut there; a torn
 * range below it is zeroed again. Best effort: what stays is a torn tail (cut at the next open)
 * or a damaged stretch (reported, and gone at the segment's compaction).
 */
function clearFailed(path: string, end: number, torn: readonly ByteRange[]): void {
  let fd: number | undefined;
  try {
    fd = fsLayer.openSync(path, 'r+');
    if (fstatSync(fd).size > end) fsLayer.ftruncateSync(fd, end);
    for (const range of torn) {
      const length = Math.min(range.length, end - range.offset);
      if (length > 0) writeAllAt(fd, Buffer.alloc(length), range.offset);
    }
  } catch {
    // the seal still writes the hint of what is there
  } finally {
    if (fd !== undefined) fsLayer.closeSync(fd);
  }
}

function openSegment(dir: string, segment: string, repair: boolean, fileMode: number): LogJobResult {
  const path = join(dir, segment);
  const fd = fsLayer.openSync(path, repair ? 'r+' : 'r');
  try {
    const size = fstatSync(fd).size;
    const hint = unlessMissing(() => readFileSync(join(dir, hintName(segment))), undefined);
    const fromHint = hint === undefined ? undefined : decodeHint(hint, size);
    if (fromHint !== undefined) return { chunk: fromHint, size, problems: [] };
    const scan = scanSegmentFd(fd, size);
    const cut = size - scan.validEnd;
    const chunk = columnsToChunk(scan.records);
    if (!repair) return { chunk, size, problems: scan.problems };
    if (cut > 0) {
      // Nothing after the last valid record was ever confirmed: a batch is confirmed only
      // once all of it is written and fsynced, and then its last record is valid.
      fsLayer.ftruncateSync(fd, scan.validEnd);
      fsLayer.fsyncSync(fd);
    }
    tryWriteHint(dir, segment, chunk, scan.validEnd, fileMode);
    return { chunk, size: scan.validEnd, problems: scan.problems };
  } finally {
    fsLayer.closeSync(fd);
  }
}

/**
 * Hints are an optimisation guarded by their own checksum: no fsync, a lost or torn one means a
 * scan. So failing to write one (ENOSPC on a full disk) must fail neither an open, nor a seal,
 * nor the commit of a compaction that is freeing space.
 */
function tryWriteHint(dir: string, segment: string, chunk: LogIndexChunk, segmentSize: number, fileMode: number): void {
  try {
    writeFileAtomicSync(join(dir, hintName(segment)), [encodeHint(chunk, segmentSize)], { mode: fileMode, fsync: false });
  } catch {
    // the next open scans the segment instead
  }
}

function copyLive(dir: string, segment: string, output: string, position: number, offsets: Float64Array, sizes: Uint32Array, fileMode: number): LogJobResult {
  const n = offsets.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (offsets[a] as number) - (offsets[b] as number));
  const newOffsets = new Float64Array(n).fill(-1);
  const problems: LogProblem[] = [];
  const src = fsLayer.openSync(join(dir, segment), 'r');
  let out: number | undefined;
  try {
    out = openForWrite(join(dir, output), fileMode);
    // The first copy starts the output afresh: an earlier, failed attempt may have left one.
    if (position === 0) fsLayer.ftruncateSync(out, 0);
    const win = new FileWindow(src, fstatSync(src).size);
    let pending = Buffer.allocUnsafe(COPY_BUFFER);
    let used = 0;
    let end = position;
    for (const i of order) {
      const offset = offsets[i] as number;
      const size = sizes[i] as number;
      const { buf, index } = win.at(offset, size);
      const decoded = decodeRecord(buf, index);
      if (decoded.status !== 'ok' || decoded.record.size !== size) {
        problems.push({ offset, reason: decoded.status === 'ok' ? 'record size differs from the index' : decoded.status === 'truncated' ? 'truncated' : decoded.reason });
        continue;
      }
      if (used + size > pending.length) {
        writeAllAt(out, pending.subarray(0, used), end);
        end += used;
        used = 0;
        if (size > pending.length) pending = Buffer.allocUnsafe(size);
      }
      buf.copy(pending, used, index, index + size);
      newOffsets[i] = end + used;
      used += size;
    }
    writeAllAt(out, pending.subarray(0, used), end);
    end += used;
    return { offsets: newOffsets, end, problems };
  } finally {
    fsLayer.closeSync(src);
    if (out !== undefined) fsLayer.closeSync(out);
  }
}

function commit(dir: string, output: string, final: string, size: number, fsync: boolean, fileMode: number): LogJobResult {
  const from = join(dir, output);
  // Created here when nothing was live; cut to size in case an earlier, failed attempt left more.
  const fd = openForWrite(from, fileMode);
  try {
    fsLayer.ftruncateSync(fd, size);
    if (fsync) fsLayer.fsyncSync(fd);
    const scan = scanSegmentFd(fd);
    tryWriteHint(dir, final, columnsToChunk(scan.records), scan.fileSize, fileMode);
    fsLayer.renameSync(from, join(dir, final));
    if (fsync) fsyncDir(dir);
    return { size: scan.fileSize, problems: scan.problems };
  } finally {
    fsLayer.closeSync(fd);
  }
}

function unlinkIfPresent(path: string): void {
  unlessMissing(() => fsLayer.unlinkSync(path), undefined);
}
