/**
 * Options of one managed cache: whether and when it persists, and the seven cacheman hooks.
 * Each hook replaces one default step; see `CacheOptions` for when each is called and with what.
 */
import { isDeepStrictEqual } from 'node:util';
import { validateSavePoints } from '../engine/options.js';
import { rejectUnknown, show } from '../core/validate.js';
import { DEFAULT_SAVE_POINTS, type SavePoint } from './save-schedule.js';

/** What a loader, builder or processor may return: a Map, `[key, value]` pairs, or a plain object. */
export type Contents<V> = ReadonlyMap<string, V> | Iterable<readonly [string, V]> | { readonly [key: string]: V };

type MaybePromise<T> = T | Promise<T>;

export interface CacheOptions<V = unknown> {
  /** Persist the contents (through the manager's engine, or `saver`/`loader`). `false`: memory only, never touches disk. @default true */
  persistent?: boolean;
  /** Save automatically at `savePoints`. With `false` a persistent cache saves only on `save()`/`close()`. @default true */
  autosync?: boolean;
  /**
   * Rules `[seconds, changes]`: save once at least `changes` edits are unsaved and the oldest is
   * `seconds` old. Checked on every edit and by a timer. @default [[60, 10000], [300, 10], [900, 1]]
   */
  savePoints?: ReadonlyArray<SavePoint>;
  /** Do not load (or build) at registration; `await cache.load()` does. A memory-only cache with a synchronous builder builds on first access. @default false */
  lazy?: boolean;
  /** Reads the persisted contents instead of the engine; `undefined`/`null` = nothing saved (the builder then runs). */
  loader?: (name: string) => MaybePromise<Contents<V> | undefined | null>;
  /** Persists the whole contents (after `preProcessor`) instead of the engine. With a saver, the engine holds nothing for this cache. */
  saver?: (name: string, contents: ReadonlyMap<string, V>) => MaybePromise<void>;
  /** Computes the contents when nothing is persisted, when `validator` rejects them, on `rebuild()` and after `invalidate()`. Without one the cache starts empty. */
  builder?: (name: string) => MaybePromise<Contents<V>>;
  /** Removes the persisted contents (`deletePersisted`, `invalidate`, `rebuild`) instead of the engine. */
  deleter?: (name: string) => MaybePromise<void>;
  /** Checks loaded contents (after `postProcessor`); false or a throw → the cache is rebuilt and a 'rebuild' event says why. */
  validator?: (name: string, contents: ReadonlyMap<string, V>) => MaybePromise<boolean>;
  /** Transforms a copy of the contents before each save; its result is what gets saved (a full rewrite each time). */
  preProcessor?: (name: string, contents: Map<string, V>) => MaybePromise<Contents<V>>;
  /** Transforms loaded contents before they are validated and served. */
  postProcessor?: (name: string, contents: Map<string, V>) => MaybePromise<Contents<V>>;
}

export interface FilledCacheOptions<V = unknown> {
  persistent: boolean;
  autosync: boolean;
  savePoints: ReadonlyArray<SavePoint>;
  lazy: boolean;
  loader: CacheOptions<V>['loader'];
  saver: CacheOptions<V>['saver'];
  builder: CacheOptions<V>['builder'];
  deleter: CacheOptions<V>['deleter'];
  validator: CacheOptions<V>['validator'];
  preProcessor: CacheOptions<V>['preProcessor'];
  postProcessor: CacheOptions<V>['postProcessor'];
}

const flags = ['persistent', 'autosync', 'lazy'] as const;
const hooks = ['loader', 'saver', 'builder', 'deleter', 'validator', 'preProcessor', 'postProcessor'] as const;
const known = new Set<string>([...flags, ...hooks, 'savePoints']);

export function fillCacheOptions<V>(options: CacheOptions<V> = {}): FilledCacheOptions<V> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`cache options must be an object, received ${show(options)}`);
  rejectUnknown('cache', options, known);
  const o = options as Record<string, unknown>;
  for (const name of flags) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') throw new TypeError(`${name} must be a boolean, received ${show(o[name])}`);
  }
  for (const name of hooks) {
    if (o[name] !== undefined && typeof o[name] !== 'function') throw new TypeError(`${name} must be a function, received ${show(o[name])}`);
  }
  const persistent = options.persistent ?? true;
  if (!persistent) {
    // Contradictory, so refused rather than silently ignored: these hooks only act on persisted data.
    for (const name of ['loader', 'saver', 'deleter', 'validator', 'preProcessor', 'postProcessor'] as const) {
      if (options[name] !== undefined) throw new TypeError(`${name} cannot be used with persistent: false (the cache never loads or saves)`);
    }
  }
  return {
    persistent,
    autosync: options.autosync ?? true,
    savePoints: options.savePoints === undefined ? DEFAULT_SAVE_POINTS : validateSavePoints(options.savePoints),
    lazy: options.lazy ?? false,
    loader: options.loader,
    saver: options.saver,
    builder: options.builder,
    deleter: options.deleter,
    validator: options.validator,
    preProcessor: options.preProcessor,
    postProcessor: options.postProcessor,
  };
}

/** The first option in which two registrations differ (hooks compared by identity), or undefined. */
export function differingOption<V>(a: FilledCacheOptions<V>, b: FilledCacheOptions<V>): string | undefined {
  for (const name of [...flags, ...hooks]) if (a[name] !== b[name]) return name;
  return isDeepStrictEqual(a.savePoints, b.savePoints) ? undefined : 'savePoints';
}

/** Contents as a fresh Map with string keys. @throws TypeError naming the hook that returned something else */
export function toContents<V>(value: unknown, hook: string, cache: string): Map<string, V> {
  let entries: Iterable<unknown>;
  if (value instanceof Map) entries = value;
  else if (typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function') entries = value as Iterable<unknown>;
  else if (typeof value === 'object' && value !== null && isPlain(value)) return new Map(Object.entries(value as Record<string, V>));
  else throw new TypeError(`${hook} of cache ${JSON.stringify(cache)} must return a Map, [key, value] pairs or a plain object, received ${show(value)}`);
  const map = new Map<string, V>();
  for (const pair of entries) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string') {
      throw new TypeError(`${hook} of cache ${JSON.stringify(cache)} returned an entry that is not a [string key, value] pair: ${show(pair)}`);
    }
    map.set(pair[0], pair[1] as V);
  }
  return map;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
