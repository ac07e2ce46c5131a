/**
 * `Bucket`, the bucketcache-style API: a directory-backed cache keyed by any value, with a
 * lifetime, a codec, a key maker, a memoizer and deferred writes. It is a thin layer over the
 * engine: each key is turned into a fixed-length string by the key maker and handed to a
 * `Cacher`, so `get`/`set`/`has`/`delete` are the engine's synchronous memory path and every
 * write is persisted behind the caller's back.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Codec } from '../../shared/codecs.js';
import { Cacher, type WaitOptions } from '../engine/cacher.js';
import { type CacherOptions } from '../engine/options.js';
import { rejectUnknown, show } from '../core/validate.js';
import { unrefTimer } from '../core/timers.js';
import { LarderError } from '../core/errors.js';
import { isKeyMaker, type KeyMaker } from '../keys/key-maker.js';
import { defaultKeyMaker } from '../keys/streaming-key-maker.js';
import { debug, describeKey } from './bucket-log.js';
import { checkManifest } from './bucket-manifest.js';
import { DeferredBucket } from './deferred-bucket.js';
import { lifetimeMs, type Lifetime } from './lifetime.js';
import { cachedMethod, memoize, type BucketMemoizeOptions } from './memoize.js';
import { reportError } from '../core/report.js';

/** Engine options a bucket passes through; the rest are the bucket's own options. */
export type BucketEngineOptions = Omit<CacherOptions, 'dir' | 'store' | 'codec' | 'ttl'>;

export interface BucketOptions {
  /** Serialization: 'v8', 'json', 'msgpack', a registered name, or a codec object. @default 'v8' */
  codec?: string | Codec;
  /** Turns keys into stored keys. @default a `StreamingKeyMaker` */
  keyMaker?: KeyMaker;
  /** Where entries persist (see `CacherOptions.store`). @default 'files' */
  store?: CacherOptions['store'];
  /** Log keys in full instead of abbreviated (with `NODE_DEBUG=larder`). @default false */
  logFullKeys?: boolean;
  /** Run `prune()` in the background every this many ms; 0 = never. @default 0 */
  sweepInterval?: number;
  /** Passed to the engine: `flushDelay`, `durability`, `threads`, `maxEntries`, `timers`, … */
  engine?: BucketEngineOptions;
}

export interface PruneResult {
  /** Bytes the removed entries occupied in the store. */
  bytes: number;
  /** Entries removed. */
  count: number;
}

const OPTION_NAMES = new Set(['codec', 'keyMaker', 'store', 'logFullKeys', 'sweepInterval', 'engine']);
const OWN_ENGINE_OPTIONS = ['dir', 'store', 'codec', 'ttl'] as const;

function validateDir(dir: unknown): string {
  if (dir instanceof URL) return fileURLToPath(dir);
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`dir must be a non-empty string or a file: URL, received ${show(dir)}`);
  return dir;
}

export class Bucket implements AsyncDisposable {
  /** The directory entries are stored in. */
  readonly dir: string;
  /** Default lifetime of an entry in ms; 0 = never expires. */
  readonly lifetime: number;
  readonly keyMaker: KeyMaker;
  readonly logFullKeys: boolean;
  /** The engine underneath: its events (`'error'`, `'flush'`), `stats`, `pause()`… */
  readonly cacher: Cacher;
  readonly #sweepInterval: number;
  #starting: Promise<void> | undefined;
  #sweepTimer: unknown;
  #sweeping: Promise<unknown> | undefined;
  #closed = false;

  /**
   * Validates everything at once; `start()` (or `Bucket.open`) then opens the directory.
   * @param lifetime `{ ttl }` in ms or `{ days, hours, minutes, seconds, ms }`; omitted = never expires.
   */
  constructor(dir: string | URL, lifetime?: Lifetime, options: BucketOptions = {}) {
    this.dir = validateDir(dir);
    this.lifetime = lifetime === undefined ? 0 : lifetimeMs('lifetime', lifetime);
    if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, received ${show(options)}`);
    rejectUnknown('', options, OPTION_NAMES);
    const { codec, keyMaker = defaultKeyMaker, store = 'files', logFullKeys = false, sweepInterval = 0, engine = {} } = options;
    if (!isKeyMaker(keyMaker)) throw new TypeError(`keyMaker must be an object with a name and a makeKey(value) method, received ${show(keyMaker)}`);
    if (typeof logFullKeys !== 'boolean') throw new TypeError(`logFullKeys must be a boolean, received ${show(logFullKeys)}`);
    if (typeof sweepInterval !== 'number' || !Number.isFinite(sweepInterval) || sweepInterval < 0) {
      throw new RangeError(`sweepInterval must be a finite number of ms ≥ 0, received ${show(sweepInterval)}`);
    }
    if (typeof engine !== 'object' || engine === null) throw new TypeError(`engine must be an object of Cacher options, received ${show(engine)}`);
    for (const name of OWN_ENGINE_OPTIONS) {
      if (Object.hasOwn(engine, name)) throw new TypeError(`engine.${name} is set by the bucket; pass it as the bucket's ${name === 'ttl' ? 'lifetime' : name === 'dir' ? 'dir argument' : `${name} option`}`);
    }
    this.keyMaker = keyMaker;
    this.logFullKeys = logFullKeys;
    this.#sweepInterval = sweepInterval;
    const engineOptions: CacherOptions = { ...engine, dir: this.dir, store, ttl: this.lifetime };
    if (codec !== undefined) engineOptions.codec = codec;
    this.cacher = new Cacher(engineOptions);
  }

  /** `new Bucket(...)` then `await start()`. */
  static async open(dir: string | URL, lifetime?: Lifetime, options?: BucketOptions): Promise<Bucket> {
    const bucket = new Bucket(dir, lifetime, options);
    await bucket.start();
    return bucket;
  }

  get codec(): Codec {
    return this.cacher.options.codec;
  }

  /**
   * Creates the directory (recursively), checks it was written with this codec and key maker
   * (`ERR_CODEC_MISMATCH`, `ERR_KEY_MAKER_MISMATCH`), and starts the engine. Idempotent.
   */
  start(): Promise<void> {
    if (this.#closed) return Promise.reject(new LarderError('ERR_STOPPED', `bucket ${this.dir} is closed; open a new Bucket`));
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const { store, mode } = this.cacher.options;
    if (typeof store === 'string' && store !== 'memory') {
      await mkdir(this.dir, { recursive: true, mode: mode.dir });
      await checkManifest(this.dir, this.codec, this.keyMaker, mode.file);
    }
    await this.cacher.start();
    if (debug.enabled) {
      debug('bucket %s: open (codec %s, key maker %s, lifetime %d ms)', this.dir, this.codec.name, this.keyMaker.name, this.lifetime);
    }
    if (this.#sweepInterval > 0) this.#armSweep();
  }

  /** The stored key for `key`: what the key maker makes of it. */
  key(key: unknown): string {
    return this.keyMaker.makeKey(key);
  }

  /** The value for `key`, or undefined on a miss or after expiry. Synchronous. */
  get(key: unknown): unknown {
    const stored = this.keyMaker.makeKey(key);
    const value = this.cacher.get(stored);
    if (debug.enabled) debug('bucket %s: get %s: %s', this.dir, describeKey(key, stored, this.logFullKeys), value === undefined ? 'miss' : 'hit');
    return value;
  }

  /**
   * Stores `value` (in memory now, on disk write-behind). `lifetime` overrides the bucket's for
   * this entry. Returns false when the engine's queue is above its high-water mark
   * (`await bucket.cacher.drained()` before writing more).
   */
  set(key: unknown, value: unknown, lifetime?: Lifetime): boolean {
    const stored = this.keyMaker.makeKey(key);
    if (debug.enabled) debug('bucket %s: set %s', this.dir, describeKey(key, stored, this.logFullKeys));
    return this.cacher.set(stored, value, lifetime === undefined ? undefined : { ttl: lifetimeMs('lifetime', lifetime) });
  }

  /** Whether `key` has an unexpired entry, answered from metadata without decoding the value. */
  has(key: unknown): boolean {
    return this.cacher.has(this.keyMaker.makeKey(key));
  }

  /** Deletes `key` (write-behind); returns whether it existed. */
  delete(key: unknown): boolean {
    const stored = this.keyMaker.makeKey(key);
    if (debug.enabled) debug('bucket %s: delete %s', this.dir, describeKey(key, stored, this.logFullKeys));
    return this.cacher.delete(stored);
  }

  /**
   * Drops `key` from memory, keeping it on disk; the next `get` reads it back. Returns false
   * (and keeps it) while it has a change not yet written: `await sync()` first to be sure.
   */
  unload(key: unknown): boolean {
    return this.cacher.unload(this.keyMaker.makeKey(key));
  }

  /**
   * Removes expired entries from the store, found from record headers (values are not read),
   * and resolves once that is durable with their count and bytes.
   */
  async prune(options?: WaitOptions): Promise<PruneResult> {
    const result = await this.cacher.prune(options);
    if (debug.enabled) debug('bucket %s: pruned %d entries, %d bytes', this.dir, result.count, result.bytes);
    return result;
  }

  /** Resolves when every write made before the call is durable. */
  sync(options?: WaitOptions): Promise<void> {
    return this.cacher.sync(options);
  }

  /** Stops background sweeping, writes everything pending and closes the engine. Idempotent. */
  async close(options?: WaitOptions): Promise<void> {
    this.#closed = true;
    if (this.#sweepTimer !== undefined) this.cacher.options.timers.clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
    await this.#sweeping;
    await this.#starting?.catch(() => {});
    await this.cacher.stop(options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A view whose writes stay in it, unseen by the bucket, until its `sync()`. */
  deferred(): DeferredBucket {
    return new DeferredBucket(this);
  }

  /** `fn` with its results cached in this bucket (see `BucketMemoizeOptions`). */
  memoize<Args extends unknown[], R, This = unknown>(
    fn: (this: This, ...args: Args) => R,
    options?: BucketMemoizeOptions<Args, R>,
  ): (this: This, ...args: Args) => R {
    return memoize(this, fn, options);
  }

  /**
   * A standard method decorator: `@bucket.cached()` memoizes a method with `method: true` (the
   * instance's own state is part of the key); on a static method the class name is.
   */
  cached(options?: BucketMemoizeOptions) {
    return cachedMethod(this, options);
  }

  #armSweep(): void {
    this.#sweepTimer = unrefTimer(this.cacher.options.timers, () => {
      this.#sweepTimer = undefined;
      if (this.#closed) return;
      this.#sweeping = this.prune()
        .catch((error: unknown) => {
          // The engine's 'error' event is where every background failure goes.
          reportError(this.cacher, error);
        })
        .finally(() => {
          this.#sweeping = undefined;
          if (!this.#closed) this.#armSweep();
        });
    }, this.#sweepInterval);
  }
}
