/**
 * `Region`, dogpile.cache's region for Node: a store plus the dogpile lock. When a value is
 * missing or expired exactly one creator runs per key in this process (and in all processes when
 * the store offers `mutex`); everyone else waits for it with a deadline, or is served the expired
 * value while it is regenerated.
 *
 * In-process single-flight is a map key → promise of the creation ("flight"): a caller that finds
 * a flight joins it instead of starting another, and the flight leaves the map the moment it
 * settles, so its result (value or error) reaches every caller that joined, once.
 */
import { EventEmitter } from 'node:events';
import { duration } from '../core/validate.js';
import type { Timers } from '../core/timers.js';
import { ENTRY_FORMAT_VERSION, NO_VALUE, type Backend, type CachedEntry, type MutexLease, type NoValue } from './backend.js';
import { boundedWait } from './bounded-wait.js';
import { memoize, memoizeMany, type Memoized, type MemoizedMany, type MemoizeManyOptions, type MemoizeOptions } from './memoize.js';
import { wrapBackend } from './backends/proxy-backend.js';
import { CreatorResultError, RegionBroadcastError, RegionWaitTimeoutError } from './region-errors.js';
import {
  resolveCallOptions,
  resolveRegionOptions,
  show,
  ttlOption,
  type GetOrCreateOptions,
  type GetOrCreateOptionsMaybeMissing,
  type RegionGetOptions,
  type RegionOptions,
  type RegionSetOptions,
  type ResolvedCallOptions,
  type ResolvedRegionOptions,
  type TtlOption,
} from './region-options.js';
import { reportError } from '../core/report.js';

export type Creator<T> = (key: string) => T | PromiseLike<T>;
export type ManyCreator<T> = (keys: string[]) => readonly T[] | PromiseLike<readonly T[]>;

/** How an entry read from the store stands now. */
type Standing = 'fresh' | 'stale' | 'dead';

/** One key a flight creates: its store key, the caller's key, and the expired value if any. */
interface Wanted {
  k: string;
  key: string;
  stale: CachedEntry | undefined;
}

const noop = (): void => {};
const PLAIN_READ = Object.freeze({ maxAge: undefined, ignoreExpiry: false });

export class Region extends EventEmitter {
  readonly name: string;
  /** The store, wrapped in the region's middleware. */
  readonly store: Backend;
  readonly #options: ResolvedRegionOptions;
  readonly #timers: Timers;
  readonly #defaults: ResolvedCallOptions;
  readonly #flights = new Map<string, Promise<unknown>>();
  /** Entries created at or before this instant read as expired (soft invalidation). */
  #softBefore = Number.NEGATIVE_INFINITY;
  /** Entries created at or before this instant read as missing (hard invalidation). */
  #hardBefore = Number.NEGATIVE_INFINITY;
  /**
   * Bumped by every write, delete and invalidation of this region. A caller whose store read
   * began before a bump may have read an outdated miss, so its flight reads again first.
   */
  #writes = 0;
  /** Stops listening for other processes' invalidations of this region (stores that broadcast them). */
  readonly #unsubscribe: (() => void) | undefined;

  constructor(options: RegionOptions) {
    super();
    this.#options = resolveRegionOptions(options);
    this.#timers = this.#options.timers;
    this.name = this.#options.name;
    this.store = wrapBackend(this.#options.store, this.#options.wrap);
    this.#defaults = resolveCallOptions({}, this.#options);
    this.#unsubscribe = this.store.onRegionInvalidation?.((message) => {
      if (message.region === this.name) this.#invalidateBefore(message.hard, message.at);
    });
  }

  /** Keys created right now (in this process). */
  isRegenerating(key: string): boolean {
    return this.#flights.has(this.#mangle(key));
  }

  /** The value, or `NO_VALUE` when missing, expired, invalidated or of an unknown entry format. */
  async get<T = unknown>(key: string, options?: RegionGetOptions): Promise<T | NoValue> {
    const k = this.#mangle(key);
    const { maxAge, ignoreExpiry } = readOptions(options);
    const entry = readable(await this.store.get(k));
    return entry !== undefined && this.#usable(entry, maxAge, ignoreExpiry) ? (entry.value as T) : NO_VALUE;
  }

  /** Like `get`, with the entry's metadata (`createdAt`, `expiresAt`, `version`). */
  async getEntry<T = unknown>(key: string, options?: RegionGetOptions): Promise<CachedEntry<T> | NoValue> {
    const k = this.#mangle(key);
    const { maxAge, ignoreExpiry } = readOptions(options);
    const entry = readable(await this.store.get(k));
    return entry !== undefined && this.#usable(entry, maxAge, ignoreExpiry) ? { ...(entry as CachedEntry<T>) } : NO_VALUE;
  }

  async getMany<T = unknown>(keys: readonly string[], options?: RegionGetOptions): Promise<Array<T | NoValue>> {
    const ks = this.#mangleAll(keys);
    const { maxAge, ignoreExpiry } = readOptions(options);
    const entries = await this.store.getMany(ks);
    return entries.map((raw) => {
      const entry = readable(raw);
      return entry !== undefined && this.#usable(entry, maxAge, ignoreExpiry) ? (entry.value as T) : NO_VALUE;
    });
  }

  async set(key: string, value: unknown, options?: RegionSetOptions): Promise<void> {
    const k = this.#mangle(key);
    const ttl = setTtl(options, this.#options.ttl);
    await this.store.set(k, this.#entry(value, ttlOf(ttl, value, key), key));
    this.#writes++;
  }

  async setMany(entries: Iterable<readonly [string, unknown]>, options?: RegionSetOptions): Promise<void> {
    const ttl = setTtl(options, this.#options.ttl);
    const batch = new Map<string, CachedEntry>();
    for (const [key, value] of entries) batch.set(this.#mangle(key), this.#entry(value, ttlOf(ttl, value, key), key));
    await this.store.setMany(batch);
    this.#writes++;
  }

  /** Idempotent. */
  async delete(key: string): Promise<void> {
    await this.store.delete(this.#mangle(key));
    this.#writes++;
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    await this.store.deleteMany(this.#mangleAll(keys));
    this.#writes++;
  }

  /**
   * Invalidates every value created until now. `hard` (the default): they read as missing, so
   * callers wait for new ones. Soft: they read as expired, so one caller regenerates each while the
   * others are served the old value. It applies in this process at once; when the store broadcasts
   * (`publishRegionInvalidation`, e.g. Redis) every other region of this name applies it too. A
   * failed broadcast is reported as an `'error'` event (RegionBroadcastError), not thrown.
   */
  async invalidate(options: { hard?: boolean } = {}): Promise<void> {
    const { hard = true } = options;
    if (typeof hard !== 'boolean') throw new TypeError(`hard must be a boolean, received ${show(hard)}`);
    const at = this.#timers.now();
    this.#invalidateBefore(hard, at);
    if (this.store.publishRegionInvalidation === undefined) return;
    try {
      await this.store.publishRegionInvalidation({ region: this.name, hard, at });
    } catch (error) {
      this.#report(new RegionBroadcastError(this.name, hard, error));
    }
  }

  /** Removes every entry of the store. */
  async clear(): Promise<void> {
    await this.store.clear();
    this.#writes++;
  }

  /** Closes the store (a backend built by `configureFromConfig` stops its cacher). */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    await this.store.close?.();
  }

  /**
   * The value for `key`, created by `creator` when missing or expired: one creator per key at a
   * time; concurrent callers wait for it (up to `waitTimeout`) or get the expired value.
   */
  getOrCreate<T>(key: string, creator: Creator<T>, options?: GetOrCreateOptions<T> & { onWaitTimeout?: 'throw' }): Promise<T>;
  getOrCreate<T>(key: string, creator: Creator<T>, options: GetOrCreateOptionsMaybeMissing<T>): Promise<T | NoValue>;
  async getOrCreate<T>(key: string, creator: Creator<T>, options?: GetOrCreateOptions<T>): Promise<T | NoValue> {
    const k = this.#mangle(key);
    if (typeof creator !== 'function') throw new TypeError(`creator must be a function, received ${show(creator)}`);
    const o = this.#call(options);
    o.signal?.throwIfAborted();
    const seen = this.#writes;
    const entry = readable(await this.store.get(k));
    const standing = entry === undefined ? 'dead' : this.#standing(entry, this.#timers.now(), undefined);
    if (standing === 'fresh') return (entry as CachedEntry<T>).value;
    const stale = standing === 'stale' ? (entry as CachedEntry<T>) : undefined;
    let flight = this.#flights.get(k) as Promise<T> | undefined;
    if (stale !== undefined && (flight !== undefined || o.refresh === 'background')) {
      if (flight === undefined) this.#create([{ k, key, stale }], async ([one]) => [await creator(one as string)], o, seen, true);
      return stale.value;
    }
    flight ??= this.#create([{ k, key, stale }], async ([one]) => [await creator(one as string)], o, seen, false).get(k) as Promise<T>;
    return this.#await(flight, key, stale, o);
  }

  /**
   * Values for `keys`, in their order. Missing and expired ones not being created already are
   * created by ONE call of `creator` with exactly those keys (in the order of `keys`), which must
   * return their values in that order. Store locks (`mutex`) are taken in sorted key order, so
   * two callers with overlapping keys never deadlock.
   */
  getOrCreateMany<T>(keys: readonly string[], creator: ManyCreator<T>, options?: GetOrCreateOptions<T> & { onWaitTimeout?: 'throw' }): Promise<T[]>;
  getOrCreateMany<T>(keys: readonly string[], creator: ManyCreator<T>, options: GetOrCreateOptionsMaybeMissing<T>): Promise<Array<T | NoValue>>;
  async getOrCreateMany<T>(keys: readonly string[], creator: ManyCreator<T>, options?: GetOrCreateOptions<T>): Promise<Array<T | NoValue>> {
    if (!Array.isArray(keys)) throw new TypeError(`keys must be an array of strings, received ${show(keys)}`);
    if (typeof creator !== 'function') throw new TypeError(`creator must be a function, received ${show(creator)}`);
    const unique = [...new Set(keys)];
    const ks = this.#mangleAll(unique);
    const o = this.#call(options);
    o.signal?.throwIfAborted();
    const seen = this.#writes;
    const raw = await this.store.getMany(ks);
    const now = this.#timers.now();
    const results = new Map<string, T | NoValue>();
    const waits: Array<{ key: string; result: Promise<T | NoValue> }> = [];
    const wanted: Wanted[] = [];
    for (let i = 0; i < unique.length; i++) {
      const key = unique[i] as string;
      const k = ks[i] as string;
      const entry = readable(raw[i] ?? NO_VALUE);
      const standing = entry === undefined ? 'dead' : this.#standing(entry, now, undefined);
      if (standing === 'fresh') {
        results.set(key, (entry as CachedEntry<T>).value);
        continue;
      }
      const stale = standing === 'stale' ? (entry as CachedEntry<T>) : undefined;
      const flight = this.#flights.get(k) as Promise<T> | undefined;
      if (stale !== undefined && (flight !== undefined || o.refresh === 'background')) results.set(key, stale.value);
      if (flight === undefined) wanted.push({ k, key, stale });
      else if (stale === undefined) waits.push({ key, result: this.#await(flight, key, undefined, o) });
    }
    if (wanted.length > 0) {
      const background = o.refresh === 'background';
      const flights = this.#create(wanted, creator, o, seen, background);
      for (const { k, key, stale } of wanted) {
        if (!(background && stale !== undefined)) waits.push({ key, result: this.#await(flights.get(k) as Promise<T>, key, stale as CachedEntry<T> | undefined, o) });
      }
    }
    await Promise.all(waits.map(async ({ key, result }) => results.set(key, await result)));
    return keys.map((key) => results.get(key) as T | NoValue);
  }

  /** dogpile's `cache_on_arguments`: see `MemoizeOptions`. */
  memoize<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, options?: MemoizeOptions<R, A> & { onWaitTimeout?: 'throw' }): Memoized<A, R, R>;
  memoize<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, options: MemoizeOptions<R, A> & { onWaitTimeout: 'stale' | 'miss' }): Memoized<A, R, R | NoValue>;
  memoize<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>, options: MemoizeOptions<R, A> = {}): Memoized<A, R, R | NoValue> {
    return memoize(this, fn, options);
  }

  /** dogpile's `cache_multi_on_arguments`: see `MemoizeManyOptions`. */
  memoizeMany<I, R>(fn: (items: I[]) => readonly R[] | PromiseLike<readonly R[]>, options?: MemoizeManyOptions<I, R>): MemoizedMany<I, R> {
    return memoizeMany(this, fn, options ?? {});
  }

  /**
   * Starts one flight creating `wanted` and registers a per-key flight for each, so later
   * callers join it. Resolves with the flights by store key. In the background, a failure is
   * reported as an `'error'` event since no caller waits for it.
   */
  #create(wanted: readonly Wanted[], creator: ManyCreator<unknown>, o: ResolvedCallOptions, seen: number, background: boolean): Map<string, Promise<unknown>> {
    const batch = this.#produce(wanted, creator, o, seen);
    if (background) batch.catch((error: unknown) => this.#report(error));
    const flights = new Map<string, Promise<unknown>>();
    for (const { k } of wanted) {
      const flight: Promise<unknown> = batch
        .then((values) => values.get(k))
        .finally(() => {
          if (this.#flights.get(k) === flight) this.#flights.delete(k);
        });
      // Every waiter may have given up (timeout, abort): the failure must not go unhandled.
      flight.catch(noop);
      this.#flights.set(k, flight);
      flights.set(k, flight);
    }
    return flights;
  }

  /** The creation itself: store locks, a re-read when it may be out of date, the creator, the store. */
  async #produce(wanted: readonly Wanted[], creator: ManyCreator<unknown>, o: ResolvedCallOptions, seen: number): Promise<Map<string, unknown>> {
    const values = new Map<string, unknown>();
    const leases: MutexLease[] = [];
    try {
      let todo = wanted;
      const mutex = this.store.mutex;
      if (mutex !== undefined) {
        const served = new Set<string>();
        for (const item of [...wanted].sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))) {
          const lease = await mutex.call(this.store, item.k).acquire(item.stale !== undefined ? { wait: false } : lockWait(o.waitTimeout));
          if (lease !== undefined) leases.push(lease);
          else if (item.stale === undefined) throw new RegionWaitTimeoutError(this.name, item.key, o.waitTimeout);
          else {
            // Another process is regenerating it: this one serves the expired value meanwhile.
            values.set(item.k, item.stale.value);
            served.add(item.k);
          }
        }
        todo = wanted.filter((item) => !served.has(item.k));
      }
      if (todo.length > 0 && (leases.length > 0 || this.#writes !== seen)) {
        const current = await this.store.getMany(todo.map((item) => item.k));
        const now = this.#timers.now();
        todo = todo.filter((item, i) => {
          const entry = readable(current[i] ?? NO_VALUE);
          if (entry === undefined || this.#standing(entry, now, undefined) !== 'fresh') return true;
          values.set(item.k, entry.value);
          return false;
        });
      }
      if (todo.length === 0) return values;
      const keys = todo.map((item) => item.key);
      const created = await creator(keys);
      if (!Array.isArray(created) || created.length !== todo.length) throw new CreatorResultError(this.name, keys, created);
      const batch = new Map<string, CachedEntry>();
      for (let i = 0; i < todo.length; i++) {
        const { k, key } = todo[i] as Wanted;
        const value: unknown = created[i];
        values.set(k, value);
        if (o.shouldCache === undefined || o.shouldCache(value, key)) batch.set(k, this.#entry(value, ttlOf(o.ttl, value, key), key));
      }
      if (batch.size > 0) {
        await this.store.setMany(batch);
        this.#writes++;
      }
      return values;
    } finally {
      await Promise.all(leases.map((lease) => lease.release()));
    }
  }

  /** Waits for a flight as one caller, applying its deadline, signal and fallbacks. */
  async #await<T>(flight: Promise<T>, key: string, stale: CachedEntry<T> | undefined, o: ResolvedCallOptions): Promise<T | NoValue> {
    let waited;
    try {
      waited = await boundedWait(flight, this.#timers, o.waitTimeout, o.signal);
    } catch (error) {
      if (error instanceof RegionWaitTimeoutError) return this.#timedOut(key, stale, o);
      if (stale !== undefined && o.staleIfError > 0 && !(o.signal?.aborted === true) && this.#withinGrace(stale, o.staleIfError)) return stale.value;
      throw error;
    }
    return waited.timedOut ? this.#timedOut(key, stale, o) : waited.value;
  }

  #timedOut<T>(key: string, stale: CachedEntry<T> | undefined, o: ResolvedCallOptions): T | NoValue {
    if (o.onWaitTimeout === 'throw') throw new RegionWaitTimeoutError(this.name, key, o.waitTimeout);
    return o.onWaitTimeout === 'stale' && stale !== undefined ? stale.value : NO_VALUE;
  }

  /** Whether a stale entry went stale (expired or soft-invalidated) at most `grace` ms ago. */
  #withinGrace(entry: CachedEntry, grace: number): boolean {
    const now = this.#timers.now();
    const expired = entry.expiresAt !== 0 && entry.expiresAt <= now ? entry.expiresAt : Number.POSITIVE_INFINITY;
    const invalidated = entry.createdAt <= this.#softBefore ? this.#softBefore : Number.POSITIVE_INFINITY;
    return now - Math.min(expired, invalidated) <= grace;
  }

  /** Entries created at or before `at` read as missing (`hard`) or expired. Never moves back. */
  #invalidateBefore(hard: boolean, at: number): void {
    if (hard) this.#hardBefore = Math.max(this.#hardBefore, at);
    else this.#softBefore = Math.max(this.#softBefore, at);
    this.#writes++;
  }

  #standing(entry: CachedEntry, now: number, maxAge: number | undefined): Standing {
    if (entry.createdAt <= this.#hardBefore) return 'dead';
    if (entry.expiresAt !== 0 && now >= entry.expiresAt) return 'stale';
    if (entry.createdAt <= this.#softBefore) return 'stale';
    return maxAge !== undefined && now - entry.createdAt > maxAge ? 'stale' : 'fresh';
  }

  #usable(entry: CachedEntry, maxAge: number | undefined, ignoreExpiry: boolean): boolean {
    const standing = this.#standing(entry, this.#timers.now(), maxAge);
    return standing === 'fresh' || (standing === 'stale' && ignoreExpiry);
  }

  #entry(value: unknown, ttl: number, key: string): CachedEntry {
    // The clock may not have moved since invalidate(): a value made after it must not read as
    // invalidated, so it is dated at least one ms later.
    const createdAt = Math.max(this.#timers.now(), this.#softBefore + 1, this.#hardBefore + 1);
    if (ttl !== 0 && !(ttl > 0 && Number.isFinite(ttl))) throw new RangeError(`ttl for ${JSON.stringify(key)} must be a finite number of ms ≥ 0, received ${show(ttl)}`);
    return { value, createdAt, expiresAt: ttl === 0 ? 0 : createdAt + ttl, version: ENTRY_FORMAT_VERSION };
  }

  #call(options: GetOrCreateOptions<never> | undefined): ResolvedCallOptions {
    return options === undefined ? this.#defaults : resolveCallOptions(options, this.#options);
  }

  #mangle(key: string): string {
    if (typeof key !== 'string') throw new TypeError(`key must be a string, received ${show(key)}`);
    const mangler = this.#options.keyMangler;
    if (mangler === undefined) return key;
    const k = mangler(key);
    if (typeof k !== 'string') throw new TypeError(`keyMangler must return a string, received ${show(k)} for ${JSON.stringify(key)}`);
    return k;
  }

  #mangleAll(keys: readonly string[]): string[] {
    if (!Array.isArray(keys)) throw new TypeError(`keys must be an array of strings, received ${show(keys)}`);
    return keys.map((key) => this.#mangle(key));
  }

  #report(error: unknown): void {
    const background = { message: `region ${JSON.stringify(this.name)}: background regeneration failed: ${(error as Error)?.message ?? String(error)}`, code: 'ERR_REGION_BACKGROUND' };
    reportError(this, error, error instanceof RegionBroadcastError ? undefined : background);
  }
}

/** A store entry the region can read; an unknown metadata format version is a miss. */
function readable(raw: CachedEntry | NoValue): CachedEntry | undefined {
  return raw === NO_VALUE || raw.version !== ENTRY_FORMAT_VERSION ? undefined : raw;
}

function readOptions(options: RegionGetOptions | undefined): { maxAge: number | undefined; ignoreExpiry: boolean } {
  if (options === undefined) return PLAIN_READ;
  const { maxAge, ignoreExpiry = false } = options;
  if (typeof ignoreExpiry !== 'boolean') throw new TypeError(`ignoreExpiry must be a boolean, received ${show(ignoreExpiry)}`);
  return { maxAge: maxAge === undefined ? undefined : duration('maxAge', maxAge), ignoreExpiry };
}

function setTtl(options: RegionSetOptions | undefined, fallback: number): TtlOption<unknown> {
  return options?.ttl === undefined ? fallback : ttlOption('ttl', options.ttl);
}

function ttlOf(ttl: TtlOption<unknown>, value: unknown, key: string): number {
  return typeof ttl === 'function' ? ttl(value, key) : ttl;
}

function lockWait(timeout: number): { wait: true; timeout?: number } {
  return timeout === Number.POSITIVE_INFINITY ? { wait: true } : { wait: true, timeout };
}
