/**
 * A small, bounded copy of recently read values kept by a connected thread, so repeated `get`s
 * of hot keys skip the round trip to the owner. Entries are dropped when the owner broadcasts
 * an invalidation, when this thread writes the key, and after `ttl`.
 *
 * The race it guards against: a read leaves, another thread writes the key, the invalidation
 * arrives (BroadcastChannel), then the read's now-stale answer arrives (MessagePort). A read
 * that an invalidation of its key overtook is therefore returned but not stored.
 */
import { LRUCache } from 'lru-cache';
import type { Timers } from '../core/timers.js';

export interface LocalCacheOptions {
  /** Most entries kept. */
  max: number;
  /** Longest an entry is served without asking the owner, in ms; 0 = until invalidated. @default 0 */
  ttl?: number;
}

export class LocalReadCache {
  #lru: LRUCache<string, { value: unknown }>;
  /** Reads in flight per key, and which of those keys an invalidation overtook. */
  #reading = new Map<string, number>();
  #overtaken = new Set<string>();
  hits = 0;
  misses = 0;

  constructor(options: Required<LocalCacheOptions>, timers: Timers) {
    this.#lru = new LRUCache({ max: options.max, ttl: options.ttl, perf: timers });
  }

  /** The cached value box for `key`, or undefined (a miss). */
  lookup(key: string): { value: unknown } | undefined {
    const box = this.#lru.get(key);
    if (box === undefined) this.misses++;
    else this.hits++;
    return box;
  }

  /** Marks a read of `key` as leaving; pair with `finishRead`. */
  startRead(key: string): void {
    this.#reading.set(key, (this.#reading.get(key) ?? 0) + 1);
  }

  /** Stores what a read returned unless an invalidation overtook it (`found` false: a miss, nothing stored). */
  finishRead(key: string, found: boolean, value: unknown): void {
    const count = this.#reading.get(key) ?? 0;
    if (found && !this.#overtaken.has(key)) this.#lru.set(key, { value });
    if (count <= 1) {
      this.#reading.delete(key);
      this.#overtaken.delete(key);
    } else {
      this.#reading.set(key, count - 1);
    }
  }

  invalidate(keys: Iterable<string>): void {
    for (const key of keys) {
      this.#lru.delete(key);
      if (this.#reading.has(key)) this.#overtaken.add(key);
    }
  }

  get size(): number {
    return this.#lru.size;
  }

  clear(): void {
    this.#lru.clear();
    this.#reading.clear();
    this.#overtaken.clear();
  }
}
