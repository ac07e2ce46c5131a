/** `larder compact <dir>` and `larder prune <dir>`: the two writes the CLI makes, each under the store's lock. */
import type { CompactReport } from '../../stores/engine-store.js';
import { fmtBytes, fmtInt } from '../format.js';
import { openStore } from '../store-dir.js';

export async function compactStore(dir: string): Promise<string> {
  const { cache, kind } = await openStore(dir, 'write');
  let report: CompactReport | undefined;
  try {
    report = await cache.compact();
  } finally {
    await cache.stop();
  }
  if (report === undefined) return `the ${kind} store has nothing to compact (a delete removes its file; an overwrite replaces it)`;
  if (report.segments === 0) return `nothing to compact: ${fmtBytes(report.bytesBefore)} in sealed segments, all live`;
  return (
    `compacted ${report.segments} segment(s): ${fmtBytes(report.bytesBefore)} -> ${fmtBytes(report.bytesAfter)}, ` +
    `${fmtInt(report.recordsKept)} records kept, ${fmtInt(report.expiredDropped)} expired dropped`
  );
}

export async function pruneStore(dir: string): Promise<string> {
  const { cache } = await openStore(dir, 'write');
  try {
    const { count, bytes } = await cache.prune({ timeout: 600_000 });
    return `pruned ${fmtInt(count)} expired entr${count === 1 ? 'y' : 'ies'} (${fmtBytes(bytes)})`;
  } finally {
    await cache.stop();
  }
}
