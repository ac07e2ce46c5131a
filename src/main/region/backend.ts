/**
 * The store interface `Region` (and anything else that wants an async, dogpile-style view of a
 * store) programs against — DESIGN.md §4. Every larder store is reachable through it: the
 * engine's stores via a Cacher adapter, plus plain in-memory and Redis backends.
 *
 * Entries carry their metadata so a reader can tell fresh from stale without decoding twice.
 */

/** Returned for a miss. A unique symbol: unlike `undefined` or `null` it can never be a cached value. */
export const NO_VALUE: unique symbol = Symbol.for('larder.NO_VALUE');
export type NoValue = typeof NO_VALUE;

/** Format version of entry metadata; an entry with another version reads as a miss. */
export const ENTRY_FORMAT_VERSION = 1;

export interface CachedEntry<V = unknown> {
  value: V;
  /** ms since epoch. */
  createdAt: number;
  /** ms since epoch; 0 = never. */
  expiresAt: number;
  /** Metadata format version (ENTRY_FORMAT_VERSION). */
  version: number;
}

export type { BackendMutex, MutexLease, RegionInvalidation } from '../stores/engine-store.js';
import type { BackendMutex, RegionInvalidation } from '../stores/engine-store.js';

export interface Backend<V = unknown> {
  readonly name: string;
  get(key: string): Promise<CachedEntry<V> | NoValue>;
  getMany(keys: readonly string[]): Promise<Array<CachedEntry<V> | NoValue>>;
  set(key: string, entry: CachedEntry<V>): Promise<void>;
  setMany(entries: ReadonlyMap<string, CachedEntry<V>>): Promise<void>;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<void>;
  keys(prefix?: string): AsyncIterable<string>;
  clear(): Promise<void>;
  /** Optional cross-process lock for `key`. */
  mutex?(key: string): BackendMutex;
  close?(): Promise<void>;
  /**
   * Optional: announces a region's invalidation to every OTHER process sharing this store (the
   * publishing process applied it already). A backend offers it together with `onRegionInvalidation`.
   */
  publishRegionInvalidation?(message: RegionInvalidation): Promise<void>;
  /**
   * Optional: calls `listener` with each region invalidation another process published (never with
   * this process's own). Returns the unsubscribe function.
   */
  onRegionInvalidation?(listener: (message: RegionInvalidation) => void): () => void;
}
