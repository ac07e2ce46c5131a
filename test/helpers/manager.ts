import { afterEachTestBeforeTempDirsRemoved, tempDir } from './temp-dir.js';
import { CacheManager, type CacheManagerOptions } from '../../src/main/index.js';

const open: CacheManager[] = [];

// Closed before the test's temporary directories are removed, whatever order the helpers were imported in.
afterEachTestBeforeTempDirsRemoved(async () => {
  await Promise.all(open.splice(0).map((m) => m.close().catch(() => {})));
});

/** A CacheManager closed after the current test; one writer thread, a fresh temp dir unless given. */
export function openManager(name = 'app', options: CacheManagerOptions = {}): CacheManager {
  const m = new CacheManager(name, { dir: tempDir(), engine: { threads: 1 }, ...options });
  open.push(m);
  return m;
}

/** Closes a manager made elsewhere (getCacheManager) after the current test. */
export function closeAfterTest<T extends CacheManager>(manager: T): T {
  open.push(manager);
  return manager;
}
