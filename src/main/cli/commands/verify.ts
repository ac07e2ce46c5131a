/**
 * `larder verify <dir> [--repair]`: reads every record and checks it. Without `--repair` the
 * store is opened read-only and nothing changes. With it: a `log` store is reopened under its
 * lock (which cuts torn tails) and, if damage remains inside a segment, compacted (live records
 * are copied out, damaged stretches left behind); a `files` store's damaged files are removed
 * (they already read as misses). Then it is verified again.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyReport } from '../../stores/engine-store.js';
import { fmtBytes, fmtInt } from '../format.js';
import { openStore, type Access, type DiskStoreKind } from '../store-dir.js';

export interface VerifyOutcome {
  kind: DiskStoreKind;
  /** What the first, read-only pass found. */
  found: VerifyReport;
  /** What was done about it (empty without `--repair` or when nothing was wrong). */
  repairs: string[];
  /** The state after repair: `found` again when nothing was repaired. */
  final: VerifyReport;
}

async function verifyOnce(dir: string, access: Access): Promise<{ kind: DiskStoreKind; report: VerifyReport }> {
  const { cache, kind } = await openStore(dir, access);
  try {
    const report = await cache.verify();
    if (report === undefined) throw new Error(`the ${kind} store cannot verify itself`);
    return { kind, report };
  } finally {
    await cache.stop();
  }
}

export async function verifyStore(dir: string, repair: boolean): Promise<VerifyOutcome> {
  const { kind, report: found } = await verifyOnce(dir, 'read');
  if (!repair || found.problems.length === 0) return { kind, found, repairs: [], final: found };
  const repairs: string[] = [];
  if (kind === 'files') {
    for (const p of found.problems) {
      rmSync(join(dir, p.segment), { force: true });
      repairs.push(`removed ${p.segment}`);
    }
    return { kind, found, repairs, final: (await verifyOnce(dir, 'write')).report };
  }
  // Opening under the lock cuts every torn tail.
  let final = (await verifyOnce(dir, 'write')).report;
  repairs.push('reopened for writing: torn tails cut');
  if (final.problems.length > 0) {
    const { cache } = await openStore(dir, 'write');
    try {
      const compacted = await cache.compact();
      if (compacted !== undefined) repairs.push(`compacted ${compacted.segments} segment(s), ${fmtInt(compacted.recordsKept)} records kept`);
    } finally {
      await cache.stop();
    }
    final = (await verifyOnce(dir, 'read')).report;
  }
  return { kind, found, repairs, final };
}

export function printVerify(dir: string, o: VerifyOutcome): string {
  const unit = o.kind === 'log' ? 'segment(s)' : 'shard(s)';
  const summary = (r: VerifyReport): string => `${fmtInt(r.segments)} ${unit}, ${fmtInt(r.records)} records, ${fmtBytes(r.bytes)}`;
  const lines = [`checked ${o.kind} store ${dir}: ${summary(o.found)}`];
  for (const p of o.found.problems) lines.push(`bad: ${p.segment}${o.kind === 'log' ? ` @ ${p.offset}` : ''}: ${p.reason}`);
  for (const r of o.repairs) lines.push(`repair: ${r}`);
  if (o.repairs.length > 0) lines.push(`after repair: ${summary(o.final)}, ${o.final.problems.length} problem(s)`);
  for (const p of o.repairs.length > 0 ? o.final.problems : []) lines.push(`still bad: ${p.segment} @ ${p.offset}: ${p.reason}`);
  lines.push(o.final.problems.length === 0 ? (o.found.problems.length === 0 ? 'ok: every record intact' : 'ok: repaired') : `FAILED: ${o.final.problems.length} problem(s)`);
  return lines.join('\n');
}
