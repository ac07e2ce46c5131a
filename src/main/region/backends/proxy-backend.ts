/**
 * Store middleware (dogpile's `ProxyBackend`): a middleware takes the backend below it and
 * returns one that forwards to it, overriding only what it changes. `wrap: [a, b]` puts `a`
 * outermost: a call goes a → b → the store.
 */
import type { Backend, BackendMutex, CachedEntry, NoValue, RegionInvalidation } from '../backend.js';

export type BackendMiddleware = (next: Backend) => Backend;

/** Forwards everything; extend it and override the verbs a middleware cares about. */
export class ProxyBackend implements Backend {
  protected readonly next: Backend;
  /** Present exactly when the wrapped backend has one, so the Region sees the same capabilities. */
  readonly mutex?: (key: string) => BackendMutex;
  readonly close?: () => Promise<void>;
  readonly publishRegionInvalidation?: (message: RegionInvalidation) => Promise<void>;
  readonly onRegionInvalidation?: (listener: (message: RegionInvalidation) => void) => () => void;

  constructor(next: Backend) {
    this.next = next;
    if (next.mutex !== undefined) this.mutex = (key) => (next.mutex as (key: string) => BackendMutex).call(next, key);
    if (next.close !== undefined) this.close = () => (next.close as () => Promise<void>).call(next);
    const { publishRegionInvalidation, onRegionInvalidation } = next;
    if (publishRegionInvalidation !== undefined) this.publishRegionInvalidation = (message) => publishRegionInvalidation.call(next, message);
    if (onRegionInvalidation !== undefined) this.onRegionInvalidation = (listener) => onRegionInvalidation.call(next, listener);
  }

  get name(): string {
    return this.next.name;
  }

  get(key: string): Promise<CachedEntry | NoValue> {
    return this.next.get(key);
  }

  getMany(keys: readonly string[]): Promise<Array<CachedEntry | NoValue>> {
    return this.next.getMany(keys);
  }

  set(key: string, entry: CachedEntry): Promise<void> {
    return this.next.set(key, entry);
  }

  setMany(entries: ReadonlyMap<string, CachedEntry>): Promise<void> {
    return this.next.setMany(entries);
  }

  delete(key: string): Promise<void> {
    return this.next.delete(key);
  }

  deleteMany(keys: readonly string[]): Promise<void> {
    return this.next.deleteMany(keys);
  }

  keys(prefix?: string): AsyncIterable<string> {
    return this.next.keys(prefix);
  }

  clear(): Promise<void> {
    return this.next.clear();
  }
}

/** Applies `wrap` to `backend`, the first middleware outermost. */
export function wrapBackend(backend: Backend, wrap: readonly BackendMiddleware[]): Backend {
  let wrapped = backend;
  for (let i = wrap.length - 1; i >= 0; i--) {
    const middleware = wrap[i];
    if (typeof middleware !== 'function') throw new TypeError(`wrap[${i}] must be a function (next: Backend) => Backend, received ${typeof middleware}`);
    wrapped = middleware(wrapped);
    if (!isBackend(wrapped)) throw new TypeError(`wrap[${i}] must return a Backend (get, set, delete…), received ${wrapped === null ? 'null' : typeof wrapped}`);
  }
  return wrapped;
}

const VERBS = ['get', 'getMany', 'set', 'setMany', 'delete', 'deleteMany', 'keys', 'clear'] as const;

export function isBackend(value: unknown): value is Backend {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Record<string, unknown>;
  return VERBS.every((verb) => typeof b[verb] === 'function');
}
