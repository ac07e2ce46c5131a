import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cacher } from '../../src/main/index.js';

const bin = fileURLToPath(new URL('../../src/main/cli/bin.ts', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `larder …args` in a child process (from source, under tsx). */
export function larder(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', bin, ...args], { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A store with: user:1..user:20 (objects), a string, an overwritten key (a dead record in the
 * log store), a deleted key, and two entries that expired 1 ms after they were written.
 */
export async function buildStore(dir: string, store: 'log' | 'files'): Promise<void> {
  const cache = await Cacher.open({ dir, store, threads: 1, flushDelay: 5 });
  for (let i = 1; i <= 20; i++) cache.set(`user:${i}`, { id: i, name: `user ${i}` });
  cache.set('greeting', 'hello\nworld');
  cache.set('gone', 1);
  cache.set('short:1', 'a', { ttl: 1 });
  cache.set('short:2', 'b', { ttl: 1 });
  await cache.sync();
  cache.set('user:1', { id: 1, name: 'renamed' });
  cache.delete('gone');
  await cache.sync();
  await cache.stop();
  // Let the two short entries expire (they were written at least 1 ms before now + 5).
  await new Promise((resolve) => setTimeout(resolve, 5));
}
