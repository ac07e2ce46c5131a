/**
 * `ManagedCache`, what `manager.register()` returns: a `Map<string, V>` (drop-in for the dict
 * cacheman users had) whose edits are counted toward the cache's save points, plus the
 * per-cache forms of the manager's steps. A thin face over `CacheCore`, which holds the state.
 */
import type { CacheCore, CascadeOptions } from './cache-core.js';

export class ManagedCache<V = unknown> implements Map<string, V> {
  #core: CacheCore<V>;

  /** @internal made by the manager; use `manager.register()` */
  constructor(core: CacheCore<V>) {
    this.#core = core;
    core.facade = this;
  }

  get name(): string {
    return this.#core.name;
  }

  get persistent(): boolean {
    return this.#core.options.persistent;
  }

  /** Whether the contents are in memory (false for a lazy cache until `load()`). */
  get loaded(): boolean {
    return this.#core.loaded;
  }

  /** Edits (sets and deletes) not saved yet; always 0 for a memory-only cache. */
  get pendingChanges(): number {
    return this.#core.pendingChanges;
  }

  get size(): number {
    return this.#core.contents().size;
  }

  get [Symbol.toStringTag](): string {
    return 'ManagedCache';
  }

  get(key: string): V | undefined {
    return this.#core.contents().get(key);
  }

  has(key: string): boolean {
    return this.#core.contents().has(key);
  }

  /** Sets a value in memory; it is persisted by the next save (a save point, `save()` or `close()`). */
  set(key: string, value: V): this {
    this.#core.set(key, value);
    return this;
  }

  delete(key: string): boolean {
    return this.#core.delete(key);
  }

  /** Empties the cache in memory; the persisted copy follows at the next save. See also `invalidate()`. */
  clear(): void {
    this.#core.clear();
  }

  keys(): MapIterator<string> {
    return this.#core.contents().keys();
  }

  values(): MapIterator<V> {
    return this.#core.contents().values();
  }

  entries(): MapIterator<[string, V]> {
    return this.#core.contents().entries();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string, map: Map<string, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.#core.contents()) fn.call(thisArg, value, key, this);
  }

  /** Loads the contents if they are not in memory yet (a lazy cache). */
  load(): Promise<void> {
    return this.#core.load();
  }

  /** Persists the edits now (a custom saver is called even if nothing changed). */
  save(options?: CascadeOptions): Promise<void> {
    return this.#core.host.save(this.name, options);
  }

  /** Drops the contents in memory, unsaved edits included, and loads the persisted copy again. */
  reload(options?: CascadeOptions): Promise<void> {
    return this.#core.host.reload(this.name, options);
  }

  /** Load → delete the persisted copy → build → save. */
  rebuild(options?: CascadeOptions): Promise<void> {
    return this.#core.host.rebuild(this.name, options);
  }

  /** Deletes the persisted copy; memory is kept (and saved again only after a new edit or an explicit `save()`). */
  deletePersisted(options?: CascadeOptions): Promise<void> {
    return this.#core.host.deletePersisted(this.name, options);
  }

  /** Clears this cache and every cache that depends on it, in memory and persisted, then rebuilds those that have a builder. */
  invalidate(): Promise<void> {
    return this.#core.host.invalidate(this.name);
  }
}
