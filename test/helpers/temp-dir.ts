import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];
/**
 * Run after each test, before its directories go: whatever may still write into them stops first.
 * (Two `afterEach` hooks of their own ran in reverse order of registration: a test file importing
 * helpers/engine.ts first removed its directories while its cachers still ran, and a late write —
 * a hint, a compaction — made the removal fail with ENOTEMPTY.)
 */
const beforeRemoval: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of beforeRemoval) await stop();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `stop` runs after each test, before its temporary directories are removed. */
export function afterEachTestBeforeTempDirsRemoved(stop: () => Promise<void>): void {
  beforeRemoval.push(stop);
}

/** A fresh directory removed after the current test. */
export function tempDir(prefix = 'larder-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
