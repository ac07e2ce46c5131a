/** lmdb-js: `put` per entry without awaiting each (lmdb batches them into transactions), then `flushed`. */
import type * as Lmdb from 'lmdb';
import { importPeer, type Peer } from './peer.js';
import { Outstanding, writeAll } from './workload.js';

export const lmdbPeer: Peer = {
  name: 'lmdb-js',
  guarantee: 'flushed resolved: transactions committed and synced to disk (LMDB default: sync on commit)',
  async open(dir) {
    const { open } = await importPeer<typeof Lmdb>('lmdb');
    const db = open({ path: dir });
    return {
      async write(w, progress) {
        const puts = new Outstanding();
        await writeAll(w, progress, (key, value) => {
          puts.add(db.put(key, value));
        });
        await puts.settle();
        await db.flushed;
      },
      close: () => db.close(),
    };
  },
  async reopen(dir) {
    const { open } = await importPeer<typeof Lmdb>('lmdb');
    const db = open({ path: dir });
    return { get: (key) => db.get(key), close: () => db.close() };
  },
};
