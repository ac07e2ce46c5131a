/**
 * The cachers of one process write through one worker pool (src/main/core/shared-pool.ts): a
 * second cacher, or one reopened soon after a stop, starts no thread, and a stopped store's
 * segment is not kept open by the thread that outlives it. Threads and descriptors are read
 * from /proc (Linux, as CI is).
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openCacher } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';

const onLinux = process.platform === 'linux';
const threadCount = (): number => readdirSync('/proc/self/task').length;

/** Files under `dir` this process has open. */
function openUnder(dir: string): string[] {
  const paths: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const path = readlinkSync(`/proc/self/fd/${fd}`);
      if (path.startsWith(dir)) paths.push(path);
    } catch {
      // closed meanwhile
    }
  }
  return paths;
}

async function written(dir: string, threads = 1) {
  const opened = await openCacher({ dir, store: 'log', threads, batchSize: 10 });
  opened.cache.set('key', { value: dir });
  await opened.cache.sync();
  return opened.cache;
}

describe.runIf(onLinux)('one worker pool per process', () => {
  it('a second cacher, and one reopened after a stop, start no thread', async () => {
    const first = await written(tempDir());
    const withOne = threadCount();
    const secondDir = tempDir();
    const second = await written(secondDir);
    expect(threadCount()).toBe(withOne);

    await second.stop();
    await first.stop();
    const reopened = await written(secondDir);
    expect(reopened.get('key')).toEqual({ value: secondDir });
    expect(threadCount()).toBe(withOne);
  });

  it('a stopped store’s files are closed at once, though its writer thread lives on for other cachers', async () => {
    const stays = await written(tempDir());
    const dir = tempDir();
    const stopped = await written(dir);
    expect(openUnder(dir).length).toBeGreaterThan(0);
    await stopped.stop();
    expect(openUnder(dir)).toEqual([]);
    expect(stays.get('key')).toBeDefined();
  });

  it('with two writer threads, both close them at once', async () => {
    const stays = await written(tempDir(), 2);
    const dir = tempDir();
    const stopped = await written(dir, 2);
    for (let i = 0; i < 50; i++) stopped.set(`more-${i}`, i); // batches on both threads
    await stopped.sync();
    await stopped.stop();
    // The thread that ran the release job told the other one, which closes them within ms.
    const deadline = Date.now() + 1_000;
    while (openUnder(dir).length > 0 && Date.now() < deadline) await sleep(10);
    expect(openUnder(dir)).toEqual([]);
    expect(stays.get('key')).toBeDefined();
  });

  it('keeps writing for a store that stays open while the others come and go', async () => {
    const dir = tempDir();
    const stays = await written(dir);
    for (let round = 0; round < 3; round++) {
      const passing = await written(join(tempDir(), `round-${round}`));
      stays.set(`round-${round}`, round);
      await passing.stop();
      await stays.sync();
    }
    await stays.stop();
    const reopened = await written(dir);
    expect([0, 1, 2].map((r) => reopened.get(`round-${r}`))).toEqual([0, 1, 2]);
  });
});
