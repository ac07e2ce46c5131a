/**
 * The `memory` store: nothing persists. Writes complete at once, reads always miss, so the
 * cacher is a plain in-memory cache with the same API (cacheman's non-persistent caches, tests).
 * Note that with `maxEntries`/`maxBytes` an evicted entry is gone for good.
 */
import type { BatchColumns, WriteResult } from '../../shared/protocol.js';
import type { EngineStore, StoredEntry } from './engine-store.js';

const nothingFailed = (): WriteResult => ({ failures: [], bytes: 0 });

export class MemoryStore implements EngineStore {
  readonly kind = 'memory';
  readonly persistent = false;

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  read(): StoredEntry | undefined {
    return undefined;
  }
  keys(): Iterable<string> {
    return [];
  }
  async write(_batch: BatchColumns): Promise<WriteResult> {
    return nothingFailed();
  }
  writeSync(_batch: BatchColumns): WriteResult {
    return nothingFailed();
  }
  async clear(): Promise<void> {}
}
