/**
 * dogpile's `cache_on_arguments` and `cache_multi_on_arguments` for a `Region`. Keys are made
 * from every argument (canonical text: object key order, Map/Set order never matter), prefixed
 * by the namespace, so two functions never share entries.
 */
import { canonicalKey } from '../keys/canonical-key.js';
import type { NoValue } from './backend.js';
import type { Region } from './region.js';
import { rejectUnknown, resolveCallOptions, show, type GetOrCreateOptions, type RegionSetOptions, type TtlOption } from './region-options.js';

export interface MemoizeOptions<R, A extends unknown[] = unknown[]> extends Omit<GetOrCreateOptions<R>, 'signal'> {
  /** Prefix of every key. @default the function's name (required for an anonymous function) */
  namespace?: string;
  /**
   * Makes the key part from the arguments (called with the call's `this`); the namespace is
   * still prefixed. @default the canonical text of all arguments
   */
  key?: (this: unknown, ...args: A) => string;
  /** The call's `this` is part of the default key (for methods: one entry per instance). @default false */
  includeThis?: boolean;
}

export interface MemoizeManyOptions<I, R> extends Omit<GetOrCreateOptions<R>, 'signal' | 'onWaitTimeout'> {
  /** Prefix of every key. @default the function's name (required for an anonymous function) */
  namespace?: string;
  /** Makes the key part of one item. @default its canonical text */
  key?: (item: I) => string;
}

/**
 * A memoized function. Its helpers take the same arguments; with `includeThis`, call them with
 * the same `this` (`fn.invalidate.call(obj, …)`).
 */
export interface Memoized<A extends unknown[], R, Out> {
  (this: unknown, ...args: A): Promise<Out>;
  /** Deletes the cached value for these arguments. */
  invalidate(this: unknown, ...args: A): Promise<void>;
  /** The cached value for these arguments, or `NO_VALUE`; never calls the function. */
  get(this: unknown, ...args: A): Promise<R | NoValue>;
  /** Stores `value` as the result for these arguments. */
  set(this: unknown, value: R, ...args: A): Promise<void>;
  /** Calls the function now and stores its result (subject to `shouldCache`), whatever is cached. */
  refresh(this: unknown, ...args: A): Promise<R>;
  /** The store key (before the region's key mangler) for these arguments. */
  key(this: unknown, ...args: A): string;
  readonly original: (...args: A) => R | PromiseLike<R>;
}

export interface MemoizedMany<I, R> {
  (this: unknown, items: readonly I[]): Promise<R[]>;
  invalidate(items: readonly I[]): Promise<void>;
  get(items: readonly I[]): Promise<Array<R | NoValue>>;
  set(entries: Iterable<readonly [I, R]>): Promise<void>;
  refresh(this: unknown, items: readonly I[]): Promise<R[]>;
  readonly original: (items: I[]) => readonly R[] | PromiseLike<readonly R[]>;
}

const OWN_OPTIONS = ['namespace', 'key', 'includeThis'];
const CALL_OPTIONS = ['ttl', 'shouldCache', 'waitTimeout', 'onWaitTimeout', 'staleIfError', 'refresh'];

export function memoize<A extends unknown[], R>(region: Region, fn: (...args: A) => R | PromiseLike<R>, options: MemoizeOptions<R, A>): Memoized<A, R, R | NoValue> {
  const { callOptions, prefix, setOptions } = split<R>('memoize', fn, options, new Set([...OWN_OPTIONS, ...CALL_OPTIONS]));
  const { key: keyPart, includeThis = false } = options;
  if (keyPart !== undefined && typeof keyPart !== 'function') throw new TypeError(`key must be a function, received ${show(keyPart)}`);
  if (typeof includeThis !== 'boolean') throw new TypeError(`includeThis must be a boolean, received ${show(includeThis)}`);
  const { shouldCache } = callOptions;

  function keyOf(self: unknown, args: A): string {
    const part = keyPart !== undefined ? keyPart.apply(self, args) : canonicalKey(includeThis ? [self, ...args] : args);
    if (typeof part !== 'string') throw new TypeError(`key must return a string, received ${show(part)}`);
    return `${prefix}|${part}`;
  }

  const memoized = function (this: unknown, ...args: A): Promise<R | NoValue> {
    return region.getOrCreate<R>(keyOf(this, args), () => fn.apply(this, args), callOptions as GetOrCreateOptions<R> & { onWaitTimeout: 'miss' });
  } as Memoized<A, R, R | NoValue>;
  memoized.invalidate = function (this: unknown, ...args: A) {
    return region.delete(keyOf(this, args));
  };
  memoized.get = function (this: unknown, ...args: A) {
    return region.get<R>(keyOf(this, args));
  };
  memoized.set = function (this: unknown, value: R, ...args: A) {
    return region.set(keyOf(this, args), value, setOptions);
  };
  memoized.refresh = async function (this: unknown, ...args: A) {
    const key = keyOf(this, args);
    const value = await fn.apply(this, args);
    if (shouldCache === undefined || shouldCache(value, key)) await region.set(key, value, setOptions);
    return value;
  };
  memoized.key = function (this: unknown, ...args: A) {
    return keyOf(this, args);
  };
  Object.defineProperty(memoized, 'original', { value: fn, enumerable: true });
  return memoized;
}

export function memoizeMany<I, R>(region: Region, fn: (items: I[]) => readonly R[] | PromiseLike<readonly R[]>, options: MemoizeManyOptions<I, R>): MemoizedMany<I, R> {
  const { callOptions, prefix, setOptions } = split<R>('memoizeMany', fn, options, new Set(['namespace', 'key', ...CALL_OPTIONS.filter((name) => name !== 'onWaitTimeout')]));
  const { key: keyPart } = options;
  if (keyPart !== undefined && typeof keyPart !== 'function') throw new TypeError(`key must be a function, received ${show(keyPart)}`);
  const { shouldCache } = callOptions;

  function keyOf(item: I): string {
    const part = keyPart !== undefined ? keyPart(item) : canonicalKey(item);
    if (typeof part !== 'string') throw new TypeError(`key must return a string, received ${show(part)}`);
    return `${prefix}|${part}`;
  }

  const memoized = function (this: unknown, items: readonly I[]): Promise<R[]> {
    const byKey = new Map<string, I>();
    for (const item of items) byKey.set(keyOf(item), item);
    return region.getOrCreateMany<R>([...byKey.keys()], (missing) => fn.call(this, missing.map((key) => byKey.get(key) as I)), callOptions as GetOrCreateOptions<R> & { onWaitTimeout?: 'throw' }).then((values) => {
      const byValue = new Map<string, R>();
      let i = 0;
      for (const key of byKey.keys()) byValue.set(key, values[i++] as R);
      return items.map((item) => byValue.get(keyOf(item)) as R);
    });
  } as MemoizedMany<I, R>;
  memoized.invalidate = (items) => region.deleteMany(items.map(keyOf));
  memoized.get = (items) => region.getMany<R>(items.map(keyOf));
  memoized.set = (entries) => region.setMany(Array.from(entries, ([item, value]) => [keyOf(item), value] as const), setOptions);
  memoized.refresh = async function (this: unknown, items: readonly I[]) {
    const values = await fn.call(this, [...items]);
    const keep = items.map((item, i) => [keyOf(item), values[i] as R] as const).filter(([key, value]) => shouldCache === undefined || shouldCache(value, key));
    await region.setMany(keep, setOptions);
    return [...values];
  };
  Object.defineProperty(memoized, 'original', { value: fn, enumerable: true });
  return memoized;
}

/** Validates at once, and splits the options into the key prefix and the getOrCreate options. */
function split<R>(what: string, fn: unknown, options: object, known: ReadonlySet<string>): { callOptions: Omit<GetOrCreateOptions<R>, 'signal'>; prefix: string; setOptions: RegionSetOptions | undefined } {
  if (typeof fn !== 'function') throw new TypeError(`${what} needs a function, received ${show(fn)}`);
  if (typeof options !== 'object' || options === null) throw new TypeError(`${what} options must be an object, received ${show(options)}`);
  rejectUnknown(what, options, known);
  const { namespace = fn.name } = options as { namespace?: unknown };
  if (typeof namespace !== 'string' || namespace === '') {
    throw new TypeError(`${what} needs options.namespace (a non-empty string) for an anonymous function, received ${show(namespace)}`);
  }
  const callOptions = Object.fromEntries(Object.entries(options).filter(([name]) => CALL_OPTIONS.includes(name)));
  // The same checks getOrCreate makes on every call, made once now so a bad option fails here.
  resolveCallOptions(callOptions, { ttl: 0, waitTimeout: 0 } as Parameters<typeof resolveCallOptions>[1]);
  const { ttl } = callOptions as { ttl?: TtlOption<unknown> };
  return { callOptions, prefix: namespace, setOptions: ttl === undefined ? undefined : { ttl } };
}
