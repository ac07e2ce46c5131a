/** cacache (npm's content-addressable cache): `put` per entry, the value as JSON. */
import { importPeer, type Peer } from './peer.js';
import { writeAll } from './workload.js';

interface Cacache {
  put(cache: string, key: string, data: string): Promise<unknown>;
  get(cache: string, key: string): Promise<{ data: Buffer }>;
}

async function load(): Promise<Cacache> {
  const mod = await importPeer<Cacache & { default?: Cacache }>('cacache');
  return mod.default ?? mod;
}

export const cacachePeer: Peer = {
  name: 'cacache',
  guarantee: 'put resolved: content written to a temporary file and moved into place, index line appended; no fsync',
  async open(dir) {
    const cacache = await load();
    return {
      write: (w, progress) => writeAll(w, progress, (key, value) => cacache.put(dir, key, JSON.stringify(value))),
      close: async () => {},
    };
  },
  async reopen(dir) {
    const cacache = await load();
    return {
      get: async (key) => JSON.parse((await cacache.get(dir, key)).data.toString('utf8')) as unknown,
      close: async () => {},
    };
  },
};
