/**
 * A `Backend` over a plain Map in this process: nothing persists and nothing is copied, so a
 * cached object is the very object the creator returned (dogpile's `memory` backend).
 * Expired entries stay until overwritten or deleted: the Region serves them stale.
 */
import { NO_VALUE, type Backend, type CachedEntry, type NoValue } from '../backend.js';

export class MemoryBackend<V = unknown> implements Backend<V> {
  readonly name: string;
  readonly #map = new Map<string, CachedEntry<V>>();

  constructor(options: { name?: string } = {}) {
    this.name = options.name ?? 'memory';
  }

  /** Entries held, expired ones included. */
  get size(): number {
    return this.#map.size;
  }

  async get(key: string): Promise<CachedEntry<V> | NoValue> {
    return this.#map.get(key) ?? NO_VALUE;
  }

  async getMany(keys: readonly string[]): Promise<Array<CachedEntry<V> | NoValue>> {
    return keys.map((key) => this.#map.get(key) ?? NO_VALUE);
  }

  async set(key: string, entry: CachedEntry<V>): Promise<void> {
    this.#map.set(key, entry);
  }

  async setMany(entries: ReadonlyMap<string, CachedEntry<V>>): Promise<void> {
    for (const [key, entry] of entries) this.#map.set(key, entry);
  }

  async delete(key: string): Promise<void> {
    this.#map.delete(key);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#map.delete(key);
  }

  async *keys(prefix = ''): AsyncIterable<string> {
    // A snapshot: deleting while iterating must not skip keys.
    for (const key of [...this.#map.keys()]) if (key.startsWith(prefix)) yield key;
  }

  async clear(): Promise<void> {
    this.#map.clear();
  }
}
