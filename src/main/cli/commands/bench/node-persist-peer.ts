/** node-persist: `setItem` per entry (its write queue coalesces and writes one JSON file per key). */
import { importPeer, type Peer } from './peer.js';
import { writeAll } from './workload.js';

interface LocalStorage {
  init(): Promise<unknown>;
  setItem(key: string, value: unknown): Promise<unknown>;
  getItem(key: string): Promise<unknown>;
  stopExpiredKeysInterval(): void;
  stopWriteQueueInterval(): void;
}

async function open(dir: string): Promise<LocalStorage> {
  const mod = await importPeer<{ default: { create(options: object): LocalStorage } }>('node-persist');
  // No expiry sweep: the workload sets no TTL, and its timer would outlive the run.
  const storage = mod.default.create({ dir, expiredInterval: 0 });
  await storage.init();
  return storage;
}

function stop(storage: LocalStorage): void {
  storage.stopExpiredKeysInterval();
  storage.stopWriteQueueInterval();
}

export const nodePersistPeer: Peer = {
  name: 'node-persist',
  guarantee: 'setItem resolved: one JSON file per key written in place with fs.writeFile; no fsync, not atomic',
  async open(dir) {
    const storage = await open(dir);
    return {
      write: (w, progress) => writeAll(w, progress, (key, value) => storage.setItem(key, value)),
      close: async () => stop(storage),
    };
  },
  async reopen(dir) {
    const storage = await open(dir);
    return { get: (key) => storage.getItem(key), close: async () => stop(storage) };
  },
};
