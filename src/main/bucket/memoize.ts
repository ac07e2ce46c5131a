/**
 * `bucket.memoize(fn)` and the `@bucket.cached()` method decorator: a call's result is stored
 * in the bucket under a key made from the function's name, its arguments (minus `ignore`d and
 * `nocache` ones) and, for methods, the instance's own state. A promise is cached by its
 * resolved value, never by a rejection, and concurrent calls with the same key share one call.
 */
import type { Bucket } from './bucket.js';
import { debug, describeKey } from './bucket-log.js';
import { lifetimeMs, type Lifetime } from './lifetime.js';
import { parameterNames } from './param-names.js';
import { keyState } from '../keys/canonical-key.js';
import { rejectUnknown, show } from '../core/validate.js';

export interface MemoHit<Args extends unknown[] = unknown[], R = unknown> {
  /** The arguments of the call that was answered from the cache. */
  args: Args;
  /** The cached value (for an async function, the resolved value). */
  value: Awaited<R>;
  /** When the entry expires, ms since the epoch; 0 = never. */
  expiresAt: number;
}

export interface BucketMemoizeOptions<Args extends unknown[] = unknown[], R = unknown> {
  /**
   * Part of every key; two memoized functions with the same name in one bucket share entries.
   * @default fn.name (required if the function is anonymous)
   */
  name?: string;
  /**
   * Include `this` in the key, for methods: its class name and own enumerable fields (functions
   * left out), or what its `[keyState]()` returns. @default false
   */
  method?: boolean;
  /** A boolean parameter that, when true, skips the cached value: the call runs and its result is stored. */
  nocache?: string;
  /** Parameters left out of the key: calls differing only in these share a cached result. */
  ignore?: readonly string[];
  /**
   * The function's parameter names, for `ignore` and `nocache`, when its source cannot be read
   * (native or bound functions) or has destructured parameters. @default read from `fn.toString()`
   */
  params?: readonly string[];
  /** Called on every call answered from the cache. */
  onHit?: (hit: MemoHit<Args, R>) => void;
  /** Lifetime of this function's entries. @default the bucket's */
  lifetime?: Lifetime;
}

/** What the bucket stores for one call: the value, its expiry, and whether the function returned a promise. */
type MemoEntry = [value: unknown, expiresAt: number, isAsync: 0 | 1];

const OPTION_NAMES = new Set(['name', 'method', 'nocache', 'ignore', 'params', 'onHit', 'lifetime']);

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * What identifies `this` for a `method`: its `[keyState]()` if it has one, else its class and
 * own enumerable fields minus functions (methods stored on the instance, bound handlers and
 * memoized functions are behaviour, not state, and would make the key impossible).
 */
function instanceState(self: unknown): unknown {
  if (typeof self !== 'object' || self === null || typeof (self as { [keyState]?: unknown })[keyState] === 'function') return self;
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(self)) if (typeof value !== 'function') fields[name] = value;
  const ctor = (self as { constructor?: { name?: unknown } }).constructor;
  return { class: typeof ctor?.name === 'string' ? ctor.name : '', fields };
}

function isMemoEntry(value: unknown): value is MemoEntry {
  return Array.isArray(value) && value.length === 3 && typeof value[1] === 'number' && (value[2] === 0 || value[2] === 1);
}

function stringList(option: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new TypeError(`memoize: ${option} must be an array of parameter names, received ${show(value)}`);
  }
  return value as string[];
}

export function memoize<Args extends unknown[], R, This = unknown>(
  bucket: Bucket,
  fn: (this: This, ...args: Args) => R,
  options: BucketMemoizeOptions<Args, R> = {},
): (this: This, ...args: Args) => R {
  if (typeof fn !== 'function') throw new TypeError(`memoize: fn must be a function, received ${show(fn)}`);
  if (typeof options !== 'object' || options === null) throw new TypeError(`memoize: options must be an object, received ${show(options)}`);
  rejectUnknown('', options, OPTION_NAMES);
  const { name = fn.name, method = false, nocache, onHit } = options;
  if (typeof name !== 'string' || name === '') throw new TypeError(`memoize: name must be a non-empty string (the function is anonymous), received ${show(name)}`);
  if (typeof method !== 'boolean') throw new TypeError(`memoize: method must be a boolean, received ${show(method)}`);
  if (nocache !== undefined && typeof nocache !== 'string') throw new TypeError(`memoize: nocache must be a parameter name, received ${show(nocache)}`);
  if (onHit !== undefined && typeof onHit !== 'function') throw new TypeError(`memoize: onHit must be a function, received ${show(onHit)}`);
  const ignore = options.ignore === undefined ? [] : stringList('ignore', options.ignore);
  const ttl = options.lifetime === undefined ? undefined : lifetimeMs('memoize: lifetime', options.lifetime);

  let names: ReadonlyArray<string | null> | undefined;
  if (nocache !== undefined || ignore.length > 0) {
    names = options.params === undefined ? parameterNames(fn) : stringList('params', options.params);
    if (names === undefined) throw new TypeError(`memoize: cannot read the parameter names of ${name} from its source; pass params: [...]`);
  }
  const position = (param: string, option: string): number => {
    const at = (names as ReadonlyArray<string | null>).indexOf(param);
    if (at < 0) throw new TypeError(`memoize: ${option} names parameter ${param}, which ${name} does not have (parameters: ${names?.map((n) => n ?? '<destructured>').join(', ')})`);
    return at;
  };
  const left = new Set(ignore.map((param) => position(param, 'ignore')));
  const refreshAt = nocache === undefined ? -1 : position(nocache, 'nocache');
  if (refreshAt >= 0) left.add(refreshAt);

  const cacher = bucket.cacher;
  const inFlight = new Map<string, Promise<unknown>>();

  const keyFor = (self: unknown, args: unknown[]): { key: string; keyValue: unknown } => {
    const keyArgs = args.map((arg, i) => (left.has(i) ? undefined : arg));
    // f(1) and f(1, undefined) are one call; a left-out position stays a hole so later
    // arguments keep their places.
    while (keyArgs.length > 0 && keyArgs[keyArgs.length - 1] === undefined) keyArgs.pop();
    const keyValue = method ? { memo: name, self: instanceState(self), args: keyArgs } : { memo: name, args: keyArgs };
    return { key: bucket.key(keyValue), keyValue };
  };

  const store = (key: string, value: unknown, isAsync: 0 | 1): void => {
    const life = ttl ?? bucket.lifetime;
    const expiresAt = life === 0 ? 0 : cacher.options.timers.now() + life;
    cacher.set(key, [value, expiresAt, isAsync] satisfies MemoEntry, ttl === undefined ? undefined : { ttl });
  };

  return function memoized(this: This, ...args: Args): R {
    const { key, keyValue } = keyFor(this, args);
    const refresh = refreshAt >= 0 && Boolean(args[refreshAt]);
    if (!refresh) {
      const cached = cacher.get(key);
      if (isMemoEntry(cached)) {
        if (debug.enabled) debug('memoize %s: hit %s', name, describeKey(keyValue, key, bucket.logFullKeys));
        const [value, expiresAt, isAsync] = cached;
        onHit?.({ args, value: value as Awaited<R>, expiresAt });
        return (isAsync === 1 ? Promise.resolve(value) : value) as R;
      }
      const pending = inFlight.get(key);
      if (pending !== undefined) return pending as R;
    }
    if (debug.enabled) debug('memoize %s: %s %s', name, refresh ? 'refresh' : 'miss', describeKey(keyValue, key, bucket.logFullKeys));
    const result = fn.apply(this, args);
    if (!isThenable(result)) {
      store(key, result, 0);
      return result;
    }
    const settled = Promise.resolve(result).then(
      (value) => {
        if (inFlight.get(key) === settled) inFlight.delete(key);
        store(key, value, 1);
        return value;
      },
      (error: unknown) => {
        if (inFlight.get(key) === settled) inFlight.delete(key);
        throw error;
      },
    );
    inFlight.set(key, settled);
    return settled as R;
  };
}

/** The standard (TC39) method decorator behind `@bucket.cached()`. */
export function cachedMethod(bucket: Bucket, options: BucketMemoizeOptions = {}) {
  return function decorate<This, Args extends unknown[], R>(
    target: (this: This, ...args: Args) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => R>,
  ): (this: This, ...args: Args) => R {
    if (context.kind !== 'method') throw new TypeError(`@cached() decorates methods, not a ${String((context as { kind: unknown }).kind)}`);
    const methodName = typeof context.name === 'symbol' ? (context.name.description ?? 'symbol') : context.name;
    const typed = options as BucketMemoizeOptions<Args, R>;
    if (!context.static) return memoize(bucket, target, { method: true, ...typed, name: typed.name ?? methodName });
    // A static method's `this` is its class, which has no state to key by; the class's name
    // keeps two classes' static methods of the same name apart.
    let memoized: ((this: This, ...args: Args) => R) | undefined;
    context.addInitializer(function (this: This) {
      const className = (this as { name?: string }).name ?? '';
      memoized = memoize(bucket, target, { ...typed, name: typed.name ?? `${className}.${methodName}` });
    });
    return function (this: This, ...args: Args): R {
      return (memoized as (this: This, ...args: Args) => R).apply(this, args);
    };
  };
}
