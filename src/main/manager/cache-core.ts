/**
 * The state and the steps of one managed cache: its contents in memory, what changed since the
 * last save, and load / save / delete-persisted / build, each choosing between the cache's hook
 * and the engine. `ManagedCache` is the thin public face over it; the manager runs cascades by
 * calling these steps on several cores in dependency order.
 *
 * Every asynchronous step of one cache runs after the previous one finished (a per-cache
 * queue), so a save never interleaves with a reload or an invalidation of the same cache.
 * Synchronous reads and writes are never queued: they act on memory at once.
 */
import { show } from '../core/validate.js';
import type { Timers } from '../core/timers.js';
import { fillCacheOptions, toContents, type CacheOptions, type FilledCacheOptions } from './cache-options.js';
import type { EnginePersistence } from './engine-persistence.js';
import type { ManagedCache } from './managed-cache.js';
import { CacheNotLoadedError } from './manager-errors.js';
import { SaveSchedule } from './save-schedule.js';

export interface SaveEvent {
  cache: string;
  /** Edits this save persisted (0 for an explicit save with nothing new). */
  changes: number;
}

export interface RebuildEvent {
  cache: string;
  /** `'invalid'`: the validator returned false; `'validator-error'`: it threw; `'requested'`: `rebuild()`. */
  reason: 'invalid' | 'validator-error' | 'requested';
  /** What the validator threw, for `'validator-error'`. */
  error?: unknown;
}

export interface CascadeOptions {
  /** Apply the step to every cache that depends on this one as well, roots first. @default false */
  cascade?: boolean;
}

/** What a cache needs from its manager. */
export interface CacheHost {
  readonly name: string;
  readonly timers: Timers;
  readonly engine: EnginePersistence;
  /** close() has begun: no automatic save may start (close saves, then the engine stops). */
  isClosing(): boolean;
  /** @throws ManagerClosedError once the manager is closing */
  assertOpen(action: string): void;
  saved(event: SaveEvent): void;
  rebuilt(event: RebuildEvent): void;
  /** A failure nobody awaits (an automatic save): the manager's 'error' event. */
  report(error: unknown): void;
  invalidate(cache: string): Promise<void>;
  save(cache: string, options?: CascadeOptions): Promise<void>;
  reload(cache: string, options?: CascadeOptions): Promise<void>;
  rebuild(cache: string, options?: CascadeOptions): Promise<void>;
  deletePersisted(cache: string, options?: CascadeOptions): Promise<void>;
}

const BACKOFF_MIN = 1_000;
const BACKOFF_MAX = 300_000;

export class CacheCore<V = unknown> {
  readonly name: string;
  readonly options: Readonly<FilledCacheOptions<V>>;
  readonly host: CacheHost;
  /** Set by the facade's constructor (the facade and the core are made together). */
  facade!: ManagedCache<V>;
  #map = new Map<string, V>();
  #loaded = false;
  /** Loads queued or running: while any is, synchronous access must not start another. */
  #loading = 0;
  /** A build a synchronous first access started and could not finish synchronously. */
  #early: Promise<unknown> | undefined;
  /** Keys edited since the last save (set or deleted). */
  #dirty = new Set<string>();
  #pending = 0;
  #since = 0;
  /** The persisted copy is known to exist (loaded, or saved since). */
  #saved = false;
  /** The next save must rewrite everything (the persisted copy was deleted or a save of it failed). */
  #fullWrite = false;
  #tail: Promise<unknown> = Promise.resolve();
  #schedule: SaveSchedule | undefined;
  #autosaving = false;
  #failures = 0;

  constructor(name: string, options: CacheOptions<V> | undefined, host: CacheHost) {
    this.name = name;
    this.options = Object.freeze(fillCacheOptions(options));
    this.host = host;
    if (this.options.persistent && this.options.autosync) {
      this.#schedule = new SaveSchedule(
        this.options.savePoints,
        host.timers,
        () => ({ count: this.#pending, since: this.#since }),
        () => this.#autosave(),
      );
    }
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  get pendingChanges(): number {
    return this.#pending;
  }

  // ---- synchronous access ---------------------------------------------------------------------

  /** The contents, loading them first if that can be done synchronously. @throws CacheNotLoadedError */
  contents(): Map<string, V> {
    if (!this.#loaded) this.#loadSync();
    return this.#map;
  }

  set(key: string, value: V): void {
    this.host.assertOpen('set');
    if (typeof key !== 'string') throw new TypeError(`key must be a string, received ${show(key)}`);
    this.contents().set(key, value);
    this.#changed(key, 1);
  }

  delete(key: string): boolean {
    this.host.assertOpen('delete');
    if (!this.contents().delete(key)) return false;
    this.#changed(key, 1);
    return true;
  }

  clear(): void {
    this.host.assertOpen('clear');
    const map = this.contents();
    if (map.size === 0) return;
    const count = map.size;
    if (this.options.persistent) for (const key of map.keys()) this.#dirty.add(key);
    map.clear();
    this.#changed(undefined, count);
  }

  #changed(key: string | undefined, count: number): void {
    if (!this.options.persistent) return;
    if (key !== undefined) this.#dirty.add(key);
    if (this.#pending === 0) this.#since = this.host.timers.now();
    this.#pending += count;
    this.#schedule?.check();
  }

  /**
   * A memory-only cache builds on first access when its builder answers synchronously (that is
   * what `lazy` means for it); anything that has to wait (a disk, an async builder) cannot be
   * done inside a synchronous `get`, so the caller is told to `await cache.load()`.
   */
  #loadSync(): void {
    if (!this.options.persistent && this.#loading === 0 && this.#early === undefined) {
      const built = this.options.builder?.(this.name);
      if (!isThenable(built)) {
        this.#install(built === undefined ? new Map() : toContents<V>(built, 'builder', this.name));
        return;
      }
      this.#early = built;
      this.load().catch((error: unknown) => this.host.report(error));
    }
    throw new CacheNotLoadedError(this.name);
  }

  // ---- steps (each queued behind the previous step of this cache) ------------------------------

  /** Loads the contents if they are not in memory yet. */
  load(): Promise<void> {
    if (this.#loaded) return Promise.resolve();
    return this.#runLoading(async () => {
      if (!this.#loaded) await this.#loadNow();
    });
  }

  /** Drops the contents in memory (unsaved edits included) and loads them again. */
  reload(): Promise<void> {
    return this.#runLoading(async () => {
      this.#discard();
      this.#loaded = false;
      await this.#loadNow();
    });
  }

  /** @param force save even with nothing new (an explicit `save()`: a custom saver is always called) */
  save(force: boolean): Promise<void> {
    return this.#run(() => this.#saveNow(force));
  }

  deletePersisted(): Promise<void> {
    return this.#run(() => this.#removePersisted());
  }

  /** Clears memory and the persisted copy; a cache that was loaded is then built again (empty without a builder). */
  invalidate(): Promise<void> {
    return this.#run(async () => {
      const wasLoaded = this.#loaded;
      this.#discard();
      await this.#removePersisted();
      if (wasLoaded) await this.#buildNow();
    });
  }

  /** Load → delete persisted → build → save. */
  rebuild(): Promise<void> {
    return this.#runLoading(async () => {
      if (!this.#loaded) await this.#loadNow();
      this.host.rebuilt({ cache: this.name, reason: 'requested' });
      await this.#removePersisted();
      await this.#buildNow();
    });
  }

  /** Stops the save-point timer (the manager is closing). */
  stopTimers(): void {
    this.#schedule?.cancel();
  }

  /** Queues a step that loads: until it ends, synchronous access must not start a load of its own. */
  #runLoading(step: () => Promise<void>): Promise<void> {
    this.#loading++;
    return this.#run(async () => {
      try {
        await step();
      } finally {
        this.#loading--;
      }
    });
  }

  #run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(step);
    this.#tail = result.catch(() => {});
    return result;
  }

  async #loadNow(): Promise<void> {
    const { persistent, postProcessor } = this.options;
    if (persistent) {
      const raw = await this.#readPersisted();
      if (raw !== undefined) {
        const contents = postProcessor === undefined ? raw : toContents<V>(await postProcessor(this.name, raw), 'postProcessor', this.name);
        const problem = await this.#validate(contents);
        if (problem === undefined) {
          this.#saved = true;
          this.#install(contents);
          return;
        }
        this.host.rebuilt({ cache: this.name, ...problem });
        await this.#removePersisted();
      }
    }
    await this.#buildNow();
  }

  /** Replaces the contents with the builder's (empty without one) and persists a real build at once. */
  async #buildNow(): Promise<void> {
    const { builder, persistent } = this.options;
    const early = this.#early;
    this.#early = undefined;
    const built = early ?? builder?.(this.name);
    this.#install(built === undefined ? new Map() : toContents<V>(await built, 'builder', this.name));
    // A build is what the builder is for, usually costly: keep it rather than redo it next start.
    if (persistent && builder !== undefined) await this.#saveNow(true);
  }

  async #validate(contents: ReadonlyMap<string, V>): Promise<Omit<RebuildEvent, 'cache'> | undefined> {
    const { validator } = this.options;
    if (validator === undefined) return undefined;
    try {
      return (await validator(this.name, contents)) ? undefined : { reason: 'invalid' };
    } catch (error) {
      return { reason: 'validator-error', error };
    }
  }

  async #readPersisted(): Promise<Map<string, V> | undefined> {
    const { loader, saver } = this.options;
    if (loader !== undefined) {
      const loaded = await loader(this.name);
      return loaded === undefined || loaded === null ? undefined : toContents<V>(loaded, 'loader', this.name);
    }
    // With a custom saver the engine never held this cache: nothing to read, no disk touched.
    if (saver !== undefined) return undefined;
    return (await this.host.engine.read(this.name)) as Map<string, V> | undefined;
  }

  async #removePersisted(): Promise<void> {
    const { persistent, deleter, saver } = this.options;
    if (!persistent) return;
    if (deleter !== undefined) await deleter(this.name);
    else if (saver === undefined) await this.host.engine.remove(this.name);
    this.#saved = false;
    this.#fullWrite = true;
  }

  async #saveNow(force: boolean): Promise<void> {
    const { persistent, saver, preProcessor } = this.options;
    if (!persistent || !this.#loaded) return;
    // Only edits make a save due; deletePersisted() alone is not undone by the next autosave or close().
    if (!force && this.#pending === 0 && this.#dirty.size === 0) return;
    // Taken synchronously: edits made while this save runs count toward the next one.
    const dirty = this.#dirty;
    const taken = { count: this.#pending, since: this.#since };
    const full = this.#fullWrite || !this.#saved || saver !== undefined || preProcessor !== undefined;
    const snapshot = full ? new Map(this.#map) : undefined;
    const sets: Array<[string, V]> = [];
    const deletes: string[] = [];
    if (!full) {
      for (const key of dirty) {
        if (this.#map.has(key)) sets.push([key, this.#map.get(key) as V]);
        else deletes.push(key);
      }
    }
    this.#dirty = new Set();
    this.#pending = 0;
    this.#fullWrite = false;
    this.#schedule?.cancel();
    try {
      if (snapshot === undefined) {
        await this.host.engine.update(this.name, sets, deletes);
      } else {
        const out = preProcessor === undefined ? snapshot : toContents<V>(await preProcessor(this.name, snapshot), 'preProcessor', this.name);
        if (saver !== undefined) await saver(this.name, out);
        else await this.host.engine.replace(this.name, out);
      }
    } catch (error) {
      for (const key of dirty) this.#dirty.add(key);
      if (full) this.#fullWrite = true;
      if (taken.count > 0) {
        this.#since = this.#pending === 0 ? taken.since : Math.min(taken.since, this.#since);
        this.#pending += taken.count;
      }
      throw error;
    }
    this.#saved = true;
    this.host.saved({ cache: this.name, changes: taken.count });
  }

  #autosave(): void {
    if (this.#autosaving || this.host.isClosing()) return;
    this.#autosaving = true;
    this.#run(() => this.#saveNow(false)).then(
      () => {
        this.#autosaving = false;
        this.#failures = 0;
        this.#schedule?.succeeded();
        this.#schedule?.check();
      },
      (error: unknown) => {
        this.#autosaving = false;
        this.#failures++;
        this.host.report(error);
        this.#schedule?.backoff(Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** (this.#failures - 1)));
      },
    );
  }

  #discard(): void {
    this.#map = new Map();
    this.#dirty = new Set();
    this.#pending = 0;
    this.#schedule?.cancel();
  }

  #install(contents: Map<string, V>): void {
    this.#discard();
    this.#map = contents;
    this.#loaded = true;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
