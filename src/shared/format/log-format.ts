/**
 * The `log` store's files, in one place: segment names and their order, and the hint file.
 *
 * A directory holds segments named `MMMMMMMM-mmmm.log` (hex major, minor). Segments are
 * ordered by (major, minor); a later record of a key overrides an earlier one. Normal segments
 * have minor 0 and a new major each; a compaction of every segment up to major k writes one
 * output `k-(m+1)`, which orders after all its inputs and before every newer segment. So the
 * rename of that output is the compaction's commit: whatever orders below it is a leftover
 * input, deleted at the next open.
 *
 * A hint file (`MMMMMMMM-mmmm.hint`) lists every record of a sealed segment (key, kind,
 * offset, size, expiry) so open need not read the values. Layout, little-endian:
 *
 *   0  4  magic "LRDH"          16 4  record count n
 *   4  1  hint version (1)      20 4  UTF-8 bytes of all keys
 *   5  3  reserved (0)          24 4  CRC32 of bytes 0..23 and 28..end
 *   8  8  segment size (f64)    28 4  reserved (0)
 *   32    offsets f64[n], expiresAt f64[n], sizes u32[n], key lengths u32[n] (UTF-16 units),
 *         kinds u8[n], then the keys' UTF-8 bytes end to end
 *
 * A hint whose checksum fails or whose segment size differs from the segment's is ignored
 * and the segment scanned instead: hints only make open faster, they are never trusted over data.
 *
 * A store opened with a `maxDiskBytes` budget keeps it in `BUDGET` (JSON: `DiskBudgetRecord`),
 * with the count of its evictions, so that `larder inspect` can show them from another process.
 */
import { crc32 } from './crc32.js';
import type { LogIndexChunk } from '../protocol.js';

export const SEGMENT_SUFFIX = '.log';
export const HINT_SUFFIX = '.hint';
export const TMP_SUFFIX = '.tmp';
export const LOCK_FILE = 'LOCK';
export const BUDGET_FILE = 'BUDGET';

/** What `BUDGET` holds. */
export interface DiskBudgetRecord {
  maxDiskBytes: number;
  diskPolicy: 'lrs' | 'lru' | 'none';
  /** Keys evicted to keep within a budget, over every open of the store since it had one. */
  evictions: number;
}

const HINT_MAGIC = 0x4844524c; // "LRDH" read as little-endian uint32
const HINT_VERSION = 1;
const HINT_HEADER = 32;

export interface SegmentId {
  major: number;
  minor: number;
}

export function segmentName(id: SegmentId): string {
  return `${id.major.toString(16).padStart(8, '0')}-${id.minor.toString(16).padStart(4, '0')}${SEGMENT_SUFFIX}`;
}

export function hintName(segment: string): string {
  return segment.slice(0, -SEGMENT_SUFFIX.length) + HINT_SUFFIX;
}

const SEGMENT_RE = /^([0-9a-f]{8,})-([0-9a-f]{4,})\.log$/;

export function parseSegmentName(name: string): SegmentId | undefined {
  const m = SEGMENT_RE.exec(name);
  if (m === null) return undefined;
  return { major: Number.parseInt(m[1] as string, 16), minor: Number.parseInt(m[2] as string, 16) };
}

export function compareSegments(a: SegmentId, b: SegmentId): number {
  return a.major - b.major || a.minor - b.minor;
}

/** Columns of records as a scan or a hint yields them, before they become a chunk. */
export interface RecordColumns {
  keys: string[];
  kinds: number[];
  offsets: number[];
  sizes: number[];
  expiresAt: number[];
}

export function emptyColumns(): RecordColumns {
  return { keys: [], kinds: [], offsets: [], sizes: [], expiresAt: [] };
}

export function columnsToChunk(c: RecordColumns): LogIndexChunk {
  const n = c.keys.length;
  const keyEnds = new Uint32Array(n);
  let end = 0;
  for (let i = 0; i < n; i++) {
    end += (c.keys[i] as string).length;
    keyEnds[i] = end;
  }
  return {
    keys: c.keys.join(''),
    keyEnds,
    kinds: Uint8Array.from(c.kinds),
    offsets: Float64Array.from(c.offsets),
    sizes: Uint32Array.from(c.sizes),
    expiresAt: Float64Array.from(c.expiresAt),
  };
}

export function encodeHint(chunk: LogIndexChunk, segmentSize: number): Buffer {
  const n = chunk.keyEnds.length;
  const keyBytes = Buffer.from(chunk.keys, 'utf8');
  const lengths = new Uint32Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const end = chunk.keyEnds[i] as number;
    lengths[i] = end - prev;
    prev = end;
  }
  const total = HINT_HEADER + n * (8 + 8 + 4 + 4 + 1) + keyBytes.length;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(HINT_MAGIC, 0);
  out[4] = HINT_VERSION;
  out.writeDoubleLE(segmentSize, 8);
  out.writeUInt32LE(n, 16);
  out.writeUInt32LE(keyBytes.length, 20);
  let at = HINT_HEADER;
  for (const column of [chunk.offsets, chunk.expiresAt, chunk.sizes, lengths, chunk.kinds]) {
    const bytes = new Uint8Array(column.buffer, column.byteOffset, column.byteLength);
    out.set(bytes, at);
    at += bytes.length;
  }
  out.set(keyBytes, at);
  out.writeUInt32LE(hintCrc(out), 24);
  return out;
}

function hintCrc(buf: Buffer): number {
  return crc32(buf.subarray(HINT_HEADER - 4), crc32(buf.subarray(0, 24)));
}

/** The chunk a hint file holds, or undefined when it is damaged or describes another size of segment. */
export function decodeHint(buf: Buffer, segmentSize: number): LogIndexChunk | undefined {
  if (buf.length < HINT_HEADER || buf.readUInt32LE(0) !== HINT_MAGIC || buf[4] !== HINT_VERSION) return undefined;
  if (buf.readDoubleLE(8) !== segmentSize) return undefined;
  const n = buf.readUInt32LE(16);
  const keyByteCount = buf.readUInt32LE(20);
  if (buf.length !== HINT_HEADER + n * 25 + keyByteCount) return undefined;
  if (hintCrc(buf) !== buf.readUInt32LE(24)) return undefined;
  // Copies, not views: a typed array needs an aligned, exclusively owned buffer to be transferred.
  let at = HINT_HEADER;
  const take = (bytes: number): ArrayBuffer => {
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(at, at + bytes));
    at += bytes;
    return copy.buffer;
  };
  const offsets = new Float64Array(take(n * 8));
  const expiresAt = new Float64Array(take(n * 8));
  const sizes = new Uint32Array(take(n * 4));
  const keyEnds = new Uint32Array(take(n * 4));
  const kinds = new Uint8Array(take(n));
  const keys = buf.toString('utf8', at, at + keyByteCount);
  let end = 0;
  for (let i = 0; i < n; i++) {
    end += keyEnds[i] as number;
    keyEnds[i] = end;
  }
  if (end !== keys.length) return undefined;
  return { keys, keyEnds, kinds, offsets, sizes, expiresAt };
}
