/**
 * `exposeCacher(cacher, port)`: serves one Cacher to another thread over a MessagePort with
 * comlink. Call it once per connected thread (one MessageChannel each); all connections to a
 * Cacher share its getOrCreate lock table and its invalidation channel.
 */
import type { MessagePort } from 'node:worker_threads';
import { expose, finalizer } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Cacher } from '../engine/cacher.js';
import { duration } from '../core/validate.js';
import { InvalidationChannel, invalidationChannelName } from './invalidation-channel.js';
import { REMOTE_PROTOCOL, type AcquireResult, type RemoteApi, type SetFailure } from './remote-api.js';
import { RemoteClosedError, RemoteLockTimeoutError, installErrorTransfer, reviveError, serializeError } from './remote-errors.js';
import { SingleFlight } from './single-flight.js';
import type { Region } from '../region/region.js';
import { unrefTimer } from '../core/timers.js';

export interface ExposeOptions {
  /**
   * Longest a connected thread's `getOrCreate` creator may hold a key's lock, in ms. After it,
   * the waiters fail with `ERR_REMOTE_LOCK_TIMEOUT` and the next caller may create; a creator
   * that reports later still stores its value. A creator whose thread exits or releases its
   * connection loses the lock at once.
   * @default 60000
   */
  lockTimeout?: number;
  /**
   * Route `getOrCreate` through this Region instead of the owner's own lock table: the Region
   * reads and stores the value (its store, its ttl, its staleness rules) and its single-flight
   * decides who creates; the creator still runs in the calling thread. The caller's `ttl` is
   * not used on this path (the Region's applies); `shouldCache` is.
   */
  region?: Region;
}

export interface CacherExposure {
  /**
   * Tells connected threads' local read caches that `keys` changed. Writes that arrive over a
   * connection are announced already; call this for writes the owning thread makes directly.
   */
  invalidate(keys: Iterable<string>): void;
  /** Stops serving, closes the port, and fails the creations this connection holds. Idempotent. */
  close(): void;
  readonly closed: boolean;
}

interface OwnerState {
  flights: SingleFlight;
  channel: InvalidationChannel;
  /** Connections that keep a local read cache; invalidations are published only when there are some. */
  subscribers: number;
  connections: number;
}

const DEFAULT_LOCK_TIMEOUT = 60_000;
const owners = new WeakMap<Cacher, OwnerState>();
let nextConnection = 0;

/** A creation a Region granted to a connected thread, waiting for that thread's value. */
interface Handoff {
  connection: number;
  key: string;
  flags: { store: boolean };
  resolve(value: unknown): void;
  reject(error: unknown): void;
  lease: unknown;
}
const handoffs = new Map<number, Handoff>();
let nextHandoff = 0;

export function exposeCacher(cacher: Cacher, port: MessagePort, options: ExposeOptions = {}): CacherExposure {
  if (!(cacher instanceof Cacher)) throw new TypeError(`cacher must be a Cacher, received ${typeof cacher}`);
  if (typeof (port as Partial<MessagePort> | null)?.postMessage !== 'function' || typeof port.on !== 'function') {
    throw new TypeError('port must be a MessagePort (one end of a MessageChannel)');
  }
  const region = options.region;
  if (region !== undefined && typeof (region as Partial<Region> | null)?.getOrCreate !== 'function') throw new TypeError('region must be a Region');
  const lockTimeout = options.lockTimeout === undefined ? DEFAULT_LOCK_TIMEOUT : options.lockTimeout === Number.POSITIVE_INFINITY ? options.lockTimeout : duration('lockTimeout', options.lockTimeout);
  installErrorTransfer();
  let state = owners.get(cacher);
  if (state === undefined) {
    state = { flights: new SingleFlight(cacher.options.timers), channel: new InvalidationChannel(invalidationChannelName()), subscribers: 0, connections: 0 };
    owners.set(cacher, state);
  }
  const owner = state;
  owner.connections++;
  const connection = ++nextConnection;
  let subscribed = false;
  let closed = false;

  const publish = (keys: readonly string[]): void => {
    if (owner.subscribers > 0) owner.channel.publish(keys);
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    port.off('close', close);
    const gone = (key: string): Error => new RemoteClosedError('getOrCreate', 'the thread creating this value disconnected', [key]);
    owner.flights.abandon(connection, gone);
    for (const [token, handoff] of handoffs) if (handoff.connection === connection) endHandoff(token, { error: gone(handoff.key) });
    if (subscribed) owner.subscribers--;
    if (--owner.connections === 0) {
      owner.channel.close();
      owners.delete(cacher);
    }
    port.close();
  };

  const api: RemoteApi & { [finalizer](): void } = {
    hello(subscribe) {
      if (subscribe && !subscribed) {
        subscribed = true;
        owner.subscribers++;
      }
      return { protocol: REMOTE_PROTOCOL, channel: owner.channel.name };
    },
    get: (key, getOptions) => cacher.get(key, getOptions),
    has: (key, getOptions) => cacher.has(key, getOptions),
    delete(key) {
      const existed = cacher.delete(key);
      publish([key]);
      return existed;
    },
    setMany(keys, values, ttls) {
      let failures: SetFailure[] | undefined;
      const failed = new Set<number>();
      for (let i = 0; i < keys.length; i++) {
        const ttl = ttls?.[i];
        try {
          cacher.set(keys[i] as string, values[i], ttl === undefined ? undefined : { ttl });
        } catch (error) {
          const serialized = serializeError(asError(error));
          if (serialized.larder && (serialized.keys === undefined || serialized.keys.length === 0)) serialized.keys = [keys[i] as string];
          (failures ??= []).push({ index: i, error: serialized });
          failed.add(i);
        }
      }
      publish(failed.size === 0 ? keys : keys.filter((_, i) => !failed.has(i)));
      return failures;
    },
    save(key, value, saveOptions) {
      const saving = cacher.save(key, value, saveOptions);
      publish([key]);
      return saving;
    },
    sync: (syncOptions) => cacher.sync(syncOptions),
    stats: () => ({ ...cacher.stats }),
    async acquire(key, waitTimeout) {
      if (region !== undefined) return acquireThroughRegion(region, key, waitTimeout);
      const value = cacher.get(key);
      if (value !== undefined || cacher.has(key)) return { hit: true, value };
      const joined = owner.flights.join(key, connection, { waitTimeout, lockTimeout });
      if ('token' in joined) return { hit: false, token: joined.token };
      return { hit: true, value: await joined.wait };
    },
    fulfil(key, token, value, { ttl, store }) {
      const handoff = handoffs.get(token);
      if (handoff !== undefined) {
        handoff.flags.store = store;
        endHandoff(token, { value });
        publish([key]);
        return;
      }
      try {
        if (store) {
          cacher.set(key, value, ttl === undefined ? undefined : { ttl });
          publish([key]);
        }
      } finally {
        // Waiters get the value even if caching it failed; the creator gets the failure.
        owner.flights.settle(key, token, { value });
      }
    },
    abandon(key, token, error) {
      const outcome = { error: 'value' in error ? error.value : reviveError(error) };
      if (handoffs.has(token)) endHandoff(token, outcome);
      else owner.flights.settle(key, token, outcome);
    },
    // comlink calls this after answering the caller's release(): the port is of no further use.
    [finalizer]: close,
  };

  /**
   * Asks the Region for `key` with a creator that hands the creation to the calling thread:
   * if the Region calls it, this caller is told to create; otherwise the Region's answer (a
   * stored value, or another creation's result) is the answer.
   */
  function acquireThroughRegion(r: Region, key: string, waitTimeout: number): Promise<AcquireResult> {
    const flags = { store: true };
    let grant!: (token: number) => void;
    const granted = new Promise<number>((resolve) => (grant = resolve));
    const creating = r.getOrCreate(
      key,
      () =>
        new Promise<unknown>((resolve, reject) => {
          const token = ++nextHandoff;
          const handoff: Handoff = { connection, key, flags, resolve, reject, lease: undefined };
          if (lockTimeout !== Number.POSITIVE_INFINITY) {
            handoff.lease = unrefTimer(cacher.options.timers, () => endHandoff(token, { error: new RemoteLockTimeoutError(key, lockTimeout) }), lockTimeout);
          }
          handoffs.set(token, handoff);
          grant(token);
        }),
      { waitTimeout, shouldCache: () => flags.store },
    );
    // The creating thread learns its own creator's failure; this promise only answers waiters.
    creating.catch(() => {});
    return Promise.race([
      creating.then((value): AcquireResult => ({ hit: true, value: typeof value === 'symbol' ? undefined : value })),
      granted.then((token): AcquireResult => ({ hit: false, token })),
    ]);
  }

  function endHandoff(token: number, outcome: { value: unknown } | { error: unknown }): void {
    const handoff = handoffs.get(token);
    if (handoff === undefined) return;
    handoffs.delete(token);
    if (handoff.lease !== undefined) cacher.options.timers.clearTimeout(handoff.lease);
    if ('value' in outcome) handoff.resolve(outcome.value);
    else handoff.reject(outcome.error);
  }

  port.on('close', close);
  expose(api, nodeEndpoint(port));
  return {
    invalidate: (keys) => publish([...keys]),
    close,
    get closed() {
      return closed;
    },
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
