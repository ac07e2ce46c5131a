/**
 * The read side of a log store's `BUDGET` file (src/shared/format/log-format.ts): the budget it
 * was last opened with and its evictions so far. Written by the store (a worker job), read by
 * the store at open (evictions count on across opens) and by `larder inspect`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUDGET_FILE, type DiskBudgetRecord } from '../../../shared/format/log-format.js';

/** The budget recorded in `dir`, or undefined when there is none or it cannot be read. */
export function readDiskBudget(dir: string): DiskBudgetRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dir, BUDGET_FILE), 'utf8'));
  } catch {
    return undefined; // missing, or torn by a crash (it is written without fsync): no budget known
  }
  const r = parsed as Partial<DiskBudgetRecord> | null;
  if (r === null || typeof r !== 'object') return undefined;
  if (typeof r.maxDiskBytes !== 'number' || typeof r.evictions !== 'number' || !['lrs', 'lru', 'none'].includes(r.diskPolicy as string)) return undefined;
  return { maxDiskBytes: r.maxDiskBytes, diskPolicy: r.diskPolicy as DiskBudgetRecord['diskPolicy'], evictions: r.evictions };
}
