/**
 * `larder inspect`'s lines about a tiered store's outbox (src/main/stores/tiered/): how much of
 * what was written locally has not reached the remote tier, read from the journal on disk
 * without opening it for writing. Nothing for a directory without an outbox.
 */
import { readOutboxSync } from '../../stores/tiered/outbox-journal.js';
import { fmtBytes, fmtDate, fmtInt } from '../format.js';

/** Rows `[label, text]` for `printInspection`; empty when `dir` has no outbox. */
export function replicationRows(dir: string): Array<[string, string]> {
  const outbox = readOutboxSync(dir);
  if (outbox === undefined) return [];
  const keys = new Set<string>();
  let oldest = Number.POSITIVE_INFINITY;
  for (const frame of outbox.frames) {
    for (const key of frame.keys) keys.add(key);
    oldest = Math.min(oldest, frame.at);
  }
  const rows: Array<[string, string]> = [
    [
      'outbox',
      keys.size === 0
        ? `everything replicated (journal ${fmtBytes(outbox.bytes)})`
        : `${fmtInt(keys.size)} key(s) not replicated yet, in ${fmtInt(outbox.frames.length)} batch(es); oldest written ${fmtDate(oldest)}; journal ${fmtBytes(outbox.bytes)}`,
    ],
  ];
  for (const problem of outbox.problems) rows.push(['outbox', `damaged: ${problem} (cut at the next open)`]);
  return rows;
}
