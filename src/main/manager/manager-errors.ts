/**
 * Coded errors of the `CacheManager`. They are runtime failures (a name that is not registered,
 * a conflicting re-registration, a dependency that would close a loop), so they are
 * `LarderError`s with stable codes; malformed options stay plain `TypeError`/`RangeError`.
 */
import { LarderError, registerError } from '../core/errors.js';

export class UnknownCacheError extends LarderError {
  readonly cache: string;
  constructor(cache: string, manager: string) {
    super('ERR_UNKNOWN_CACHE', `cache ${JSON.stringify(cache)} is not registered with manager ${JSON.stringify(manager)}; register it first or use getOrRegister()`);
    this.cache = cache;
  }
}

/** `register` of an existing name with other options (the seed silently replaced the cache and lost its data). */
export class CacheConflictError extends LarderError {
  readonly cache: string;
  readonly option: string;
  constructor(cache: string, option: string) {
    super('ERR_CACHE_CONFLICT', `cache ${JSON.stringify(cache)} is already registered with a different ${option}; use manager.cache(name) to get it, or another name`);
    this.cache = cache;
    this.option = option;
  }
}

/** `getCacheManager(name, options)` of an existing manager with other options. */
export class ManagerConflictError extends LarderError {
  readonly manager: string;
  constructor(manager: string, detail: string) {
    super('ERR_MANAGER_CONFLICT', `cache manager ${JSON.stringify(manager)} already exists with ${detail}; call getCacheManager(name) without options to get it, or close() it first`);
    this.manager = manager;
  }
}

export class DependencyCycleError extends LarderError {
  /** The loop the rejected dependency would have closed, root first, ending where it starts. */
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super('ERR_DEPENDENCY_CYCLE', `dependency rejected: it would close the cycle ${cycle.map((c) => JSON.stringify(c)).join(' → ')}`);
    this.cycle = cycle;
  }
}

/** Sync access to a cache whose contents are not in memory yet (a lazy cache, or one still loading). */
export class CacheNotLoadedError extends LarderError {
  readonly cache: string;
  constructor(cache: string) {
    super('ERR_NOT_LOADED', `cache ${JSON.stringify(cache)} is not loaded yet; await cache.load() (or the register() promise) before reading or writing it`);
    this.cache = cache;
  }
}

export class ManagerClosedError extends LarderError {
  constructor(manager: string, action: string) {
    super('ERR_MANAGER_CLOSED', `cannot ${action}: cache manager ${JSON.stringify(manager)} is closed`);
  }
}

registerError(UnknownCacheError, CacheConflictError, ManagerConflictError, DependencyCycleError, CacheNotLoadedError, ManagerClosedError);
