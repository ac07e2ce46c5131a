/**
 * `KeyvLarder`: larder as a Keyv (v5) storage adapter, so `keyv`, `cache-manager` 7 and
 * `cacheable` 2 can keep their values in a write-behind, durable store. Keyv hands the adapter
 * keys already prefixed with its namespace ("ns:key") and values already serialized (a JSON
 * string by default; the `{ value, expires }` object itself when Keyv's `serialize` and
 * `deserialize` are set to undefined, which lets larder's codec store it). Keyv is only a type
 * here: the adapter has no run-time dependency on it.
 */
import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { Cacher, CacherOptions, LarderError, WaitOptions } from '../index.js';
import { CacherSource, adapterOptions, booleanOption, deletePrefixed } from './cacher-source.js';
import { reportError } from '../core/report.js';

export interface KeyvLarderOptions {
  /**
   * Every write waits for durability before its promise resolves: `set` awaits
   * `cacher.save()`; `setMany` awaits a save per entry; `delete`, `deleteMany` and `clear`
   * await `cacher.sync()`. Slower (each write waits for a batch and its fsync) but a resolved
   * promise then means the write survives a crash (a power cut, with `durability: 'fsync'`).
   * Without it, call `sync()` when you need the barrier.
   * @default false
   */
  durable?: boolean;
}

const KNOWN: readonly (keyof KeyvLarderOptions)[] = ['durable'];

/**
 * A Keyv storage adapter over a larder `Cacher`.
 *
 * `new KeyvLarder(cacherOptions)` creates a cacher, starts it on first use and stops it (after
 * writing everything queued) on `disconnect()`. `new KeyvLarder(cacher)` borrows a cacher you
 * manage: it must be started, and `disconnect()` leaves it running.
 *
 * Errors the cacher reports (a failed write, a corrupt record) are emitted as `'error'` on the
 * adapter, which Keyv re-emits on itself.
 */
export class KeyvLarder extends EventEmitter implements KeyvStoreAdapter {
  /**
   * Read by Keyv. Keyv 5 gives `keyv.iterator()` only to adapters whose `dialect` is on its own
   * list of SQL/Redis-like backends, and reads `url.includes(...)` to decide, so both are set
   * (truthfully: this is not one of them). See docs/integrations.md for the one line that
   * turns on `keyv.iterator()`.
   */
  readonly opts: { dialect: 'larder'; url: string; durable: boolean };
  /** Set by Keyv to its namespace; `clear()` and `iterator()` keep to keys with this prefix. */
  namespace?: string | undefined;
  #source: CacherSource;
  #durable: boolean;
  #forward: ((error: LarderError) => void) | undefined;

  constructor(cacher: Cacher | CacherOptions, options?: KeyvLarderOptions) {
    super();
    const { durable } = adapterOptions<KeyvLarderOptions>('KeyvLarder', options, KNOWN);
    this.#durable = booleanOption('durable', durable, false);
    this.#source = new CacherSource(cacher, 'KeyvLarder');
    // Not frozen: Keyv's own test suite writes to a store's opts.
    this.opts = { dialect: 'larder', url: 'larder:', durable: this.#durable };
    this.#forward = (error) => {
      // As the cacher does itself: with no listener, a warning rather than a throw, which would
      // otherwise come out of the cacher's flush.
      reportError(this, error);
    };
    this.#source.cacher.on('error', this.#forward);
  }

  /** The cacher this adapter stores into. */
  get cacher(): Cacher {
    return this.#source.cacher;
  }

  /**
   * The stored (serialized) value, or undefined on a miss. Keyv checks its own `expires` after
   * this; larder also expires the entry itself, at the ttl `set` was given.
   */
  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const cacher = this.#source.current ?? (await this.#source.ready('get'));
    return (await cacher.load(key)) as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const cacher = this.#source.current ?? (await this.#source.ready('getMany'));
    // A store that reads synchronously is read in one loop, without a promise per key.
    if (cacher.store.load === undefined) return keys.map((key) => cacher.get(key) as StoredData<Value>);
    return Promise.all(keys.map((key) => cacher.load(key) as Promise<StoredData<Value>>));
  }

  /**
   * Stores `value` under `key`, expiring after `ttl` ms (no `ttl`: the cacher's own `ttl`
   * option, which is 0 = never unless you set it).
   *
   * What a resolved promise means: the value is **accepted** — in memory, read back by every
   * `get` through this cacher (read-your-writes), and queued for writing behind. It is **not
   * durable yet**: a crash before the write lands loses it. For durability call `sync()` (a
   * barrier for every write accepted before it), construct with `{ durable: true }` (every `set`
   * resolves only once its write is durable), or `disconnect()` an adapter that owns its
   * cacher (it writes everything before stopping).
   *
   * Above the cacher's `highWaterMark` the promise also waits until the queue has drained below
   * it, so a producer that awaits each `set` cannot outrun the disk. Rejects with
   * `ERR_QUEUE_FULL` at `maxPending`, `ERR_STOPPED` after `disconnect()`.
   */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const cacher = this.#source.current ?? (await this.#source.ready('set'));
    const options = ttl === undefined ? undefined : { ttl };
    if (this.#durable) {
      await cacher.save(key, value, options);
      return true;
    }
    if (!cacher.set(key, value, options)) await cacher.drained();
    return true;
  }

  /**
   * `set` for many entries; resolves as `set` does (accepted, or durable with `durable`).
   * Resolves with nothing, as Keyv's adapter type declares, so `keyv.setMany()` over this adapter
   * resolves with undefined rather than one boolean per entry; a failure rejects instead.
   */
  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    const cacher = this.#source.current ?? (await this.#source.ready('setMany'));
    if (this.#durable) {
      await Promise.all(entries.map(({ key, value, ttl }) => cacher.save(key, value, ttl === undefined ? undefined : { ttl })));
      return;
    }
    let over = false;
    for (const { key, value, ttl } of entries) over = !cacher.set(key, value, ttl === undefined ? undefined : { ttl }) || over;
    if (over) await cacher.drained();
  }

  /** Deletes `key` (in memory now, in the store write-behind); true when it existed. */
  async delete(key: string): Promise<boolean> {
    const cacher = this.#source.current ?? (await this.#source.ready('delete'));
    const existed = cacher.delete(key);
    if (this.#durable) await cacher.sync();
    return existed;
  }

  /** Deletes every key; true when every one of them existed (Keyv's own fallback answers so). */
  async deleteMany(keys: string[]): Promise<boolean> {
    const cacher = this.#source.current ?? (await this.#source.ready('deleteMany'));
    let all = keys.length > 0;
    for (const key of keys) all = cacher.delete(key) && all;
    if (this.#durable) await cacher.sync();
    return all;
  }

  /**
   * With a namespace (Keyv sets one, `'keyv'` by default), deletes the keys of that namespace
   * only, those live when the call started; without one, clears the whole cacher (`cacher.clear()`,
   * durable when it resolves).
   */
  async clear(): Promise<void> {
    const cacher = this.#source.current ?? (await this.#source.ready('clear'));
    if (this.namespace === undefined || this.namespace === '') {
      await cacher.clear();
      return;
    }
    await deletePrefixed(cacher, `${this.namespace}:`);
    if (this.#durable) await cacher.sync();
  }

  async has(key: string): Promise<boolean> {
    const cacher = this.#source.current ?? (await this.#source.ready('has'));
    if (cacher.has(key)) return true;
    // A store that only reads asynchronously (Redis) cannot answer `has` synchronously on a miss.
    return cacher.store.load !== undefined && (await cacher.load(key)) !== undefined;
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    return Promise.all(keys.map((key) => this.has(key)));
  }

  /**
   * Every `[key, storedValue]` whose key starts with `namespace:` (every entry when
   * `namespace` is empty), keys as stored (prefixed). Keyv unprefixes them, deserializes the
   * values and drops expired ones.
   */
  async *iterator<Value>(namespace?: string): AsyncGenerator<Array<string | Awaited<Value> | undefined>, void> {
    const cacher = this.#source.current ?? (await this.#source.ready('iterate'));
    const prefix = namespace === undefined || namespace === '' ? '' : `${namespace}:`;
    for await (const key of cacher.keys()) {
      if (!key.startsWith(prefix)) continue;
      const value = await cacher.load(key);
      // Deleted or expired between the listing and the read.
      if (value === undefined) continue;
      yield [key, value as Awaited<Value>];
    }
  }

  /**
   * A durability barrier: resolves once every write accepted before the call (through this
   * adapter or any other user of the cacher) is durable. Rejects with `ERR_SYNC_TIMEOUT` after
   * `timeout` ms (default 30 s), the writes staying queued.
   */
  async sync(options?: WaitOptions): Promise<void> {
    const cacher = this.#source.current ?? (await this.#source.ready('sync'));
    await cacher.sync(options);
  }

  /**
   * Stops an owned cacher (after writing everything queued: durable when it resolves) or, for a
   * borrowed one, only detaches from it. Later calls reject with `ERR_STOPPED`. Idempotent; after
   * an `ERR_STOP_TIMEOUT` the cacher keeps running with its writes queued, and calling it again
   * retries the stop.
   */
  async disconnect(): Promise<void> {
    // Detached only once stopped: errors of the last flush still reach the adapter's listeners,
    // and a stop that timed out (ERR_STOP_TIMEOUT) can be retried by calling this again.
    await this.#source.release();
    if (this.#forward !== undefined) this.#source.cacher.off('error', this.#forward);
    this.#forward = undefined;
  }
}
