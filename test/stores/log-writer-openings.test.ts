/**
 * Writer threads outlive the stores they write for (one pool per process:
 * src/main/core/shared-pool.ts), so what a thread remembers of a segment — the log its seal
 * writes the hint from — must belong to one opening of the store. Here a segment written under
 * opening 1 is replaced behind the thread's back by another writer's file of exactly the same
 * size, and opening 2 appends to it: the hint must describe the file, not what opening 1 wrote.
 */
import { copyFileSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { logTarget, utf8Batch } from '../fixtures/log-context.js';
import { decodeHint, hintName, segmentName } from '../../src/shared/format/log-format.js';
import type { LogTarget, WriteBatch } from '../../src/shared/protocol.js';
import { writeLogBatch } from '../../src/shared/writers/log-writer.js';
import { runLogTask } from '../../src/worker/log/log-jobs.js';

const segment = segmentName({ major: 1, minor: 0 }); // the segment logTarget names

const target = (dir: string, opening: number, position = 0): LogTarget => logTarget(dir, { opening, position });

/** Keys `${prefix}0…`, values of one length: two batches with prefixes of one length frame to the same size. */
const batch = (prefix: string, n: number, t: LogTarget): WriteBatch =>
  utf8Batch(t, Array.from({ length: n }, (_, i) => `${prefix}${i}`), (key) => `${key}:`.padEnd(200, 'v'));

function hintKeys(dir: string): string[] {
  const size = statSync(join(dir, segment)).size;
  const chunk = decodeHint(readFileSync(join(dir, hintName(segment))), size);
  if (chunk === undefined) throw new Error('no valid hint');
  const keys: string[] = [];
  let start = 0;
  for (const end of chunk.keyEnds) {
    keys.push(chunk.keys.slice(start, end));
    start = end;
  }
  return keys;
}

describe('a writer thread serving several openings of a store', () => {
  it('never describes a segment by what an earlier opening wrote to a file of that name', () => {
    const dir = tempDir();
    const elsewhere = tempDir();
    const first = target(dir, 1);
    expect(writeLogBatch(batch('a', 3, first), first).failures).toEqual([]);
    // Another writer's segment of the same name and size replaces the file.
    const other = target(elsewhere, 7);
    expect(writeLogBatch(batch('b', 3, other), other).failures).toEqual([]);
    const size = statSync(join(dir, segment)).size;
    expect(statSync(join(elsewhere, segment)).size).toBe(size);
    unlinkSync(join(dir, segment));
    copyFileSync(join(elsewhere, segment), join(dir, segment));

    const second = target(dir, 2, size);
    expect(writeLogBatch(batch('c', 2, second), second).failures).toEqual([]);
    const sealed = runLogTask({ op: 'log', job: { job: 'seal', dir, segment, opening: 2, fileMode: 0o644 } });
    expect(sealed.failure).toBeUndefined();
    expect(hintKeys(dir)).toEqual(['b0', 'b1', 'b2', 'c0', 'c1']);
  });

  it('still seals from its log when one opening wrote the whole segment', () => {
    const dir = tempDir();
    const t = target(dir, 3);
    writeLogBatch(batch('a', 2, t), t);
    writeLogBatch(batch('b', 2, t), t);
    // A log that is used skips the scan, so it alone decides the hint: tamper with the file
    // (same size) and the hint still names what was written — proof that the log was used.
    const size = statSync(join(dir, segment)).size;
    const other = target(tempDir(), 9);
    writeLogBatch(batch('x', 4, other), other);
    unlinkSync(join(dir, segment));
    copyFileSync(join(other.dir, segment), join(dir, segment));
    expect(statSync(join(dir, segment)).size).toBe(size);
    runLogTask({ op: 'log', job: { job: 'seal', dir, segment, opening: 3, fileMode: 0o644 } });
    expect(hintKeys(dir)).toEqual(['a0', 'a1', 'b0', 'b1']);
  });
});
