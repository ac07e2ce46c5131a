/**
 * `connectCacher(port)`: the Cacher of another thread, as seen from this one. Every call is a
 * message to the owning thread (exposeCacher) and back, with a deadline, so a dead or stalled
 * owner turns into a coded rejection rather than a hang.
 *
 * `set` stays synchronous and fire-and-forget: the sets of one tick travel in one message. A
 * set the owner refuses (ERR_QUEUE_FULL, ERR_STOPPED…) is reported as an `'error'` event and
 * makes the next `sync()` reject.
 */
import { EventEmitter } from 'node:events';
import type { MessagePort } from 'node:worker_threads';
import { releaseProxy, wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { CacherStats, GetOptions, SetOptions, WaitOptions } from '../engine/cacher.js';
import { duration, positiveInteger } from '../core/validate.js';
import { systemTimers, unrefTimer, type Timers } from '../core/timers.js';
import { InvalidationChannel } from './invalidation-channel.js';
import { LocalReadCache, type LocalCacheOptions } from './local-read-cache.js';
import { REMOTE_PROTOCOL, type AcquireResult, type RemoteApi } from './remote-api.js';
import { RemoteClosedError, RemoteTimeoutError, UnclonableValueError, installErrorTransfer, reviveError, serializeError } from './remote-errors.js';
import { reportError } from '../core/report.js';

export interface ConnectOptions {
  /**
   * Longest a call waits for the owning thread's answer, in ms. Calls that wait on purpose add
   * their own time to it: `sync`/`save` their `timeout`, `getOrCreate` its `waitTimeout`.
   * @default 5000
   */
  timeout?: number;
  /**
   * Keep a bounded copy of values read in this thread, dropped when any thread writes the key
   * (the owner broadcasts invalidations) or after `ttl`. Off by default: every `get` asks the owner.
   */
  localCache?: LocalCacheOptions;
  /** Clock and timers for deadlines; tests pass their own. @default the system's */
  timers?: Timers;
}

export interface RemoteGetOrCreateOptions<V> {
  /** Time-to-live of a created value, in ms. @default the owner's `ttl` */
  ttl?: number;
  /** Longest to wait for another thread's creator of the same key, in ms (may be Infinity). @default 30000 */
  waitTimeout?: number;
  /** Whether a created value is cached; waiting callers receive it either way. @default always */
  shouldCache?: (value: V) => boolean;
}

/** Counters of this connection (the owner's counters are `await stats()`). */
export interface RemoteCacherStats {
  localHits: number;
  localMisses: number;
  localEntries: number;
  /** `setMany` messages sent, and the sets they carried. */
  batches: number;
  batchedSets: number;
  /** Calls waiting for an answer. */
  pending: number;
}

interface PendingCall {
  name: string;
  keys: readonly string[];
  reject(error: unknown): void;
  timer: unknown;
}

interface SetBatch {
  keys: string[];
  values: unknown[];
  ttls: Array<number | undefined> | undefined;
}

const DEFAULT_TIMEOUT = 5_000;
const DEFAULT_WAIT = 30_000;
/** Failed sets remembered for the next sync(); beyond this they are only reported as events. */
const MAX_REMEMBERED_ERRORS = 100;

export function connectCacher(port: MessagePort, options: ConnectOptions = {}): RemoteCacher {
  return new RemoteCacher(port, options);
}

export class RemoteCacher extends EventEmitter implements AsyncDisposable {
  #port: MessagePort;
  #remote: Remote<RemoteApi>;
  #timeout: number;
  #timers: Timers;
  #calls = new Set<PendingCall>();
  /** Set by the endpoint when postMessage threw for the call being made (a value that cannot be cloned). */
  #unsent: unknown;
  #batch: SetBatch | undefined;
  #batchesInFlight = new Set<Promise<void>>();
  #setErrors: Error[] = [];
  #closedReason: string | undefined;
  #releasing: Promise<void> | undefined;
  #local: LocalReadCache | undefined;
  #channel: InvalidationChannel | undefined;
  #batches = 0;
  #batchedSets = 0;

  constructor(port: MessagePort, options: ConnectOptions = {}) {
    super();
    if (typeof (port as Partial<MessagePort> | null)?.postMessage !== 'function' || typeof port.on !== 'function') {
      throw new TypeError('port must be a MessagePort (one end of a MessageChannel)');
    }
    this.#timeout = options.timeout === undefined ? DEFAULT_TIMEOUT : duration('timeout', options.timeout);
    this.#timers = options.timers ?? systemTimers;
    const local = options.localCache === undefined ? undefined : localCacheOptions(options.localCache);
    installErrorTransfer();
    this.#port = port;
    const endpoint = nodeEndpoint(port);
    const post = endpoint.postMessage.bind(endpoint);
    endpoint.postMessage = (message, transfer) => {
      try {
        post(message, transfer);
      } catch (error) {
        this.#unsent = error;
        throw error;
      }
    };
    this.#remote = wrap<RemoteApi>(endpoint);
    port.on('close', this.#onClose);
    const hello = this.#call('hello', [], this.#timeout, (r) => r.hello(local !== undefined));
    hello.then(
      ({ protocol, channel }) => {
        if (protocol !== REMOTE_PROTOCOL) {
          this.#shutdown(`the owner speaks protocol ${protocol}, this thread ${REMOTE_PROTOCOL}: load the same larder version in both`);
          return;
        }
        // The local cache starts only once invalidations can reach it: reads answered before
        // that are not stored.
        if (local !== undefined && this.#closedReason === undefined) {
          this.#local = new LocalReadCache(local, this.#timers);
          this.#channel = new InvalidationChannel(channel, (keys) => {
            this.#local?.invalidate(keys);
            this.emit('invalidate', keys);
          });
        }
      },
      () => {
        // Closed or timed out: every later call reports that itself; there is just no local cache.
      },
    );
  }

  /** True once released, or once the connection closed (the owner exited or closed it). */
  get closed(): boolean {
    return this.#closedReason !== undefined;
  }

  get localStats(): RemoteCacherStats {
    return {
      localHits: this.#local?.hits ?? 0,
      localMisses: this.#local?.misses ?? 0,
      localEntries: this.#local?.size ?? 0,
      batches: this.#batches,
      batchedSets: this.#batchedSets,
      pending: this.#calls.size,
    };
  }

  /**
   * Queues a set; the sets of one tick go to the owner in one message. Fire-and-forget: a set
   * the owner refuses is an `'error'` event and the next `sync()` rejects with it.
   * @throws TypeError for a non-string key; RemoteClosedError after release or close.
   */
  set(key: string, value: unknown, options?: SetOptions): void {
    if (this.#closedReason !== undefined) throw new RemoteClosedError('set', this.#closedReason, [key]);
    if (typeof key !== 'string') throw new TypeError(`key must be a string, received ${typeof key}`);
    const ttl = options?.ttl === undefined ? undefined : duration('ttl', options.ttl);
    this.#local?.invalidate([key]);
    let batch = this.#batch;
    if (batch === undefined) {
      batch = this.#batch = { keys: [], values: [], ttls: undefined };
      queueMicrotask(this.#flushSets);
    }
    if (ttl !== undefined && batch.ttls === undefined) batch.ttls = new Array<number | undefined>(batch.keys.length).fill(undefined);
    batch.keys.push(key);
    batch.values.push(value);
    batch.ttls?.push(ttl);
  }

  /** The value for `key` (undefined on a miss), from the local read cache when it has it. */
  async get(key: string, options?: GetOptions): Promise<unknown> {
    const local = options?.maxAge === undefined ? this.#local : undefined;
    const box = local?.lookup(key);
    if (box !== undefined) return box.value;
    if (local === undefined) return this.#call('get', [key], this.#timeout, (r) => r.get(key, options));
    local.startRead(key);
    let value: unknown;
    try {
      value = await this.#call('get', [key], this.#timeout, (r) => r.get(key));
    } catch (error) {
      local.finishRead(key, false, undefined);
      throw error;
    }
    local.finishRead(key, value !== undefined, value);
    return value;
  }

  async has(key: string, options?: GetOptions): Promise<boolean> {
    if (options?.maxAge === undefined && this.#local?.lookup(key) !== undefined) return true;
    return this.#call('has', [key], this.#timeout, (r) => r.has(key, options));
  }

  /** Deletes `key` on the owner; resolves with whether it existed. */
  async delete(key: string): Promise<boolean> {
    this.#local?.invalidate([key]);
    return this.#call('delete', [key], this.#timeout, (r) => r.delete(key));
  }

  /** Stores a value and resolves once the owner reports it durable. */
  async save(key: string, value: unknown, options?: SetOptions & WaitOptions): Promise<void> {
    this.#local?.invalidate([key]);
    const timeout = waitTimeout(options);
    const sent: { ttl?: number; timeout: number } = { timeout };
    if (options?.ttl !== undefined) sent.ttl = options.ttl;
    return this.#call('save', [key], timeout + this.#timeout, (r) => r.save(key, value, sent));
  }

  /**
   * The owner's durability barrier, for every write this thread made before the call
   * (including the sets not yet sent). Rejects with the owner's error, or with the first set the
   * owner refused since the previous `sync()` (each was also an `'error'` event).
   */
  async sync(options?: WaitOptions): Promise<void> {
    const timeout = waitTimeout(options);
    const syncing = this.#call('sync', [], timeout + this.#timeout, (r) => r.sync({ timeout }));
    const batches = [...this.#batchesInFlight];
    await syncing;
    await Promise.all(batches);
    const refused = this.#setErrors.splice(0);
    if (refused.length > 0) throw refused[0];
  }

  /** The owning Cacher's counters. */
  async stats(): Promise<CacherStats> {
    return this.#call('stats', [], this.#timeout, (r) => r.stats());
  }

  /**
   * The cached value of `key`, or the value `creator` makes. Across every connected thread one
   * creator runs per key at a time (the owner holds the lock); the others wait for its value, or
   * fail with its error. The creator runs in this thread.
   */
  async getOrCreate<V>(key: string, creator: (key: string) => V | Promise<V>, options: RemoteGetOrCreateOptions<V> = {}): Promise<V> {
    if (typeof creator !== 'function') throw new TypeError(`creator must be a function, received ${typeof creator}`);
    const ttl = options.ttl === undefined ? undefined : duration('ttl', options.ttl);
    const wait = options.waitTimeout === undefined ? DEFAULT_WAIT : options.waitTimeout === Number.POSITIVE_INFINITY ? options.waitTimeout : duration('waitTimeout', options.waitTimeout);
    const box = this.#local?.lookup(key);
    if (box !== undefined) return box.value as V;
    const acquired = await this.#call('getOrCreate', [key], wait + this.#timeout, (r) => r.acquire(key, wait) as Promise<AcquireResult>);
    if (acquired.hit) return acquired.value as V;
    const { token } = acquired;
    let value: V;
    try {
      value = await creator(key);
    } catch (error) {
      this.#abandon(key, token, error);
      throw error;
    }
    const store = options.shouldCache?.(value) ?? true;
    const fulfil: { ttl?: number; store: boolean } = { store };
    if (ttl !== undefined) fulfil.ttl = ttl;
    this.#local?.invalidate([key]);
    try {
      await this.#call('getOrCreate', [key], this.#timeout, (r) => r.fulfil(key, token, value, fulfil));
    } catch (error) {
      // The value never reached the owner (it cannot be cloned, say): free the waiters.
      if (error instanceof UnclonableValueError) this.#abandon(key, token, error);
      throw error;
    }
    return value;
  }

  /**
   * Sends the sets still queued, then closes the comlink proxy and the port. Calls still
   * waiting reject with ERR_REMOTE_CLOSED. Idempotent. Call `sync()` first to learn whether
   * every set was accepted; refusals after that are `'error'` events only.
   */
  release(): Promise<void> {
    this.#releasing ??= (async () => {
      this.#flushSets();
      await Promise.all([...this.#batchesInFlight]);
      if (this.#closedReason !== undefined) return;
      try {
        this.#remote[releaseProxy]();
      } catch {
        // already released by comlink
      }
      this.#shutdown('released by this thread');
    })();
    return this.#releasing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  // ---- internals -----------------------------------------------------------------------------

  /** One remote call with its deadline; rejected early if the connection closes. */
  #call<T>(name: string, keys: readonly string[], deadline: number, send: (remote: Remote<RemoteApi>) => Promise<T>): Promise<T> {
    this.#unsent = undefined;
    if (this.#closedReason !== undefined) return Promise.reject(new RemoteClosedError(name, this.#closedReason, keys));
    // Sets queued earlier must reach the owner first: the port keeps messages in order.
    if (name !== 'set') this.#flushSets();
    return new Promise<T>((resolve, reject) => {
      const call: PendingCall = { name, keys, reject, timer: undefined };
      if (deadline !== Number.POSITIVE_INFINITY) {
        call.timer = unrefTimer(this.#timers, () => {
          if (this.#calls.delete(call)) reject(new RemoteTimeoutError(name, deadline, keys));
        }, deadline);
      }
      this.#calls.add(call);
      const settle = (fn: () => void): void => {
        if (!this.#calls.delete(call)) return;
        if (call.timer !== undefined) this.#timers.clearTimeout(call.timer);
        fn();
      };
      let sent: Promise<T>;
      try {
        sent = send(this.#remote);
      } catch (error) {
        sent = Promise.reject(error);
      }
      const unsent = this.#unsent;
      sent.then(
        (value) => settle(() => resolve(value)),
        (error: unknown) => settle(() => reject(unsent === undefined ? error : new UnclonableValueError(keys, unsent))),
      );
    });
  }

  #flushSets = (): void => {
    const batch = this.#batch;
    if (batch === undefined) return;
    this.#batch = undefined;
    this.#sendBatch(batch);
  };

  #sendBatch(batch: SetBatch): void {
    const { keys, values, ttls } = batch;
    const sending = this.#call('set', keys, this.#timeout, (r) => r.setMany(keys, values, ttls));
    if (this.#unsent !== undefined && keys.length > 1) {
      // One value cannot be cloned, and postMessage refused the whole batch: send the sets one
      // by one, now (before any later message), so only that one is reported.
      sending.catch(() => {});
      for (let i = 0; i < keys.length; i++) {
        this.#sendBatch({ keys: [keys[i] as string], values: [values[i]], ttls: ttls === undefined ? undefined : [ttls[i]] });
      }
      return;
    }
    this.#batches++;
    this.#batchedSets += keys.length;
    const done = sending.then(
      (failures) => {
        for (const failure of failures ?? []) this.#refused(reviveError(failure.error));
      },
      (error: unknown) => this.#refused(error instanceof Error ? error : new Error(String(error))),
    );
    this.#batchesInFlight.add(done);
    void done.finally(() => this.#batchesInFlight.delete(done));
  }

  /** A set the owner refused or that never reached it: reported now, and by the next sync(). */
  #refused(error: Error): void {
    if (this.#setErrors.length < MAX_REMEMBERED_ERRORS) this.#setErrors.push(error);
    reportError(this, error);
  }

  #abandon(key: string, token: number, error: unknown): void {
    const sent = error instanceof Error ? serializeError(error) : { value: error };
    this.#call('getOrCreate', [key], this.#timeout, (r) => r.abandon(key, token, sent)).catch(() => {
      // The owner is gone or the error cannot be cloned: the owner's lease frees the waiters.
    });
  }

  #onClose = (): void => {
    this.#shutdown('the port closed: the owning thread exited or closed it');
  };

  #shutdown(reason: string): void {
    if (this.#closedReason !== undefined) return;
    this.#closedReason = reason;
    this.#batch = undefined;
    for (const call of this.#calls) {
      if (call.timer !== undefined) this.#timers.clearTimeout(call.timer);
      call.reject(new RemoteClosedError(call.name, reason, call.keys));
    }
    this.#calls.clear();
    this.#channel?.close();
    this.#channel = undefined;
    this.#local?.clear();
    this.#local = undefined;
    this.#port.off('close', this.#onClose);
    this.#port.close();
    this.emit('close', reason);
  }
}

function localCacheOptions(value: LocalCacheOptions): Required<LocalCacheOptions> {
  if (typeof value !== 'object' || value === null) throw new TypeError(`localCache must be an object like { max: 1000 }, received ${String(value)}`);
  return {
    max: positiveInteger('localCache.max', value.max),
    ttl: value.ttl === undefined ? 0 : duration('localCache.ttl', value.ttl),
  };
}

function waitTimeout(options: WaitOptions | undefined): number {
  if (options?.timeout === undefined) return DEFAULT_WAIT;
  return duration('timeout', options.timeout);
}
