/**
 * Cacher options: the documented `CacherOptions` (all optional but `dir` for disk stores),
 * resolved against one frozen defaults object into `FilledOptions`, validated at construction
 * so a bad value fails at once with the option's name and the value received.
 */
import { availableParallelism } from 'node:os';
import { resolveCodec, type Codec } from '../../shared/codecs.js';
import type { Durability } from '../../shared/protocol.js';
import type { EngineStore } from '../stores/engine-store.js';
import { systemTimers, type Timers } from '../core/timers.js';
import { duration, positiveInteger, rejectUnknown, show, validateTimers } from '../core/validate.js';

export type StoreKind = 'log' | 'files' | 'memory';

export interface CacherOptions {
  /** Directory of a disk store. Required for `log` and `files`; created (mode `mode.dir`) if missing. */
  dir?: string;
  /**
   * Where values persist: `'log'` (segment files of appended records, see LogStore),
   * `'files'` (one file per key), `'memory'` (nothing persists), or a
   * store object (for example a RedisStore).
   * @default 'log'
   */
  store?: StoreKind | EngineStore;
  /** Serialization of values: 'v8', 'json', 'msgpack', a registered name, or a codec object. @default 'v8' */
  codec?: string | Codec;
  /** Default time-to-live of an entry, in ms; 0 = never expires. Per-entry `ttl` overrides. @default 0 */
  ttl?: number;
  /** A flush starts as soon as this many writes are queued. @default 1000 */
  batchSize?: number;
  /** The longest a queued write waits before its flush starts, in ms. @default 100 */
  flushDelay?: number;
  /**
   * cacheman's rules `[[seconds, changes], …]`: flush early once at least `changes` writes are
   * queued and `seconds` have passed since the last flush. `flushDelay` still bounds every write.
   * @default []
   */
  savePoints?: ReadonlyArray<readonly [seconds: number, changes: number]>;
  /** Queued writes above which `set` returns false and `'drain'` follows. @default 100000 */
  highWaterMark?: number;
  /** Queued writes above which `set` throws `QueueFullError`. Must be ≥ highWaterMark. @default 1000000 */
  maxPending?: number;
  /**
   * When `sync()` resolves: `'fsync'` durable (fsync of files and directories), `'os'` written
   * to the OS (survives a process crash, not a power cut), `'none'` like 'os' and the `files`
   * store overwrites in place (a crash may tear a value; checksums then read it as a miss).
   * @default 'fsync'
   */
  durability?: Durability;
  /** Most entries kept in memory; only entries already written are evicted. @default Infinity */
  maxEntries?: number;
  /** Most encoded bytes kept in memory; only entries already written are evicted. @default Infinity */
  maxBytes?: number;
  /**
   * Writer worker threads. @default 1 for the `log` store (one appender measured as fast as two
   * on 2 cores, with less main-thread cost), min(2, available cores) for the others
   */
  threads?: number;
  /** Flush on SIGINT/SIGTERM/beforeExit and write synchronously on exit. @default false */
  exitHooks?: boolean;
  /** Permissions of created files and directories. @default { file: 0o600, dir: 0o700 } */
  mode?: { file?: number; dir?: number };
  /** Clock and timers; tests pass their own. @default the system's */
  timers?: Timers;
  /**
   * The longest stretch, in ms, the engine encodes batches on the caller's thread before it
   * yields to the event loop (checked every 64 entries, so a slice always takes at least that
   * many). A batch that outlasts a slice goes on filling on the next turns. Lower keeps the
   * event loop's delay down; higher batches a little faster. @default 2
   */
  sliceMs?: number;
}

export interface FilledOptions {
  dir: string | undefined;
  store: StoreKind | EngineStore;
  codec: Codec;
  ttl: number;
  batchSize: number;
  flushDelay: number;
  savePoints: ReadonlyArray<readonly [number, number]>;
  highWaterMark: number;
  maxPending: number;
  durability: Durability;
  maxEntries: number;
  maxBytes: number;
  threads: number;
  exitHooks: boolean;
  mode: { file: number; dir: number };
  timers: Timers;
  sliceMs: number;
}

export const defaults = Object.freeze({
  store: 'log' as StoreKind,
  codec: 'v8',
  ttl: 0,
  batchSize: 1000,
  flushDelay: 100,
  savePoints: Object.freeze([]) as ReadonlyArray<readonly [number, number]>,
  highWaterMark: 100_000,
  maxPending: 1_000_000,
  durability: 'fsync' as Durability,
  maxEntries: Number.POSITIVE_INFINITY,
  maxBytes: Number.POSITIVE_INFINITY,
  threads: Math.max(1, Math.min(2, availableParallelism())),
  exitHooks: false,
  mode: Object.freeze({ file: 0o600, dir: 0o700 }),
  sliceMs: 2,
});

const known = new Set<string>([
  'dir', 'store', 'codec', 'ttl', 'batchSize', 'flushDelay', 'savePoints', 'highWaterMark',
  'maxPending', 'durability', 'maxEntries', 'maxBytes', 'threads', 'exitHooks', 'mode', 'timers',
  'sliceMs',
]);

function validateMode(value: unknown): { file: number; dir: number } {
  if (typeof value !== 'object' || value === null) throw new TypeError(`mode must be an object like { file: 0o600, dir: 0o700 }, received ${show(value)}`);
  const { file = defaults.mode.file, dir = defaults.mode.dir, ...rest } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new TypeError(`mode has unknown field ${extra[0]}; expected file and dir`);
  for (const [name, bits] of [['mode.file', file], ['mode.dir', dir]] as const) {
    if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 0 || bits > 0o7777) {
      throw new RangeError(`${name} must be a permission number from 0 to 0o7777, received ${show(bits)}`);
    }
  }
  return { file: file as number, dir: dir as number };
}

export function validateSavePoints(value: unknown): ReadonlyArray<readonly [number, number]> {
  if (!Array.isArray(value)) throw new TypeError(`savePoints must be an array of [seconds, changes] pairs, received ${show(value)}`);
  return Object.freeze(
    value.map((rule: unknown, i) => {
      if (!Array.isArray(rule) || rule.length !== 2) throw new TypeError(`savePoints[${i}] must be a [seconds, changes] pair, received ${show(rule)}`);
      return Object.freeze([duration(`savePoints[${i}][0] (seconds)`, rule[0]), positiveInteger(`savePoints[${i}][1] (changes)`, rule[1])] as const);
    }),
  );
}

function isEngineStore(value: unknown): value is EngineStore {
  return typeof value === 'object' && value !== null && typeof (value as EngineStore).open === 'function' && typeof (value as EngineStore).read === 'function';
}

export function fillOptions(options: CacherOptions = {}): FilledOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, received ${show(options)}`);
  rejectUnknown('', options, known);
  const o = options as Record<string, unknown>;
  const store = o.store === undefined ? defaults.store : o.store;
  if (store !== 'log' && store !== 'files' && store !== 'memory' && !isEngineStore(store)) {
    throw new TypeError(`store must be 'log', 'files', 'memory' or a store object, received ${show(store)}`);
  }
  const dir = o.dir;
  if (dir !== undefined && (typeof dir !== 'string' || dir === '')) throw new TypeError(`dir must be a non-empty string, received ${show(dir)}`);
  if ((store === 'log' || store === 'files') && dir === undefined) throw new TypeError(`dir is required for the ${store} store`);
  const durability = o.durability ?? defaults.durability;
  if (durability !== 'fsync' && durability !== 'os' && durability !== 'none') {
    throw new TypeError(`durability must be 'fsync', 'os' or 'none', received ${show(durability)}`);
  }
  if (o.exitHooks !== undefined && typeof o.exitHooks !== 'boolean') throw new TypeError(`exitHooks must be a boolean, received ${show(o.exitHooks)}`);
  const highWaterMark = positiveInteger('highWaterMark', o.highWaterMark ?? defaults.highWaterMark);
  const maxPending = positiveInteger('maxPending', o.maxPending ?? Math.max(defaults.maxPending, highWaterMark));
  if (maxPending < highWaterMark) throw new RangeError(`maxPending (${maxPending}) must be ≥ highWaterMark (${highWaterMark})`);
  let codec: Codec;
  try {
    codec = resolveCodec((o.codec ?? defaults.codec) as string | Codec);
  } catch (error) {
    throw new (error instanceof RangeError ? RangeError : TypeError)(`codec: ${(error as Error).message}`);
  }
  return {
    dir: dir as string | undefined,
    store: store as StoreKind | EngineStore,
    codec,
    ttl: duration('ttl', o.ttl ?? defaults.ttl),
    batchSize: positiveInteger('batchSize', o.batchSize ?? defaults.batchSize),
    flushDelay: duration('flushDelay', o.flushDelay ?? defaults.flushDelay),
    savePoints: o.savePoints === undefined ? defaults.savePoints : validateSavePoints(o.savePoints),
    highWaterMark,
    maxPending,
    durability: durability as Durability,
    maxEntries: positiveInteger('maxEntries', o.maxEntries ?? defaults.maxEntries, { allowInfinity: true }),
    maxBytes: positiveInteger('maxBytes', o.maxBytes ?? defaults.maxBytes, { allowInfinity: true }),
    threads: positiveInteger('threads', o.threads ?? (store === 'log' ? 1 : defaults.threads)),
    exitHooks: (o.exitHooks as boolean | undefined) ?? defaults.exitHooks,
    mode: o.mode === undefined ? { ...defaults.mode } : validateMode(o.mode),
    timers: o.timers === undefined ? systemTimers : validateTimers(o.timers),
    sliceMs: duration('sliceMs', o.sliceMs ?? defaults.sliceMs),
  };
}
