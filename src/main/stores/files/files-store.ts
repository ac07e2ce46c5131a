/**
 * The `files` store: one file per key, named by the key's hash, sharded into 256 directories.
 * Writes go through the worker pool (atomic replace, one directory fsync per shard per batch);
 * reads happen here, synchronously, one small file each.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fse from 'fs-extra';
import { hashKey, shardedPath } from '../../../shared/key-hash.js';
import { unlessMissing } from '../../../shared/fs/unless-missing.js';
import { HEADER_SIZE, RECORD_MAGIC, RecordKind, decodeRecord } from '../../../shared/format/record.js';
import type { BatchColumns, FilesTarget, WriteResult } from '../../../shared/protocol.js';
import { writeFilesBatch } from '../../../shared/writers/files-writer.js';
import { CorruptRecordError } from '../../core/errors.js';
import type { EngineStore, ExpiredRecord, StoreContext, StoredEntry, StoredMeta, VerifyReport } from '../engine-store.js';
import { readStoredEntry, readStoredMeta } from '../record-reader.js';

export class FilesStore implements EngineStore {
  readonly kind = 'files';
  readonly persistent = true;
  readonly encodesInWorker = true;
  readonly dir: string;
  #context: StoreContext | undefined;
  #target: FilesTarget | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  async open(context: StoreContext): Promise<void> {
    this.#context = context;
    this.#target = { kind: 'files', dir: this.dir, fileMode: context.mode.file, dirMode: context.mode.dir, durability: context.durability };
    await fse.ensureDir(this.dir, { mode: context.mode.dir });
    // The writer threads load now, not while the first batch waits.
    await context.pool().warm();
  }

  async close(): Promise<void> {
    this.#context = undefined;
  }

  #ctx(): StoreContext {
    if (this.#context === undefined) throw new Error('files store used before open()');
    return this.#context;
  }

  read(key: string): StoredEntry | undefined {
    const ctx = this.#ctx();
    const { file } = shardedPath(this.dir, hashKey(key));
    const buf = readIfExists(file);
    return buf === undefined ? undefined : readStoredEntry(buf, 0, key, file, ctx);
  }

  readMeta(key: string): StoredMeta | undefined {
    const ctx = this.#ctx();
    const { file } = shardedPath(this.dir, hashKey(key));
    const buf = readIfExists(file);
    return buf === undefined ? undefined : readStoredMeta(buf, 0, key, file, ctx);
  }

  /** Reads only each file's header and key: values are neither read nor decoded. */
  async findExpired(now: number): Promise<ExpiredRecord[]> {
    const found: ExpiredRecord[] = [];
    const header = Buffer.allocUnsafe(HEADER_SIZE);
    for (const shard of safeReaddir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of safeReaddir(join(this.dir, shard))) {
        if (!name.endsWith('.rec')) continue;
        const expired = readExpiredHeader(join(this.dir, shard, name), header, now);
        if (expired !== undefined) found.push(expired);
      }
      // One shard at a time, then let the event loop run: a big store is scanned in slices.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return found;
  }

  /** Keys of records that decode and have not expired (each file is decoded anyway to find its key). */
  *keys(): Iterable<string> {
    const now = this.#ctx().timers.now();
    for (const shard of safeReaddir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of safeReaddir(join(this.dir, shard))) {
        if (!name.endsWith('.rec')) continue;
        const key = readKey(join(this.dir, shard, name), now);
        if (key !== undefined) yield key;
      }
    }
  }

  write(batch: BatchColumns, transfer: ArrayBuffer[]): Promise<WriteResult> {
    return this.#ctx().pool().run({ ...batch, op: 'write', target: this.#targetOrThrow() }, transfer);
  }

  writeSync(batch: BatchColumns): WriteResult {
    return writeFilesBatch({ ...batch, op: 'write', target: this.#targetOrThrow() });
  }

  /**
   * Reads every record file and checks its frame, checksum and that it sits at its key's hashed
   * path. Damaged files read as misses; each is listed (`segment` is its path relative to the
   * store) and reported as `ERR_CORRUPT_RECORD`. One shard at a time, yielding between shards.
   */
  async verify(): Promise<VerifyReport> {
    const ctx = this.#ctx();
    const report: VerifyReport = { segments: 0, records: 0, bytes: 0, problems: [] };
    for (const shard of safeReaddir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      report.segments++;
      for (const name of safeReaddir(join(this.dir, shard))) {
        if (!name.endsWith('.rec')) continue;
        const buf = readIfExists(join(this.dir, shard, name));
        if (buf === undefined) continue; // deleted meanwhile
        report.records++;
        report.bytes += buf.length;
        const reason = recordFileProblem(buf, shard, name);
        if (reason === undefined) continue;
        const relative = join(shard, name);
        report.problems.push({ segment: relative, offset: 0, reason });
        ctx.report(new CorruptRecordError(undefined, join(this.dir, relative), reason));
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return report;
  }

  async clear(): Promise<void> {
    for (const shard of safeReaddir(this.dir)) {
      if (/^[0-9a-f]{2}$/.test(shard)) await fse.remove(join(this.dir, shard));
    }
  }

  #targetOrThrow(): FilesTarget {
    if (this.#target === undefined) throw new Error('files store used before open()');
    return this.#target;
  }
}

function safeReaddir(dir: string): string[] {
  return unlessMissing(() => readdirSync(dir), []);
}

function readIfExists(file: string): Buffer | undefined {
  return unlessMissing(() => readFileSync(file), undefined);
}

/** The key and size of a put record expired at `now`, from its header; undefined otherwise. */
function readExpiredHeader(file: string, header: Buffer, now: number): ExpiredRecord | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    if (readSync(fd, header, 0, HEADER_SIZE, 0) < HEADER_SIZE) return undefined;
    if (header.readUInt32LE(0) !== RECORD_MAGIC || header[5] !== RecordKind.put) return undefined;
    const expiresAt = header.readDoubleLE(16);
    if (expiresAt === 0 || expiresAt > now) return undefined;
    const key = Buffer.allocUnsafe(header.readUInt32LE(24));
    if (readSync(fd, key, 0, key.length, HEADER_SIZE) < key.length) return undefined;
    return { key: key.toString('utf8'), bytes: fstatSync(fd).size };
  } catch {
    return undefined; // vanished between readdir and open: a concurrent delete
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Why a record file cannot be trusted, or undefined when it holds one whole record of the key its name hashes. */
function recordFileProblem(buf: Buffer, shard: string, name: string): string | undefined {
  const decoded = decodeRecord(buf, 0);
  if (decoded.status === 'truncated') return `truncated (${decoded.needed} bytes missing)`;
  if (decoded.status !== 'ok') return decoded.reason;
  if (decoded.record.size !== buf.length) return `${buf.length - decoded.record.size} bytes after the record`;
  if (hashKey(decoded.record.key) !== shard + name.slice(0, -'.rec'.length)) return `holds key ${JSON.stringify(decoded.record.key.slice(0, 80))}, which belongs at another path`;
  return undefined;
}

/** The key a record file holds, or undefined if the file is unreadable, damaged or expired at `now`. */
function readKey(file: string, now: number): string | undefined {
  try {
    const decoded = decodeRecord(readFileSync(file), 0);
    if (decoded.status !== 'ok') return undefined;
    const { key, expiresAt } = decoded.record;
    return expiresAt === 0 || expiresAt > now ? key : undefined;
  } catch {
    return undefined; // vanished between readdir and read: a concurrent delete
  }
}
