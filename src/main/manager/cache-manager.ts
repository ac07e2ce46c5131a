/**
 * `CacheManager`: cacheman's named caches under one directory, with hooks, dependencies and save
 * points. The manager owns the dependency graph and runs every cascade (invalidate, reload,
 * rebuild, save, deletePersisted) roots first; each cache's own state and steps live in its
 * `CacheCore`. Persistent caches share one engine (`EnginePersistence`), opened only when the
 * first of them needs the disk: a manager of memory-only caches never touches it.
 */
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fillOptions, type CacherOptions } from '../engine/options.js';
import { rejectUnknown, show, validateTimers } from '../core/validate.js';
import { systemTimers, type Timers } from '../core/timers.js';
import { CacheCore, type CacheHost, type CascadeOptions, type RebuildEvent, type SaveEvent } from './cache-core.js';
import { differingOption, fillCacheOptions, type CacheOptions } from './cache-options.js';
import { DependencyGraph } from './dependency-graph.js';
import { EnginePersistence } from './engine-persistence.js';
import { ManagedCache } from './managed-cache.js';
import { CacheConflictError, ManagerClosedError, ManagerConflictError, UnknownCacheError } from './manager-errors.js';
import { reportError } from '../core/report.js';

const MANAGER_OPTIONS: ReadonlySet<string> = new Set(['dir', 'engine', 'timers']);

export interface CacheManagerOptions {
  /**
   * Base directory. The manager keeps its persistent caches in `<dir>/<name>`, so managers of
   * different names can share a base (as cacheman's `base_cache_directory`). Created only when
   * a persistent cache first saves or loads.
   * @default join(os.tmpdir(), 'larder-cache-managers')
   */
  dir?: string;
  /** Options of the engine behind the persistent caches (store, codec, durability, threads…). */
  engine?: Omit<CacherOptions, 'dir' | 'timers'>;
  /** Clock and timers for save points and the engine; tests pass their own. @default the system's */
  timers?: Timers;
}

export interface FilledManagerOptions {
  /** The base directory, resolved. */
  dir: string;
  engine: Omit<CacherOptions, 'dir' | 'timers'>;
  timers: Timers;
}

export const DEFAULT_MANAGER_DIR = join(tmpdir(), 'larder-cache-managers');

const managers = new Map<string, CacheManager>();

/**
 * The process-wide manager of this name, created on first call. Later calls get the same
 * manager; passing a different `dir` (or other engine options or timers) throws
 * `ERR_MANAGER_CONFLICT`. A closed manager is replaced by a new one.
 */
export function getCacheManager(name = 'default', options?: CacheManagerOptions): CacheManager {
  const existing = managers.get(name);
  if (existing === undefined || existing.closed) {
    const manager = new CacheManager(name, options);
    managers.set(name, manager);
    return manager;
  }
  if (options !== undefined) {
    const had = existing.options;
    if (options.dir !== undefined && resolve(options.dir) !== had.dir) throw new ManagerConflictError(name, `dir ${JSON.stringify(had.dir)} (received ${JSON.stringify(resolve(options.dir))})`);
    if (options.engine !== undefined && !isDeepStrictEqual(options.engine, had.engine)) throw new ManagerConflictError(name, 'other engine options');
    if (options.timers !== undefined && options.timers !== had.timers) throw new ManagerConflictError(name, 'other timers');
  }
  return existing;
}

export class CacheManager extends EventEmitter implements AsyncDisposable {
  readonly name: string;
  readonly options: Readonly<FilledManagerOptions>;
  /** Where this manager's persistent caches live: `<options.dir>/<name>`. */
  readonly dir: string;
  #cores = new Map<string, CacheCore<any>>();
  #graph = new DependencyGraph();
  #engine: EnginePersistence;
  #host: CacheHost;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(name: string, options: CacheManagerOptions = {}) {
    super();
    if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
      throw new TypeError(`name must be a non-empty string usable as a directory name (no '/', '\\' or NUL), received ${show(name)}`);
    }
    if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, received ${show(options)}`);
    rejectUnknown('', options, MANAGER_OPTIONS);
    if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) throw new TypeError(`dir must be a non-empty string, received ${show(options.dir)}`);
    if (options.engine !== undefined && (typeof options.engine !== 'object' || options.engine === null)) throw new TypeError(`engine must be an object of Cacher options, received ${show(options.engine)}`);
    for (const key of ['dir', 'timers']) {
      if (options.engine !== undefined && key in options.engine) throw new TypeError(`engine.${key} cannot be set: the manager sets it (use the manager's ${key} option)`);
    }
    this.name = name;
    this.options = Object.freeze({
      dir: resolve(options.dir ?? DEFAULT_MANAGER_DIR),
      engine: Object.freeze({ ...options.engine }),
      timers: options.timers === undefined ? systemTimers : validateTimers(options.timers),
    });
    this.dir = join(this.options.dir, name);
    const engineOptions: CacherOptions = { ...this.options.engine, dir: this.dir, timers: this.options.timers };
    fillOptions(engineOptions); // validates now, so a bad engine option fails here and not at the first save
    this.#engine = new EnginePersistence(engineOptions, (error) => this.#report(error));
    this.#host = this.#makeHost();
  }

  /** True once `close()` has finished. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Unsaved edits over all caches. */
  get pendingChanges(): number {
    let total = 0;
    for (const core of this.#cores.values()) total += core.pendingChanges;
    return total;
  }

  // ---- registration ---------------------------------------------------------------------------

  /**
   * Registers a cache and resolves once its contents are loaded (or built); a `lazy` cache
   * resolves at once, unloaded. Registering a name again with the same options (hooks compared
   * by identity) returns the same cache.
   * @throws TypeError/RangeError for bad options, at once; `ERR_CACHE_CONFLICT` if the name is registered with other options
   */
  register<V = unknown>(name: string, options?: CacheOptions<V>): Promise<ManagedCache<V>> {
    this.#assertOpen('register a cache');
    validateCacheName(name);
    const existing = this.#cores.get(name) as CacheCore<V> | undefined;
    if (existing !== undefined) {
      const differs = differingOption(existing.options, fillCacheOptions(options));
      if (differs !== undefined) throw new CacheConflictError(name, differs);
      return this.#ready(existing);
    }
    const core = new CacheCore<V>(name, options, this.#host);
    new ManagedCache(core);
    this.#cores.set(name, core);
    if (core.options.lazy) return Promise.resolve(core.facade);
    return core.load().then(
      () => core.facade,
      (error: unknown) => {
        // A cache that could not load is not left half-registered: registering again retries.
        if (this.#cores.get(name) === core) this.#cores.delete(name);
        throw error;
      },
    );
  }

  /** The cache of this name, registered with `options` (defaults if omitted) if it is not yet. */
  getOrRegister<V = unknown>(name: string, options?: CacheOptions<V>): Promise<ManagedCache<V>> {
    this.#assertOpen('register a cache');
    const existing = this.#cores.get(name) as CacheCore<V> | undefined;
    if (existing !== undefined && options === undefined) return this.#ready(existing);
    return this.register(name, options);
  }

  /** The registered cache of this name. @throws UnknownCacheError */
  cache<V = unknown>(name: string): ManagedCache<V> {
    return this.#core<V>(name).facade;
  }

  has(name: string): boolean {
    return this.#cores.has(name);
  }

  /** Names of the registered caches, roots before the caches derived from them. */
  names(): string[] {
    return this.#graph.order(this.#cores.keys());
  }

  // ---- dependencies ---------------------------------------------------------------------------

  /**
   * Declares that `dependent` is derived from `root`: invalidating `root` clears `dependent`
   * too, and cascading steps reach it after `root`. Both must be registered.
   * @throws UnknownCacheError; DependencyCycleError if `root` already depends on `dependent`
   */
  dependsOn(dependent: string, root: string): void {
    this.#core(dependent);
    this.#core(root);
    this.#graph.add(dependent, root);
  }

  /** The caches `name` depends on directly. */
  rootsOf(name: string): string[] {
    this.#core(name);
    return this.#graph.rootsOf(name);
  }

  /** The caches derived directly from `name`. */
  dependentsOf(name: string): string[] {
    this.#core(name);
    return this.#graph.dependentsOf(name);
  }

  // ---- steps ----------------------------------------------------------------------------------

  /**
   * Clears `name` and every cache derived from it, in memory and persisted, roots first; each
   * that was loaded is then built again (its builder's contents, saved; or empty).
   */
  invalidate(name: string): Promise<void> {
    return this.#cascade('invalidate', name, true, (core) => core.invalidate());
  }

  /** Persists unsaved edits now. An explicit save calls a custom saver even if nothing changed. */
  save(name: string, options?: CascadeOptions): Promise<void> {
    return this.#cascade('save', name, cascadeOf(options), (core) => core.save(true));
  }

  /** Drops the contents in memory, unsaved edits included, and loads the persisted copy again. */
  reload(name: string, options?: CascadeOptions): Promise<void> {
    return this.#cascade('reload', name, cascadeOf(options), (core) => core.reload());
  }

  /** Load → delete the persisted copy → build → save; a 'rebuild' event (reason 'requested') per cache. */
  rebuild(name: string, options?: CascadeOptions): Promise<void> {
    return this.#cascade('rebuild', name, cascadeOf(options), (core) => core.rebuild());
  }

  /** Deletes the persisted copy; memory is kept, and saved again only after new edits or an explicit save. */
  deletePersisted(name: string, options?: CascadeOptions): Promise<void> {
    return this.#cascade('delete persisted caches', name, cascadeOf(options), (core) => core.deletePersisted());
  }

  invalidateAll(): Promise<void> {
    return this.#all('invalidate', (core) => core.invalidate());
  }

  saveAll(): Promise<void> {
    return this.#all('save', (core) => core.save(true));
  }

  reloadAll(): Promise<void> {
    return this.#all('reload', (core) => core.reload());
  }

  rebuildAll(): Promise<void> {
    return this.#all('rebuild', (core) => core.rebuild());
  }

  deletePersistedAll(): Promise<void> {
    return this.#all('delete persisted caches', (core) => core.deletePersisted());
  }

  /**
   * Saves every cache with unsaved edits, stops the save-point timers and the engine. Idempotent.
   * Every cache is attempted; if any save failed, rejects with that error (an AggregateError
   * for several) after the rest are saved. Edits and steps after `close()` began throw `ERR_MANAGER_CLOSED`.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const errors: unknown[] = [];
      const cores = this.#graph.order(this.#cores.keys()).map((n) => this.#cores.get(n) as CacheCore);
      for (const core of cores) {
        core.stopTimers();
        await core.save(false).catch((error: unknown) => errors.push(error));
        core.stopTimers();
      }
      await this.#engine.close();
      if (managers.get(this.name) === this) managers.delete(this.name);
      this.#closed = true;
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, `cache manager ${JSON.stringify(this.name)}: ${errors.length} caches could not be saved`);
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals ------------------------------------------------------------------------------

  #core<V>(name: string): CacheCore<V> {
    const core = this.#cores.get(name);
    if (core === undefined) {
      if (typeof name !== 'string') throw new TypeError(`cache name must be a string, received ${show(name)}`);
      throw new UnknownCacheError(name, this.name);
    }
    return core as CacheCore<V>;
  }

  #ready<V>(core: CacheCore<V>): Promise<ManagedCache<V>> {
    if (core.options.lazy) return Promise.resolve(core.facade);
    return core.load().then(() => core.facade);
  }

  #assertOpen(action: string): void {
    if (this.#closing !== undefined) throw new ManagerClosedError(this.name, action);
  }

  /** Checks run at once (unknown name, closed manager); the steps then run cache by cache, roots first. */
  #cascade(action: string, name: string, cascade: boolean, step: (core: CacheCore) => Promise<void>): Promise<void> {
    this.#assertOpen(action);
    this.#core(name);
    return this.#run(cascade ? this.#graph.downstream(name) : [name], step);
  }

  #all(action: string, step: (core: CacheCore) => Promise<void>): Promise<void> {
    this.#assertOpen(action);
    return this.#run(this.#graph.order(this.#cores.keys()), step);
  }

  async #run(names: string[], step: (core: CacheCore) => Promise<void>): Promise<void> {
    for (const name of names) {
      const core = this.#cores.get(name);
      if (core !== undefined) await step(core);
    }
  }

  #report(error: unknown): void {
    reportError(this, error);
  }

  #makeHost(): CacheHost {
    return {
      name: this.name,
      timers: this.options.timers,
      engine: this.#engine,
      isClosing: () => this.#closing !== undefined,
      assertOpen: (action) => this.#assertOpen(action),
      saved: (event: SaveEvent) => this.emit('save', event),
      rebuilt: (event: RebuildEvent) => this.emit('rebuild', event),
      report: (error) => this.#report(error),
      invalidate: (cache) => this.invalidate(cache),
      save: (cache, options) => this.save(cache, options),
      reload: (cache, options) => this.reload(cache, options),
      rebuild: (cache, options) => this.rebuild(cache, options),
      deletePersisted: (cache, options) => this.deletePersisted(cache, options),
    };
  }
}

function validateCacheName(name: unknown): asserts name is string {
  // '/' separates a cache's name from its keys in the engine (see engine-persistence.ts).
  if (typeof name !== 'string' || name === '' || /[/\0]/.test(name)) {
    throw new TypeError(`cache name must be a non-empty string without '/' or NUL, received ${show(name)}`);
  }
}

function cascadeOf(options: CascadeOptions | undefined): boolean {
  if (options === undefined) return false;
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object like { cascade: true }, received ${show(options)}`);
  if (options.cascade !== undefined && typeof options.cascade !== 'boolean') throw new TypeError(`cascade must be a boolean, received ${show(options.cascade)}`);
  return options.cascade ?? false;
}
