/**
 * Options of `Region` and of its calls: documented types, and their validation into the
 * resolved form the Region works with. Bad values throw at once (TypeError/RangeError naming the
 * option and the value received).
 */
import { duration, optionalFunction, rejectUnknown, show, validateTimers, waitDuration } from '../core/validate.js';
import { systemTimers, type Timers } from '../core/timers.js';
import { Cacher } from '../engine/cacher.js';
import type { Backend } from './backend.js';
import { CacherBackend } from './backends/cacher-backend.js';
import { isBackend, type BackendMiddleware } from './backends/proxy-backend.js';
import { RedisBackend, coordinatorOf } from './backends/redis-backend.js';

export interface RegionOptions {
  /**
   * Where entries live: a `Cacher` (wrapped for you: in a `RedisBackend` when its store is a
   * `RedisStore` or a `TieredStore` in front of one, so single-flight and invalidation reach
   * every process; else in a `CacherBackend`), or any `Backend` — a `MemoryBackend`, a
   * registered backend…
   */
  store: Backend | Cacher;
  /** Shown in errors. @default 'default' */
  name?: string;
  /** Time-to-live of created and set values, in ms; 0 = never expire. @default 0 */
  ttl?: number;
  /** Maps every key before it reaches the store (prefixing, hashing long keys…). */
  keyMangler?: (key: string) => string;
  /** Store middleware, the first outermost (see `BackendMetrics`). @default [] */
  wrap?: readonly BackendMiddleware[];
  /** Default `waitTimeout` of `getOrCreate` and `getOrCreateMany`, in ms (Infinity allowed). @default 30000 */
  waitTimeout?: number;
  /** Clock and timers; tests pass their own. @default the system's */
  timers?: Timers;
}

export interface RegionGetOptions {
  /** Treat an entry created more than this many ms ago as expired. */
  maxAge?: number;
  /** Return an expired or soft-invalidated value instead of `NO_VALUE` (never a hard-invalidated one). @default false */
  ignoreExpiry?: boolean;
}

/** A number of ms, or a function of the created value and its key giving one (0 = never expire). */
export type TtlOption<T> = number | ((value: T, key: string) => number);

export interface RegionSetOptions {
  /** Overrides the region's `ttl`: ms, or a function of the value and its key. */
  ttl?: TtlOption<unknown>;
}

/** What a caller gets when `waitTimeout` passes before the value is created. */
export type WaitTimeoutPolicy = 'stale' | 'miss' | 'throw';

export interface GetOrCreateOptions<T> {
  /** Time-to-live of the value created, in ms, or a function of it. @default the region's ttl */
  ttl?: TtlOption<T>;
  /** Called with each created value; false → returned to the callers but not stored. */
  shouldCache?: (value: T, key: string) => boolean;
  /** Longest a caller waits for a value being created, in ms (Infinity allowed). @default the region's */
  waitTimeout?: number;
  /**
   * After `waitTimeout`: `'throw'` rejects with `RegionWaitTimeoutError`; `'miss'` resolves
   * `NO_VALUE`; `'stale'` resolves the expired value when there is one, else `NO_VALUE`.
   * The creation itself goes on either way and fills the cache for later callers.
   * @default 'throw'
   */
  onWaitTimeout?: WaitTimeoutPolicy;
  /**
   * When regenerating an expired value fails, callers get the expired value instead of the error
   * for this many ms after it expired. 0 = never. @default 0
   */
  staleIfError?: number;
  /**
   * `'background'`: an expired value is returned at once to every caller, the one who finds it
   * expired included, and regenerated once in the background (failures go to the region's
   * `'error'` event). @default 'inline'
   */
  refresh?: 'inline' | 'background';
  /** Stops this caller's wait (rejecting with the signal's reason); the creation goes on. */
  signal?: AbortSignal;
}

/** Options whose policy can resolve `NO_VALUE` instead of a value. */
export type GetOrCreateOptionsMaybeMissing<T> = GetOrCreateOptions<T> & { onWaitTimeout: 'stale' | 'miss' };

export interface ResolvedRegionOptions {
  store: Backend;
  name: string;
  ttl: number;
  keyMangler: ((key: string) => string) | undefined;
  waitTimeout: number;
  timers: Timers;
  wrap: readonly BackendMiddleware[];
}

export interface ResolvedCallOptions {
  ttl: TtlOption<unknown>;
  shouldCache: ((value: unknown, key: string) => boolean) | undefined;
  waitTimeout: number;
  onWaitTimeout: WaitTimeoutPolicy;
  staleIfError: number;
  refresh: 'inline' | 'background';
  signal: AbortSignal | undefined;
}

const REGION_OPTIONS = new Set(['store', 'name', 'ttl', 'keyMangler', 'wrap', 'waitTimeout', 'timers']);
const CALL_OPTIONS = new Set(['ttl', 'shouldCache', 'waitTimeout', 'onWaitTimeout', 'staleIfError', 'refresh', 'signal']);
const DEFAULT_WAIT = 30_000;

/** The engine's option checks, so every option error reads alike. */
export { rejectUnknown, show, waitDuration };

export function ttlOption(name: string, value: unknown): TtlOption<unknown> {
  return typeof value === 'function' ? (value as TtlOption<unknown>) : duration(name, value);
}

export function resolveRegionOptions(options: RegionOptions): ResolvedRegionOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Region options must be an object with a store, received ${show(options)}`);
  rejectUnknown('Region', options, REGION_OPTIONS);
  const { store, name = 'default', ttl = 0, keyMangler, wrap = [], waitTimeout = DEFAULT_WAIT, timers = systemTimers } = options;
  if (!(store instanceof Cacher) && !isBackend(store)) {
    throw new TypeError(`store must be a Cacher or a Backend (get, getMany, set, setMany, delete, deleteMany, keys, clear), received ${show(store)}`);
  }
  if (typeof name !== 'string' || name === '') throw new TypeError(`name must be a non-empty string, received ${show(name)}`);
  if (!Array.isArray(wrap)) throw new TypeError(`wrap must be an array of middleware functions, received ${show(wrap)}`);
  validateTimers(timers);
  return {
    store: store instanceof Cacher ? (coordinatorOf(store.store) !== undefined ? new RedisBackend(store) : new CacherBackend(store)) : store,
    name,
    ttl: duration('ttl', ttl),
    keyMangler: optionalFunction('keyMangler', keyMangler),
    waitTimeout: waitDuration('waitTimeout', waitTimeout),
    timers,
    wrap,
  };
}

export function resolveCallOptions(options: GetOrCreateOptions<never>, region: ResolvedRegionOptions): ResolvedCallOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, received ${show(options)}`);
  rejectUnknown('getOrCreate', options, CALL_OPTIONS);
  const { ttl = region.ttl, shouldCache, waitTimeout = region.waitTimeout, onWaitTimeout = 'throw', staleIfError = 0, refresh = 'inline', signal } = options;
  if (onWaitTimeout !== 'stale' && onWaitTimeout !== 'miss' && onWaitTimeout !== 'throw') {
    throw new TypeError(`onWaitTimeout must be 'stale', 'miss' or 'throw', received ${show(onWaitTimeout)}`);
  }
  if (refresh !== 'inline' && refresh !== 'background') throw new TypeError(`refresh must be 'inline' or 'background', received ${show(refresh)}`);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal, received ${show(signal)}`);
  return {
    ttl: ttlOption('ttl', ttl),
    shouldCache: optionalFunction('shouldCache', shouldCache),
    waitTimeout: waitDuration('waitTimeout', waitTimeout),
    onWaitTimeout,
    staleIfError: duration('staleIfError', staleIfError),
    refresh,
    signal,
  };
}
