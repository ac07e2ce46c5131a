/** A store that persists nothing until the test lands or fails each batch it was handed (values decoded as v8). */
import type { BatchColumns, WriteResult } from '../../src/shared/protocol.js';
import { v8Codec } from '../../src/shared/codecs.js';
import type { EngineStore, StoredEntry } from '../../src/main/index.js';

export interface Pending {
  keys: string[];
  values: unknown[];
  finish(result: WriteResult): void;
}

const tick = (ms = 10): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class GatedStore implements EngineStore {
  readonly kind = 'gated';
  readonly persistent = true;
  readonly pending: Pending[] = [];
  readonly landed = new Map<string, unknown>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  read(key: string): StoredEntry | undefined {
    return this.landed.has(key) ? { value: this.landed.get(key), createdAt: 0, expiresAt: 0, size: 0 } : undefined;
  }
  keys(): Iterable<string> {
    return this.landed.keys();
  }
  write(batch: BatchColumns): Promise<WriteResult> {
    const values = batch.keys.map((_, i) => v8Codec.decode(batch.values.subarray(batch.valueOffsets[i], batch.valueOffsets[i + 1])));
    return new Promise((resolve) => this.pending.push({ keys: [...batch.keys], values, finish: resolve }));
  }
  writeSync(): WriteResult {
    throw new Error('not used');
  }
  async clear(): Promise<void> {}

  /** Waits for the next batch to be handed over. */
  async next(): Promise<Pending> {
    for (let i = 0; i < 200 && this.pending.length === 0; i++) await tick(5);
    const batch = this.pending.shift();
    if (batch === undefined) throw new Error('no batch was written');
    return batch;
  }

  land(batch: Pending): void {
    batch.keys.forEach((key, i) => this.landed.set(key, batch.values[i]));
    batch.finish({ failures: [], bytes: 1 });
  }

  fail(batch: Pending): void {
    batch.finish({ failures: batch.keys.map((_, index) => ({ index, code: 'EIO', message: 'injected', syscall: 'write' })), bytes: 0 });
  }
}

