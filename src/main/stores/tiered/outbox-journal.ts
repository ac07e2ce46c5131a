/**
 * The tiered store's durable outbox: which keys were written locally and may not have reached
 * the remote tier yet. The values themselves are in the local log; this file only names keys.
 *
 * Files `outbox/<first seq, 16 digits>.journal` in the local store's directory (under its lock),
 * each a run of frames:
 *
 *   offset size field
 *   0      4    body length (uint32 LE)
 *   4      4    CRC32 of the body
 *   8      1    type: 1 = keys written (one local batch), 2 = mark (replicated up to seq)
 *   9      1    format version (1)
 *   10     2    reserved (0)
 *   12     8    seq (float64 LE): the batch's number; for a mark, every batch up to it is replicated
 *   20     8    at (float64 LE): ms since epoch when the batch was written
 *   28     4    keys in the frame (uint32 LE; 0 for a mark)
 *   32     …    per key: kind (1 = put, 2 = delete), key length (uint32 LE), key bytes
 *
 * A frame is written (and fsynced, by durability) in parallel with its batch's local write, and
 * the batch is confirmed to the engine only when both are durable, so every write a local
 * `sync()` confirmed is named here. A frame whose local write then failed or never happened
 * names keys with nothing new locally: replaying it sends the key's current local value again,
 * which changes nothing. Marks need no fsync: a lost one only makes a restart replay batches
 * Redis already has. Frames are appended by one writer at a time, several per write+fsync
 * (group commit). A torn tail (crash mid-append) is cut at open.
 */
import { closeSync, fdatasyncSync, fsyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from '../../../shared/format/crc32.js';
import { RecordKind } from '../../../shared/format/record.js';
import type { Durability } from '../../../shared/protocol.js';

export const OUTBOX_DIR = 'outbox';
const SUFFIX = '.journal';
const HEADER = 8;
const BODY_FIXED = 24;
const VERSION = 1;
const TYPE_KEYS = 1;
const TYPE_MARK = 2;
/** A file is closed for appends (a new one started) once it holds this many bytes. */
const ROLL_BYTES = 4 * 1024 * 1024;

/** One local batch's keys, as the journal holds them. */
export interface OutboxFrame {
  seq: number;
  at: number;
  keys: string[];
  /** RecordKind per key. */
  kinds: Uint8Array;
}

/** What the journal held at open: the batches not replicated yet, oldest first. */
export interface OutboxBacklog {
  /** Every batch up to this one is replicated. */
  mark: number;
  /** The highest seq written (a batch or a mark): new batches are numbered above it. */
  lastSeq: number;
  frames: OutboxFrame[];
  bytes: number;
  /** Damaged stretches found (cut when they were a file's tail). */
  problems: string[];
}

interface JournalFile {
  name: string;
  first: number;
  /** Highest batch seq in the file (0: none). */
  last: number;
  bytes: number;
}

/** Frames a local batch's keys. */
export function encodeKeysFrame(seq: number, at: number, keys: readonly string[], kinds: Uint8Array): Buffer {
  const joined = keys.join('');
  if (Buffer.byteLength(joined, 'utf8') === joined.length) return encodeAsciiKeys(seq, at, keys, kinds, joined.length);
  let size = HEADER + BODY_FIXED;
  for (const key of keys) size += 5 + Buffer.byteLength(key);
  const buf = Buffer.allocUnsafe(size);
  let o = writeFixed(buf, TYPE_KEYS, seq, at, keys.length);
  for (let i = 0; i < keys.length; i++) {
    buf[o] = kinds[i] === RecordKind.delete ? RecordKind.delete : RecordKind.put;
    const n = buf.write(keys[i] as string, o + 5, 'utf8');
    buf.writeUInt32LE(n, o + 1);
    o += 5 + n;
  }
  return seal(buf, o);
}

/**
 * The same frame when every key is ASCII (one byte per character): the body's key part built as
 * one latin1 string and written with one call, not two per key (a third of the time for short keys).
 */
function encodeAsciiKeys(seq: number, at: number, keys: readonly string[], kinds: Uint8Array, keyBytes: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + BODY_FIXED + 5 * keys.length + keyBytes);
  const o = writeFixed(buf, TYPE_KEYS, seq, at, keys.length);
  let body = '';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const n = key.length;
    body += String.fromCharCode(kinds[i] === RecordKind.delete ? RecordKind.delete : RecordKind.put, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24) + key;
  }
  return seal(buf, o + buf.write(body, o, 'latin1'));
}

function encodeMark(seq: number, at: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + BODY_FIXED);
  return seal(buf, writeFixed(buf, TYPE_MARK, seq, at, 0));
}

function writeFixed(buf: Buffer, type: number, seq: number, at: number, count: number): number {
  buf[HEADER] = type;
  buf[HEADER + 1] = VERSION;
  buf.writeUInt16LE(0, HEADER + 2);
  buf.writeDoubleLE(seq, HEADER + 4);
  buf.writeDoubleLE(at, HEADER + 12);
  buf.writeUInt32LE(count, HEADER + 20);
  return HEADER + BODY_FIXED;
}

function seal(buf: Buffer, end: number): Buffer {
  buf.writeUInt32LE(end - HEADER, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER, end)), 4);
  return end === buf.length ? buf : buf.subarray(0, end);
}

type Parsed = { frame: OutboxFrame | undefined; mark: number | undefined; next: number } | { bad: string };

function parseFrame(buf: Buffer, at: number): Parsed {
  if (buf.length - at < HEADER + BODY_FIXED) return { bad: 'torn frame header' };
  const length = buf.readUInt32LE(at);
  if (length < BODY_FIXED || at + HEADER + length > buf.length) return { bad: 'torn frame' };
  const body = buf.subarray(at + HEADER, at + HEADER + length);
  if (crc32(body) !== buf.readUInt32LE(at + 4)) return { bad: 'checksum mismatch' };
  if (body[1] !== VERSION) return { bad: `unknown frame version ${body[1]}` };
  const type = body[0];
  const seq = body.readDoubleLE(4);
  const time = body.readDoubleLE(12);
  const count = body.readUInt32LE(20);
  const next = at + HEADER + length;
  if (type === TYPE_MARK) return { frame: undefined, mark: seq, next };
  if (type !== TYPE_KEYS) return { bad: `unknown frame type ${type}` };
  const keys: string[] = new Array(count);
  const kinds = new Uint8Array(count);
  let o = BODY_FIXED;
  for (let i = 0; i < count; i++) {
    if (o + 5 > body.length) return { bad: 'frame shorter than its keys' };
    kinds[i] = body[o] as number;
    const n = body.readUInt32LE(o + 1);
    if (o + 5 + n > body.length) return { bad: 'frame shorter than its keys' };
    keys[i] = body.toString('utf8', o + 5, o + 5 + n);
    o += 5 + n;
  }
  return { frame: { seq, at: time, keys, kinds }, mark: undefined, next };
}

function fileName(first: number): string {
  return `${String(first).padStart(16, '0')}${SUFFIX}`;
}

function journalNames(names: string[]): string[] {
  return names.filter((n) => /^\d{16}\.journal$/.test(n)).sort();
}

/** Reads every frame of one file's bytes; `end` is where the good frames stop. */
function scan(buf: Buffer, into: { mark: number; lastSeq: number; frames: OutboxFrame[] }): { end: number; problem: string | undefined } {
  let at = 0;
  while (at < buf.length) {
    const parsed = parseFrame(buf, at);
    if ('bad' in parsed) return { end: at, problem: parsed.bad };
    if (parsed.mark !== undefined) {
      into.mark = Math.max(into.mark, parsed.mark);
      into.lastSeq = Math.max(into.lastSeq, parsed.mark);
    }
    if (parsed.frame !== undefined) {
      into.lastSeq = Math.max(into.lastSeq, parsed.frame.seq);
      into.frames.push(parsed.frame);
    }
    at = parsed.next;
  }
  return { end: at, problem: undefined };
}

/**
 * The backlog an outbox directory holds, read without opening it for writing (`larder inspect`).
 * Undefined when there is no outbox.
 */
export function readOutboxSync(storeDir: string): OutboxBacklog | undefined {
  const dir = join(storeDir, OUTBOX_DIR);
  let names: string[];
  try {
    names = journalNames(readdirSync(dir));
  } catch {
    return undefined;
  }
  const state = { mark: 0, lastSeq: 0, frames: [] as OutboxFrame[] };
  const problems: string[] = [];
  let bytes = 0;
  for (const name of names) {
    const buf = readFileSync(join(dir, name));
    bytes += buf.length;
    const { problem, end } = scan(buf, state);
    if (problem !== undefined) problems.push(`${name}@${end}: ${problem}`);
  }
  return { mark: state.mark, lastSeq: state.lastSeq, frames: state.frames.filter((f) => f.seq > state.mark), bytes, problems };
}

export class OutboxJournal {
  readonly dir: string;
  readonly #durability: Durability;
  readonly #fileMode: number;
  #files: JournalFile[] = [];
  #handle: FileHandle | undefined;
  #queue: Array<{ frame: Buffer; seq: number; resolve: () => void; reject: (error: unknown) => void }> = [];
  #writing: Promise<void> | undefined;
  /** The mark to write with the next commit (undefined: nothing new). */
  #pendingMark: { seq: number; at: number } | undefined;
  #closed = false;

  constructor(storeDir: string, durability: Durability, fileMode: number) {
    this.dir = join(storeDir, OUTBOX_DIR);
    this.#durability = durability;
    this.#fileMode = fileMode;
  }

  /** Bytes of every journal file. */
  get bytes(): number {
    let total = 0;
    for (const f of this.#files) total += f.bytes;
    return total;
  }

  /** Reads what is there (cutting a torn tail) and opens the newest file for appends. */
  async open(dirMode: number): Promise<OutboxBacklog> {
    await mkdir(this.dir, { recursive: true, mode: dirMode });
    const names = journalNames(await readdir(this.dir));
    const state = { mark: 0, lastSeq: 0, frames: [] as OutboxFrame[] };
    const problems: string[] = [];
    this.#files = [];
    for (const name of names) {
      const buf = await readFile(join(this.dir, name));
      const before = state.frames.length;
      const { end, problem } = scan(buf, state);
      if (problem !== undefined) {
        problems.push(`${name}@${end}: ${problem}`);
        // Anything after a bad frame cannot be trusted; appends go on from the good end.
        if (end < buf.length) await truncate(join(this.dir, name), end);
      }
      let last = 0;
      for (let i = before; i < state.frames.length; i++) last = Math.max(last, (state.frames[i] as OutboxFrame).seq);
      this.#files.push({ name, first: Number(name.slice(0, 16)), last, bytes: end });
    }
    const backlog = { mark: state.mark, lastSeq: state.lastSeq, frames: state.frames.filter((f) => f.seq > state.mark), bytes: this.bytes, problems };
    if (this.#files.length === 0) await this.#roll(state.lastSeq + 1, state.mark);
    else {
      const current = this.#files[this.#files.length - 1] as JournalFile;
      this.#handle = await open(join(this.dir, current.name), 'a', this.#fileMode);
    }
    this.#closed = false;
    return backlog;
  }

  /** Appends a batch's frame; resolves once it is durable (per durability). */
  append(seq: number, frame: Buffer): Promise<void> {
    if (this.#closed) return Promise.reject(Object.assign(new Error('outbox journal is closed'), { code: 'ECLOSED' }));
    return new Promise((resolve, reject) => {
      this.#queue.push({ frame, seq, resolve, reject });
      this.#kick();
    });
  }

  /** Appends synchronously on this thread (the exit hook's last flush). */
  appendSync(seq: number, frame: Buffer): void {
    const handle = this.#handle;
    if (handle === undefined) throw Object.assign(new Error('outbox journal is closed'), { code: 'ECLOSED' });
    writeSync(handle.fd, frame);
    if (this.#durability === 'fsync') fdatasyncSync(handle.fd);
    const current = this.#files[this.#files.length - 1] as JournalFile;
    current.bytes += frame.length;
    current.last = Math.max(current.last, seq);
  }

  /**
   * Every batch up to `seq` is replicated: written with the next commit (no fsync of its own),
   * and journal files holding only such batches are removed.
   */
  mark(seq: number, at: number): void {
    if (this.#closed) return;
    this.#pendingMark = { seq, at };
    this.#kick();
  }

  /** Removes every file and starts again above `seq` (the store was cleared). */
  async reset(seq: number): Promise<void> {
    await this.#idle();
    await this.#handle?.close();
    this.#handle = undefined;
    for (const f of this.#files) await unlink(join(this.dir, f.name)).catch(() => {});
    this.#files = [];
    this.#pendingMark = undefined;
    await this.#roll(seq + 1, seq);
  }

  async close(): Promise<void> {
    await this.#idle();
    this.#closed = true;
    await this.#handle?.close();
    this.#handle = undefined;
  }

  async #idle(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  #kick(): void {
    if (this.#writing !== undefined) return;
    this.#writing = this.#commit().finally(() => {
      this.#writing = undefined;
      if (this.#queue.length > 0 || this.#pendingMark !== undefined) this.#kick();
    });
  }

  /** One group commit: every queued frame (and the latest mark) in one write, one fsync. */
  async #commit(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    const mark = this.#pendingMark;
    this.#pendingMark = undefined;
    try {
      let current = this.#files[this.#files.length - 1] as JournalFile;
      if (current.bytes >= ROLL_BYTES && batch.length > 0) {
        current = await this.#roll(batch[0]?.seq as number, mark?.seq);
      }
      const parts = batch.map((b) => b.frame);
      if (mark !== undefined) parts.unshift(encodeMark(mark.seq, mark.at));
      const data = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      const handle = this.#handle as FileHandle;
      await handle.write(data);
      current.bytes += data.length;
      for (const b of batch) current.last = Math.max(current.last, b.seq);
      if (batch.length > 0 && this.#durability === 'fsync') await handle.datasync();
      for (const b of batch) b.resolve();
      if (mark !== undefined) await this.#dropReplicated(mark.seq);
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }

  /** Starts a new file whose batches begin at `first`, opening it with the current mark. */
  async #roll(first: number, mark: number | undefined): Promise<JournalFile> {
    await this.#handle?.close();
    const name = fileName(first);
    this.#handle = await open(join(this.dir, name), 'a', this.#fileMode);
    const file: JournalFile = { name, first, last: 0, bytes: 0 };
    if (mark !== undefined) {
      const frame = encodeMark(mark, 0);
      await this.#handle.write(frame);
      file.bytes += frame.length;
    }
    this.#files.push(file);
    if (this.#durability === 'fsync') {
      // The new file's name must survive a crash as surely as the frames written to it.
      const fd = openSync(this.dir, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    return file;
  }

  /** Removes the files (never the current one) whose batches are all replicated. */
  async #dropReplicated(mark: number): Promise<void> {
    while (this.#files.length > 1 && (this.#files[0] as JournalFile).last <= mark) {
      const f = this.#files.shift() as JournalFile;
      await unlink(join(this.dir, f.name)).catch(() => {});
    }
  }
}
