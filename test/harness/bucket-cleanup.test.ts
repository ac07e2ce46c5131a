/**
 * The Bucket helper's cleanup order, as temp-dir-cleanup.test.ts checks the engine helper's: what a test leaves open is closed, its last writes landed, before the test's
 * temporary directories are removed. This file imports the bucket helper first: its own
 * `afterEach` then ran after the directories were gone, and the bucket's last flush recreated its
 * shard directory inside the removed one, leaving `larder-test-*` directories behind after a run.
 */
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { openBucket } from '../helpers/bucket.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { Bucket } from '../../src/main/index.js';

let bucket: { it: Bucket; dir: string; errors: unknown[] } | undefined;

it('leaves a bucket open with writes not yet flushed in a temporary directory', async () => {
  const dir = tempDir();
  // Nothing flushes before the bucket closes: a batch waits for 60 s or 1,000 writes.
  const opened = await openBucket(dir, undefined, { engine: { flushDelay: 60_000 } });
  bucket = { it: opened, dir, errors: [] };
  opened.cacher.on('error', (error: unknown) => bucket?.errors.push(error));
  for (let i = 0; i < 100; i++) opened.set(`k${i}`, i);
  expect(opened.cacher.pendingCount).toBe(100);
});

it('found it closed with every write landed, and its directory removed', () => {
  expect(bucket?.errors).toEqual([]);
  expect(bucket?.it.cacher.pendingCount).toBe(0);
  expect(existsSync(bucket?.dir as string)).toBe(false);
});
