/**
 * Finds out what a directory holds before anything opens it, so a typo'd path or somebody
 * else's directory is a clear error instead of a new, empty store: `log` segments
 * (`MMMMMMMM-mmmm.log`, hints, `LOCK`) or the two-hex-digit shard directories of `files`.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { Cacher } from '../engine/cacher.js';
import type { LarderError } from '../core/errors.js';
import { FilesStore } from '../stores/files/files-store.js';
import { LogStore } from '../stores/log/log-store.js';
import { RECORD_MAGIC } from '../../shared/format/record.js';
import { HINT_SUFFIX, LOCK_FILE, compareSegments, parseSegmentName } from '../../shared/format/log-format.js';
import { StoreDirError } from './cli-errors.js';

export type DiskStoreKind = 'log' | 'files';

const SHARD = /^[0-9a-f]{2}$/;

function listDir(dir: string): Dirent[] {
  let stat;
  try {
    stat = statSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreDirError('ERR_STORE_MISSING', dir, `no such directory: ${dir}`);
    throw error;
  }
  if (!stat.isDirectory()) throw new StoreDirError('ERR_STORE_FOREIGN', dir, `${dir} is a file, not a larder store directory`);
  return readdirSync(dir, { withFileTypes: true });
}

/** The kind of larder store in `dir`; throws `StoreDirError` for a missing, empty or foreign directory. */
export function detectStore(dir: string): DiskStoreKind {
  const entries = listDir(dir);
  const log = entries.some((e) => e.isFile() && (parseSegmentName(e.name) !== undefined || e.name === LOCK_FILE || e.name.endsWith(HINT_SUFFIX)));
  const files = entries.some((e) => e.isDirectory() && SHARD.test(e.name));
  if (log && !files) return 'log';
  if (files && !log) return 'files';
  if (log && files) throw new StoreDirError('ERR_STORE_FOREIGN', dir, `${dir} holds both log segments and files-store shards; not one larder store`);
  if (entries.length === 0) throw new StoreDirError('ERR_STORE_FOREIGN', dir, `${dir} is empty: no larder store here`);
  const sample = entries.slice(0, 3).map((e) => e.name).join(', ');
  throw new StoreDirError('ERR_STORE_FOREIGN', dir, `${dir} is not a larder store (holds ${sample}${entries.length > 3 ? ', …' : ''})`);
}

/**
 * `read`: opened without the lock (a `log` store may be in use by a service; it is seen as it
 * was at open and nothing is repaired). `write`: takes the lock (`ERR_STORE_LOCKED` if a live
 * process holds it) and repairs a torn tail while opening.
 */
export type Access = 'read' | 'write';

export interface OpenedStore {
  cache: Cacher;
  kind: DiskStoreKind;
  /** Problems the store reported while it was open (damaged records read as misses). */
  problems: LarderError[];
}

export async function openStore(dir: string, access: Access): Promise<OpenedStore> {
  const kind = detectStore(dir);
  const store = kind === 'log' ? new LogStore(dir, { readOnly: access === 'read' }) : new FilesStore(dir);
  // One writer thread: the CLI's jobs are one store's maintenance, not a write workload.
  const cache = new Cacher({ store, threads: 1 });
  const problems: LarderError[] = [];
  cache.on('error', (error: LarderError) => problems.push(error));
  await cache.start();
  return { cache, kind, problems };
}

/** The record format version of the first record on disk, or undefined for a store with no records. */
export function formatVersionOnDisk(dir: string, kind: DiskStoreKind): number | undefined {
  const first = kind === 'log' ? firstSegment(dir) : firstRecordFile(dir);
  if (first === undefined) return undefined;
  const head = Buffer.alloc(5);
  const fd = openSync(first, 'r');
  try {
    if (readSync(fd, head, 0, 5, 0) < 5 || head.readUInt32LE(0) !== RECORD_MAGIC) return undefined;
  } finally {
    closeSync(fd);
  }
  return head[4];
}

function firstSegment(dir: string): string | undefined {
  const segments = readdirSync(dir)
    .map((name) => ({ name, id: parseSegmentName(name) }))
    .filter((s): s is { name: string; id: NonNullable<typeof s.id> } => s.id !== undefined)
    .sort((a, b) => compareSegments(a.id, b.id));
  for (const s of segments) if (statSync(join(dir, s.name)).size > 0) return join(dir, s.name);
  return undefined;
}

function shards(dir: string): string[] {
  return readdirSync(dir).filter((n) => SHARD.test(n)).sort();
}

/** Shard directories of a `files` store. */
export function shardCount(dir: string): number {
  return shards(dir).length;
}

function firstRecordFile(dir: string): string | undefined {
  for (const shard of shards(dir)) {
    const name = readdirSync(join(dir, shard)).find((n) => n.endsWith('.rec'));
    if (name !== undefined) return join(dir, shard, name);
  }
  return undefined;
}

/** The pid in a `log` store's LOCK file (held by a writer, or left by a killed one), if there is one. */
export function lockOwner(dir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, LOCK_FILE), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
