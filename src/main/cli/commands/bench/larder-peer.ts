/** larder itself: `set` per entry (awaiting `drained()` when it returns false), then `sync()`. */
import { Cacher } from '../../../engine/cacher.js';
import type { Peer } from './peer.js';
import { writeAll } from './workload.js';

export function larderPeer(store: 'log' | 'files'): Peer {
  return {
    name: `larder (${store})`,
    guarantee: 'sync() resolved: every entry checksummed and fsynced (file, and directory where one was created), written by worker threads',
    async open(dir) {
      const cache = await Cacher.open({ dir, store });
      return {
        async write(w, progress) {
          await writeAll(w, progress, (key, value) => (cache.set(key, value) ? undefined : cache.drained()));
          await cache.sync({ timeout: 600_000 });
        },
        close: () => cache.stop(),
      };
    },
    async reopen(dir) {
      const cache = await Cacher.open({ dir, store });
      return { get: (key) => cache.get(key), close: () => cache.stop() };
    },
  };
}
