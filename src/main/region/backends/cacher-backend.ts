/**
 * A `Backend` over the engine: each `CachedEntry` is stored as the value of one `Cacher` key,
 * so a Region gets write-behind persistence from whatever store the cacher uses (files, Redis…).
 * Reads go through `cacher.load` (async: a Redis store cannot read synchronously); writes are the
 * engine's synchronous write-behind `set`, so a Region `set` resolves before the value is durable
 * (call `cacher.sync()` for a barrier).
 */
import type { Cacher } from '../../engine/cacher.js';
import { duration } from '../../core/validate.js';
import { NO_VALUE, type Backend, type CachedEntry, type NoValue } from '../backend.js';

export interface CacherBackendOptions {
  /** @default 'cacher' */
  name?: string;
  /**
   * The backend owns the cacher: it starts it on first use and `close()` stops it.
   * @default false
   */
  owned?: boolean;
  /**
   * How long the engine keeps an entry after it expires, in ms, so the Region can still serve it
   * stale (while one caller regenerates it, or with `staleIfError`). Infinity keeps it until it is
   * overwritten or deleted.
   * @default Infinity
   */
  keepStale?: number;
}

export class CacherBackend<V = unknown> implements Backend<V> {
  readonly name: string;
  readonly cacher: Cacher;
  readonly #owned: boolean;
  readonly #keepStale: number;
  #starting: Promise<void> | undefined;

  constructor(cacher: Cacher, options: CacherBackendOptions = {}) {
    if (typeof cacher !== 'object' || cacher === null || typeof (cacher as Cacher).load !== 'function') {
      throw new TypeError(`cacher must be a Cacher, received ${cacher === null ? 'null' : typeof cacher}`);
    }
    const { name = 'cacher', owned = false, keepStale = Number.POSITIVE_INFINITY } = options;
    if (typeof owned !== 'boolean') throw new TypeError(`owned must be a boolean, received ${typeof owned}`);
    this.name = name;
    this.cacher = cacher;
    this.#owned = owned;
    this.#keepStale = keepStale === Number.POSITIVE_INFINITY ? keepStale : duration('keepStale', keepStale);
  }

  async get(key: string): Promise<CachedEntry<V> | NoValue> {
    await this.#ready();
    return asEntry<V>(await this.cacher.load(key));
  }

  async getMany(keys: readonly string[]): Promise<Array<CachedEntry<V> | NoValue>> {
    await this.#ready();
    return Promise.all(keys.map(async (key) => asEntry<V>(await this.cacher.load(key))));
  }

  async set(key: string, entry: CachedEntry<V>): Promise<void> {
    await this.#ready();
    if (!this.#put(key, entry)) await this.cacher.drained();
  }

  async setMany(entries: ReadonlyMap<string, CachedEntry<V>>): Promise<void> {
    await this.#ready();
    let below = true;
    for (const [key, entry] of entries) below = this.#put(key, entry) && below;
    if (!below) await this.cacher.drained();
  }

  async delete(key: string): Promise<void> {
    await this.#ready();
    this.cacher.delete(key);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    await this.#ready();
    for (const key of keys) this.cacher.delete(key);
  }

  async *keys(prefix = ''): AsyncIterable<string> {
    await this.#ready();
    for await (const key of this.cacher.keys()) if (key.startsWith(prefix)) yield key;
  }

  async clear(): Promise<void> {
    await this.#ready();
    await this.cacher.clear();
  }

  /** Stops the cacher if this backend owns it (flushing what is queued); otherwise does nothing. */
  async close(): Promise<void> {
    if (!this.#owned) return;
    await this.#starting?.catch(() => {});
    await this.cacher.stop();
  }

  /** The write-behind `set`; false once the engine's queue is above its high-water mark. */
  #put(key: string, entry: CachedEntry<V>): boolean {
    // The engine's own expiry drops the entry only `keepStale` after the Region's expiry.
    const ttl = entry.expiresAt === 0 || this.#keepStale === Number.POSITIVE_INFINITY ? 0 : Math.max(1, entry.expiresAt - entry.createdAt + this.#keepStale);
    return this.cacher.set(key, entry, { ttl });
  }

  #ready(): Promise<void> | undefined {
    if (!this.#owned || this.cacher.isStarted) return undefined;
    return (this.#starting ??= this.cacher.start());
  }
}

/** Whatever else shares the cacher's keys (plain values written by other code) reads as a miss. */
function asEntry<V>(raw: unknown): CachedEntry<V> | NoValue {
  if (typeof raw !== 'object' || raw === null || !('value' in raw)) return NO_VALUE;
  const e = raw as Partial<CachedEntry<V>>;
  return typeof e.createdAt === 'number' && typeof e.expiresAt === 'number' && typeof e.version === 'number' ? (raw as CachedEntry<V>) : NO_VALUE;
}
