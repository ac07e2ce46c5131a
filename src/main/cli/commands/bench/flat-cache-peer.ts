/** flat-cache: `set` per entry into memory, then one `save()`, which writes the whole cache as one JSON file. */
import type * as FlatCache from 'flat-cache';
import { importPeer, type Peer } from './peer.js';
import { writeAll } from './workload.js';

const CACHE_ID = 'bench';

export const flatCachePeer: Peer = {
  name: 'flat-cache',
  guarantee: 'save() returned: the whole cache written as one JSON file with writeFileSync; no fsync, not atomic',
  async open(dir) {
    const { create } = await importPeer<typeof FlatCache>('flat-cache');
    const cache = create({ cacheId: CACHE_ID, cacheDir: dir });
    return {
      async write(w, progress) {
        await writeAll(w, progress, (key, value) => {
          cache.set(key, value);
        });
        cache.save();
      },
      close: async () => {},
    };
  },
  async reopen(dir) {
    const { create } = await importPeer<typeof FlatCache>('flat-cache');
    const cache = create({ cacheId: CACHE_ID, cacheDir: dir });
    return { get: (key) => cache.get(key), close: async () => {} };
  },
};
