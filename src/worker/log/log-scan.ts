/**
 * Reads a segment record by record, trusting nothing: every record's checksum is verified.
 * After a bad stretch the scan resynchronises on the next record magic that starts a record
 * with a valid checksum, so one damaged record costs only itself. A stretch of zeros is what a
 * crash leaves where a batch had its range reserved but was never written (batches land out
 * of order); it is skipped silently. Anything else in the middle is reported. Whatever follows
 * the last valid record is the torn tail.
 *
 * The file is read in windows, so a segment of any size scans in bounded memory.
 */
import { fstatSync } from 'node:fs';
import { HEADER_SIZE, RECORD_MAGIC, decodeRecord, type DecodeResult } from '../../shared/format/record.js';
import type { LogProblem } from '../../shared/protocol.js';
import { fsLayer, readAllAt } from '../../shared/fs/fs-layer.js';
import { emptyColumns, type RecordColumns } from '../../shared/format/log-format.js';

const WINDOW = 8 * 1024 * 1024;
const MAGIC = Buffer.alloc(4);
MAGIC.writeUInt32LE(RECORD_MAGIC, 0);

export interface SegmentScan {
  records: RecordColumns;
  /** End of the last valid record: the torn tail starts here. */
  validEnd: number;
  fileSize: number;
  problems: LogProblem[];
}

/** A movable view of a file: `at(pos, need)` makes [pos, pos + need) resident when the file has it. */
export class FileWindow {
  readonly size: number;
  #fd: number;
  #buf = Buffer.allocUnsafe(0);
  #start = 0;
  #length = 0;

  constructor(fd: number, size: number) {
    this.#fd = fd;
    this.size = size;
  }

  /** The buffer (ending at the last resident byte) and where `pos` is in it. */
  at(pos: number, need: number): { buf: Buffer; index: number } {
    if (pos < this.#start || pos + need > this.#start + this.#length) {
      const want = Math.min(Math.max(WINDOW, need), this.size - pos);
      if (this.#buf.length < want) this.#buf = Buffer.allocUnsafe(Math.max(want, Math.min(WINDOW, this.size)));
      const read = readAllAt(this.#fd, this.#buf, want, pos);
      this.#start = pos;
      this.#length = read;
    }
    return { buf: this.#buf.subarray(0, this.#length), index: pos - this.#start };
  }
}

/** Decodes the record at `pos`, widening the window when the record is larger than what is resident. */
function decodeAt(win: FileWindow, pos: number): DecodeResult {
  let { buf, index } = win.at(pos, HEADER_SIZE);
  let result = decodeRecord(buf, index);
  if (result.status === 'truncated') {
    const need = buf.length - index + result.needed;
    if (pos + need <= win.size) {
      ({ buf, index } = win.at(pos, need));
      result = decodeRecord(buf, index);
    }
  }
  return result;
}

/** The offset of the next valid record after `from`, or -1. */
function resync(win: FileWindow, from: number): number {
  let pos = from;
  while (pos + HEADER_SIZE <= win.size) {
    const { buf, index } = win.at(pos, HEADER_SIZE);
    const hit = buf.indexOf(MAGIC, index);
    if (hit === -1) {
      // The magic may straddle the window's end: continue three bytes before it.
      const next = pos + (buf.length - index) - 3;
      if (next <= pos) return -1;
      pos = next;
      continue;
    }
    const candidate = pos + (hit - index);
    const status = decodeAt(win, candidate).status;
    if (status === 'ok' || status === 'unsupported') return candidate;
    pos = candidate + 1;
  }
  return -1;
}

function isZeros(win: FileWindow, from: number, to: number): boolean {
  for (let pos = from; pos < to; ) {
    const { buf, index } = win.at(pos, Math.min(to - pos, WINDOW));
    const end = Math.min(buf.length, index + (to - pos));
    for (let i = index; i < end; i++) if (buf[i] !== 0) return false;
    pos += end - index;
    if (end === index) return true;
  }
  return true;
}

export function scanSegmentFd(fd: number, size = fstatSync(fd).size): SegmentScan {
  const win = new FileWindow(fd, size);
  const records = emptyColumns();
  const problems: LogProblem[] = [];
  let pos = 0;
  let validEnd = 0;
  while (pos < size) {
    const result = decodeAt(win, pos);
    if (result.status === 'ok' || result.status === 'unsupported') {
      const recordSize = result.status === 'ok' ? result.record.size : result.size;
      if (result.status === 'ok') {
        const r = result.record;
        records.keys.push(r.key);
        records.kinds.push(r.kind);
        records.offsets.push(pos);
        records.sizes.push(recordSize);
        records.expiresAt.push(r.expiresAt);
      }
      pos += recordSize;
      validEnd = pos;
      continue;
    }
    const next = resync(win, pos + 1);
    if (next === -1) break; // the torn tail
    if (!isZeros(win, pos, next)) {
      problems.push({ offset: pos, reason: result.status === 'corrupt' ? result.reason : `bad length, ${next - pos} bytes skipped` });
    }
    pos = next;
  }
  return { records, validEnd, fileSize: size, problems };
}

/** Scans a segment by path (read-only). */
export function scanSegmentFile(path: string): SegmentScan {
  const fd = fsLayer.openSync(path, 'r');
  try {
    return scanSegmentFd(fd);
  } finally {
    fsLayer.closeSync(fd);
  }
}
