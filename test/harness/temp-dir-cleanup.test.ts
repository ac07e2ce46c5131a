/**
 * The test helpers' cleanup order: a cacher a test leaves open is stopped, with its last writes
 * landed, before the test's temporary directories are removed. Vitest runs `afterEach` hooks in
 * reverse order of registration, and this file imports the engine helper first (as most test
 * files do), which once meant the directories went first: the cacher's last flush then failed,
 * and a late write (a hint, a compaction) could make the removal itself fail with ENOTEMPTY.
 */
import { expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { LogStore, type Cacher, type LarderError } from '../../src/main/index.js';

let left: { cache: Cacher; errors: LarderError[] } | undefined;

it('leaves a cacher open with writes not yet flushed in a temporary directory', async () => {
  const dir = tempDir();
  left = await openCacher({ dir, store: new LogStore(dir) });
  left.cache.pause();
  for (let i = 0; i < 100; i++) left.cache.set(`k${i}`, i);
  expect(left.cache.pendingCount).toBe(100);
});

it('found it stopped with every write landed before the directory was removed', () => {
  expect(left).toBeDefined();
  expect(left?.errors).toEqual([]);
  expect(left?.cache.pendingCount).toBe(0);
});
