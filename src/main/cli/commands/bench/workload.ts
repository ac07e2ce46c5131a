/**
 * The benchmark's workload: N distinct keys, each set once to an object holding an id and a
 * string payload of about B bytes, by a producer that yields the event loop every 1024 writes
 * (as a server between requests would). Every contender is fed by the same loop.
 */
export interface BenchValue {
  id: number;
  payload: string;
}

export interface Workload {
  entries: number;
  valueSize: number;
  key(i: number): string;
  value(i: number): BenchValue;
}

export function makeWorkload(entries: number, valueSize: number): Workload {
  const filler = 'x'.repeat(valueSize);
  return {
    entries,
    valueSize,
    key: (i) => `bench:${i}`,
    // A distinct payload per key: no contender can gain from identical values.
    value: (i) => ({ id: i, payload: `${i}:${filler}`.slice(0, Math.max(valueSize, String(i).length + 1)) }),
  };
}

const CHUNK = 1024;
const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Calls `put` for every entry. A `put` that returns a promise (an async API, or larder's
 * `drained()` after `set` returned false) is awaited one chunk later: at most two chunks
 * (2048 writes) are outstanding, the same back-pressure for every contender.
 */
export async function writeAll(w: Workload, progress: (done: number) => void, put: (key: string, value: BenchValue) => unknown): Promise<void> {
  let previous: Array<PromiseLike<unknown>> = [];
  let current: Array<PromiseLike<unknown>> = [];
  for (let i = 0; i < w.entries; i++) {
    const r = put(w.key(i), w.value(i));
    if (r !== undefined && typeof (r as PromiseLike<unknown>).then === 'function') current.push(r as PromiseLike<unknown>);
    if ((i + 1) % CHUNK === 0) {
      progress(i + 1);
      await Promise.all(previous);
      previous = current;
      current = [];
      await yieldNow();
    }
  }
  await Promise.all([...previous, ...current]);
  progress(w.entries);
}

/**
 * Promises of writes that are not awaited one by one (lmdb-js and keyv-file batch internally;
 * awaiting each would measure their commit latency, not their throughput). A rejection is
 * kept, never left unhandled, and `settle()` throws it.
 */
export class Outstanding {
  #promises: Array<Promise<unknown>> = [];
  #error: unknown;
  #failed = false;

  add(promise: Promise<unknown>): void {
    this.#promises.push(
      promise.catch((error: unknown) => {
        if (!this.#failed) {
          this.#failed = true;
          this.#error = error;
        }
      }),
    );
  }

  async settle(): Promise<void> {
    await Promise.all(this.#promises);
    this.#promises = [];
    if (this.#failed) throw this.#error;
  }
}
