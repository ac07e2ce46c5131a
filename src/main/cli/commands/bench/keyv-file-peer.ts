/**
 * keyv with keyv-file: `set` per entry without awaiting each (every `set` resolves with the
 * next debounced save of the whole file), then one more `set` awaited after the last save
 * finished, so the final save holds every entry.
 */
import { join } from 'node:path';
import type * as KeyvModule from 'keyv';
import type * as KeyvFileModule from 'keyv-file';
import { importPeer, type Peer } from './peer.js';
import { Outstanding, writeAll } from './workload.js';

async function open(dir: string): Promise<KeyvModule.Keyv> {
  const { KeyvFile } = await importPeer<typeof KeyvFileModule>('keyv-file');
  const { Keyv } = await importPeer<typeof KeyvModule>('keyv');
  return new Keyv({ store: new KeyvFile({ filename: join(dir, 'bench.json') }) });
}

export const keyvFilePeer: Peer = {
  name: 'keyv-file',
  guarantee: 'a set() issued after the last save finished resolved: the whole store rewritten as one JSON file (debounced 100 ms); no fsync, not atomic',
  async open(dir) {
    const kv = await open(dir);
    return {
      async write(w, progress) {
        const sets = new Outstanding();
        await writeAll(w, progress, (key, value) => {
          sets.add(kv.set(key, value));
        });
        await sets.settle();
        // A set made while a save is writing joins that save, whose snapshot may predate it.
        const last = w.entries - 1;
        await kv.set(w.key(last), w.value(last));
      },
      close: () => kv.disconnect(),
    };
  },
  async reopen(dir) {
    const kv = await open(dir);
    return { get: (key) => kv.get(key), close: () => kv.disconnect() };
  },
};
