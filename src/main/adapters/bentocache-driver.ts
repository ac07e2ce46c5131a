/**
 * A BentoCache L2 driver over a larder `Cacher`. BentoCache hands its L2 driver values it has
 * already serialized (strings) with a ttl in ms, and asks for namespaced copies of the driver
 * that share one connection: here, one cacher, with keys `prefix:namespace:key`. BentoCache is
 * only a type here: the driver has no run-time dependency on it.
 */
import type { CreateDriverResult, L2CacheDriver } from 'bentocache/types';
import type { Cacher, CacherOptions, WaitOptions } from '../index.js';
import { CacherSource, adapterOptions, booleanOption, deletePrefixed, stringOption } from './cacher-source.js';

export interface LarderDriverOptions {
  /**
   * The cacher: an existing, started `Cacher` (borrowed: the driver never stops it), or the
   * options of one the driver creates, starts on first use and stops on `disconnect()`.
   */
  cacher: Cacher | CacherOptions;
  /**
   * Every write resolves only once durable (`set` awaits `cacher.save()`; deletes and `clear`
   * await `cacher.sync()`), so a BentoCache `set` that resolved survives a crash. Otherwise a
   * write resolves once accepted (in memory, read back at once, queued for writing).
   * @default false
   */
  durable?: boolean;
  /** Key prefix; BentoCache passes its own (`'bentocache'` unless configured). */
  prefix?: string;
}

/** What BentoCache passes the factory: its prefix and logger, then the declared options. */
interface FactoryConfig extends LarderDriverOptions {
  logger?: unknown;
}

const KNOWN: readonly (keyof LarderDriverOptions)[] = ['cacher', 'durable', 'prefix'];

/**
 * Declares a larder L2 layer, as BentoCache's own drivers are declared:
 * `bentostore().useL2Layer(larderDriver({ cacher: { dir: '.cache' } }))`. The options are
 * validated here, and a cacher made from `CacherOptions` is created here (no I/O: it starts on
 * first use); one declaration is one cacher, so give each BentoCache store its own.
 */
export function larderDriver(options: LarderDriverOptions): CreateDriverResult<LarderDriver> {
  const declared = new LarderDriver(options);
  return { options, factory: (config: FactoryConfig) => copyDriver(declared, config.prefix, true) };
}

/** Set by the class below, which alone can reach a driver's shared state. */
let copyDriver: (driver: LarderDriver, prefix: string | undefined, root: boolean) => LarderDriver;

/** The state a driver and its namespaced copies share. */
interface Shared {
  source: CacherSource;
  durable: boolean;
}

export class LarderDriver implements L2CacheDriver {
  readonly type = 'l2' as const;
  /** Every key of this driver starts with `prefix:`; empty for no prefix. */
  readonly prefix: string;
  #shared: Shared;
  /** Only a driver BentoCache (or you) created stops an owned cacher; namespaced copies share it. */
  #root: boolean;

  /** See `larderDriver()`, the usual way in. */
  constructor(options: LarderDriverOptions) {
    const { cacher, durable, prefix } = adapterOptions<LarderDriverOptions>('larderDriver', options, KNOWN);
    if (cacher === undefined) throw new TypeError('larderDriver requires the cacher option (a Cacher or CacherOptions)');
    // BentoCache's own drivers drop trailing colons from a prefix; so do we, for the same keys.
    this.prefix = stringOption('prefix', prefix, '').replace(/:+$/, '');
    this.#shared = { source: new CacherSource(cacher, 'larderDriver'), durable: booleanOption('durable', durable, false) };
    this.#root = true;
  }

  static {
    copyDriver = (driver, prefix, root) => driver.#copy(prefix, root);
  }

  /** The cacher this driver stores into. */
  get cacher(): Cacher {
    return this.#shared.source.cacher;
  }

  namespace(namespace: string): LarderDriver {
    return this.#copy(this.prefix === '' ? namespace : `${this.prefix}:${namespace}`, false);
  }

  async get(key: string): Promise<string | undefined> {
    const cacher = await this.#cacher('get');
    const value = await cacher.load(this.#key(key));
    // BentoCache stores strings; anything else under this key is not one of its entries.
    return typeof value === 'string' ? value : undefined;
  }

  async pull(key: string): Promise<string | undefined> {
    const value = await this.get(key);
    if (value !== undefined) await this.delete(key);
    return value;
  }

  /**
   * Stores an entry BentoCache serialized, expiring after `ttl` ms (no `ttl`: the cacher's own
   * `ttl` option, 0 = never unless set). Resolves once accepted (read-your-writes, not yet
   * durable) or, with `durable`, once durable. Above `highWaterMark` it also waits for the
   * queue to drain below it.
   */
  async set(key: string, value: string, ttl?: number): Promise<boolean> {
    const cacher = await this.#cacher('set');
    const options = ttl === undefined ? undefined : { ttl };
    if (this.#shared.durable) await cacher.save(this.#key(key), value, options);
    else if (!cacher.set(this.#key(key), value, options)) await cacher.drained();
    return true;
  }

  /** Deletes the keys under this driver's prefix (every key when it has none). */
  async clear(): Promise<void> {
    const cacher = await this.#cacher('clear');
    if (this.prefix === '') {
      await cacher.clear();
      return;
    }
    await deletePrefixed(cacher, `${this.prefix}:`);
    if (this.#shared.durable) await cacher.sync();
  }

  /** True when the key existed. */
  async delete(key: string): Promise<boolean> {
    const cacher = await this.#cacher('delete');
    const existed = cacher.delete(this.#key(key));
    if (this.#shared.durable) await cacher.sync();
    return existed;
  }

  /** True once done, whether or not the keys existed (as BentoCache's own drivers answer). */
  async deleteMany(keys: string[]): Promise<boolean> {
    const cacher = await this.#cacher('deleteMany');
    for (const key of keys) cacher.delete(this.#key(key));
    if (this.#shared.durable && keys.length > 0) await cacher.sync();
    return true;
  }

  /** Removes expired entries from the store now (larder also skips them on every read). */
  async prune(): Promise<void> {
    const cacher = await this.#cacher('prune');
    await cacher.prune();
  }

  /** A durability barrier for every write accepted before the call (see `Cacher.sync`). */
  async sync(options?: WaitOptions): Promise<void> {
    const cacher = await this.#cacher('sync');
    await cacher.sync(options);
  }

  /**
   * The driver BentoCache created stops an owned cacher (after writing everything queued);
   * namespaced copies, and drivers over a borrowed cacher, leave it running.
   */
  async disconnect(): Promise<void> {
    if (this.#root) await this.#shared.source.release();
  }

  /** A driver over the same cacher (and the same ownership of it) with another prefix. */
  #copy(prefix: string | undefined, root: boolean): LarderDriver {
    // Built over the cacher as a borrowed one (nothing is created), then given the shared state.
    const copy = new LarderDriver(prefix === undefined ? { cacher: this.cacher } : { cacher: this.cacher, prefix });
    copy.#shared = this.#shared;
    copy.#root = root;
    return copy;
  }

  #key(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}:${key}`;
  }

  #cacher(action: string): Cacher | Promise<Cacher> {
    return this.#shared.source.current ?? this.#shared.source.ready(action);
  }
}
