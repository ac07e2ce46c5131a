/** `larder inspect <dir>`: what a store holds, without changing it. */
import { FORMAT_VERSION, HEADER_SIZE } from '../../../shared/format/record.js';
import { fmtBytes, fmtDate, fmtInt } from '../format.js';
import { formatVersionOnDisk, lockOwner, openStore, shardCount, type DiskStoreKind } from '../store-dir.js';
import { readDiskBudget } from '../../stores/log/budget-file.js';
import { replicationRows } from './inspect-replication.js';

export interface Inspection {
  dir: string;
  kind: DiskStoreKind;
  /** Record format of the first record on disk; null for a store with no records. */
  formatVersion: number | null;
  /** The record format this build writes. */
  writesVersion: number;
  /** pid in the LOCK file (log store), or null. */
  lockPid: number | null;
  keys: number;
  expired: number;
  liveBytes: number;
  deadBytes: number;
  totalBytes: number;
  /** Segment files (log) or shard directories (files). */
  segments: number;
  oldest: { key: string; createdAt: number } | null;
  newest: { key: string; createdAt: number } | null;
  /**
   * The `maxDiskBytes` budget the store was last opened with (log store; null: never had one),
   * how much of it the files take, and the keys evicted to keep within it over its life.
   */
  budget: { maxDiskBytes: number; diskPolicy: string; usedBytes: number; evictions: number } | null;
}

export async function inspectStore(dir: string): Promise<Inspection> {
  const { cache, kind } = await openStore(dir, 'read');
  try {
    const store = cache.store;
    const now = Date.now();
    const expired = (await store.findExpired?.(now)) ?? [];
    let keys = 0;
    let recordBytes = 0;
    let oldest: Inspection['oldest'] = null;
    let newest: Inspection['newest'] = null;
    const visit = (key: string): void => {
      const meta = store.readMeta?.(key);
      if (meta === undefined) return;
      recordBytes += HEADER_SIZE + Buffer.byteLength(key) + meta.size;
      if (oldest === null || meta.createdAt < oldest.createdAt) oldest = { key, createdAt: meta.createdAt };
      if (newest === null || meta.createdAt > newest.createdAt) newest = { key, createdAt: meta.createdAt };
    };
    for await (const key of cache.keys()) {
      keys++;
      visit(key);
    }
    for (const { key } of expired) visit(key);
    const stats = cache.storeStats;
    const totalBytes = stats?.totalBytes ?? recordBytes;
    // The files store has no budget (see docs/log-store.md): nothing to show.
    const recorded = kind === 'log' ? readDiskBudget(dir) : undefined;
    return {
      dir,
      kind,
      formatVersion: formatVersionOnDisk(dir, kind) ?? null,
      writesVersion: FORMAT_VERSION,
      lockPid: kind === 'log' ? (lockOwner(dir) ?? null) : null,
      keys,
      expired: expired.length,
      // The files store keeps no dead records: a delete unlinks, an overwrite replaces.
      liveBytes: stats?.liveBytes ?? recordBytes,
      deadBytes: stats?.deadBytes ?? 0,
      totalBytes,
      segments: stats?.segments ?? shardCount(dir),
      oldest,
      newest,
      budget: recorded === undefined ? null : { maxDiskBytes: recorded.maxDiskBytes, diskPolicy: recorded.diskPolicy, usedBytes: totalBytes, evictions: recorded.evictions },
    };
  } finally {
    await cache.stop();
  }
}

export function printInspection(i: Inspection): string {
  const entry = (e: Inspection['oldest']): string => (e === null ? '-' : `${fmtDate(e.createdAt)}  ${JSON.stringify(e.key)}`);
  const version = i.formatVersion === null ? `no records yet (this build writes v${i.writesVersion})` : `v${i.formatVersion} (this build writes v${i.writesVersion})`;
  const rows: Array<[string, string]> = [
    ['store', `${i.kind}  ${i.dir}`],
    ['format', `record ${version}`],
    ['lock', i.lockPid === null ? 'none' : `LOCK names pid ${i.lockPid}`],
    ['keys', `${fmtInt(i.keys)} live, ${fmtInt(i.expired)} expired (prune removes them)`],
    ['live', `${fmtBytes(i.liveBytes)}`],
    ['dead', `${fmtBytes(i.deadBytes)}${i.kind === 'log' ? ' (compact frees it)' : ' (the files store keeps none)'}`],
    ['total', fmtBytes(i.totalBytes)],
    ['budget', printBudget(i)],
    // A tiered store's outbox (nothing for a plain log store): what has not reached the remote tier.
    ...replicationRows(i.dir),
    [i.kind === 'log' ? 'segments' : 'shards', fmtInt(i.segments)],
    ['oldest', entry(i.oldest)],
    ['newest', entry(i.newest)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(9)} ${v}`).join('\n');
}

function printBudget(i: Inspection): string {
  const b = i.budget;
  if (b === null) return i.kind === 'log' ? 'none (no maxDiskBytes)' : 'none (the files store has no disk budget)';
  const share = Math.round((100 * b.usedBytes) / b.maxDiskBytes);
  return `${fmtBytes(b.maxDiskBytes)} maxDiskBytes, diskPolicy '${b.diskPolicy}': ${fmtBytes(b.usedBytes)} used (${share}%), ${fmtInt(b.evictions)} keys evicted`;
}
