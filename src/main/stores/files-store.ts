/**
 * The `files` store: one file per key, named by the key's hash, sharded into 256 directories.
 * Writes go through the worker pool (atomic replace, one directory fsync per shard per batch);
 * reads happen here, synchronously, one small file each.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fse from 'fs-extra';
import { hashKey, shardedPath } from '../../shared/key-hash.js';
import { decodeRecord } from '../../shared/record.js';
import type { BatchColumns, FilesTarget, WriteResult } from '../../shared/protocol.js';
import { writeFilesBatch } from '../../worker/files-writer.js';
import type { EngineStore, StoreContext, StoredEntry } from './engine-store.js';
import { readStoredEntry } from './record-reader.js';

export class FilesStore implements EngineStore {
  readonly kind = 'files';
  readonly persistent = true;
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
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return readStoredEntry(buf, 0, key, file, { codec: ctx.codec, now: ctx.timers.now(), report: ctx.report });
  }

  *keys(): Iterable<string> {
    for (const shard of safeReaddir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of safeReaddir(join(this.dir, shard))) {
        if (!name.endsWith('.rec')) continue;
        const key = readKey(join(this.dir, shard, name));
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
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The key a record file holds, or undefined if the file is unreadable or damaged. */
function readKey(file: string): string | undefined {
  try {
    const decoded = decodeRecord(readFileSync(file), 0);
    return decoded.status === 'ok' ? decoded.record.key : undefined;
  } catch {
    return undefined; // vanished between readdir and read: a concurrent delete
  }
}
