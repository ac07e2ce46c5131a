/** lru-cache: `set` into memory. Nothing persists: the hot-path reference, the floor of the table. */
import type * as LruCache from 'lru-cache';
import { importPeer, type Peer } from './peer.js';
import { writeAll } from './workload.js';

export const lruCachePeer: Peer = {
  name: 'lru-cache (memory only)',
  guarantee: 'in memory only, nothing persists: the hot-path reference',
  async open() {
    const { LRUCache } = await importPeer<typeof LruCache>('lru-cache');
    let cache: InstanceType<typeof LRUCache<string, object>> | undefined;
    return {
      async write(w, progress) {
        const lru = new LRUCache<string, object>({ max: w.entries });
        cache = lru;
        await writeAll(w, progress, (key, value) => {
          lru.set(key, value);
        });
      },
      close: async () => {
        cache?.clear();
      },
    };
  },
};
