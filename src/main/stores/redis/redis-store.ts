/**
 * The `redis` store: many processes on many hosts share one cache in a Redis (or Valkey) server.
 * Each process keeps its own memory layer and write queue (the engine); batches go out as
 * pipelines from the worker pool, each thread over its own connection, so the caller's thread pays
 * only for encoding. Values are framed and checksummed like disk records, and TTLs are the server's
 * (`PX`). After each batch the writer publishes the batch's keys; every other process drops its
 * clean copies of them. Regions' invalidations travel on the same channel. `mutex(key)` is a Redis
 * lock for single-flight across processes.
 *
 * Key layout under `keyPrefix` P: values at `P v:key`, locks at `P l:key`, the channel `P invalidations`.
 *
 * A Redis Cluster (`cluster: [seed URLs]`, or a `createCluster` client) is spread by key: each
 * key's slot is hashed from the whole name, so values and locks spread over the masters (a hash tag
 * in a key, `{user:1}profile`, keeps that key's value and lock on one slot; one in the prefix would
 * put the whole cache on one master). Writers split each batch by node (src/worker/redis/cluster-writer.ts);
 * reads, locks and pub/sub go through node-redis's cluster client (src/main/stores/redis/redis-cluster-link.ts).
 *
 * Reads cannot be synchronous over a network: `read` misses, and `load` (the engine's async read)
 * asks the server. With Redis unreachable, writes fail with the connection's code and stay queued
 * (the engine retries them with backoff), reads fall back to memory, and the outage is reported.
 */
import { randomUUID } from 'node:crypto';
import type { BackendMutex, RegionInvalidation } from '../engine-store.js';
import { duration } from '../../core/validate.js';
import { WorkerPool } from '../../core/worker-pool.js';
import type { BatchColumns, RedisTarget, WriteResult } from '../../../shared/protocol.js';
import { encodeInvalidation, encodeRegionInvalidation } from '../../../shared/redis-invalidation.js';
import { RedisLink, type RedisClient, type RedisConnection } from './redis-link.js';
import { ClusterLink, type RedisClusterClient } from './redis-cluster-link.js';
import type { EngineStore, StoreContext, StoredEntry } from '../engine-store.js';
import { readStoredEntry } from '../record-reader.js';
import { RedisUnavailableError, redact } from './redis-errors.js';
import { InvalidationListener } from './redis-invalidation.js';
import { RedisMutex } from './redis-mutex.js';

export interface RedisStoreOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, or `rediss://…` for TLS. Every writer thread and
   * the subscriber open their own connection to it.
   * @default process.env.REDIS_URL, else 'redis://127.0.0.1:6379'
   */
  url?: string;
  /**
   * Prepended to every key this store touches. Processes that share a cache use the same prefix;
   * caches that must not see each other use different ones.
   * @default 'larder:'
   */
  keyPrefix?: string;
  /**
   * A Redis Cluster (or Valkey cluster) instead of one server: the URLs of a few of its nodes
   * (`redis://[[user]:password@]host:port`, `rediss://` for TLS; no database number: a cluster has
   * only database 0). The rest of the cluster is learnt from them. Not with `url`.
   * @example ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000', 'redis://10.0.0.3:7000']
   */
  cluster?: readonly string[];
  /**
   * A node-redis (v5) client of your own for the caller's thread (reads, locks, SCAN) — from
   * `createClient`, or from `createCluster` for a cluster; you connect and close it. Writer threads
   * cannot share it: they connect to `url` or `cluster` (or, when neither is given, to the client's
   * own URL, or to the cluster client's root nodes with its default username and password).
   */
  client?: RedisClient | RedisClusterClient;
  /** A pipeline or read unanswered for this long fails with ETIMEDOUT, in ms. @default 5000 */
  commandTimeout?: number;
  /** How long a write waits for a connection before failing with the connection's error, in ms. @default 5000 */
  connectTimeout?: number;
  /** Lease of a `mutex` lock, in ms: renewed every third of it while held; taken over once it runs out after its owner died. @default 10000 */
  lockLease?: number;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const SCAN_COUNT = 1000;
const UNLINK_CHUNK = 500;

export class RedisStore implements EngineStore {
  readonly kind = 'redis';
  readonly persistent = true;
  readonly encodesInWorker = true;
  /** The server's URL; for a cluster, its first seed node's. */
  readonly url: string;
  /** The cluster's seed nodes' URLs; undefined for one server. */
  readonly cluster: readonly string[] | undefined;
  readonly keyPrefix: string;
  readonly commandTimeout: number;
  readonly connectTimeout: number;
  readonly lockLease: number;
  /** Tells this store's invalidation messages from everyone else's. */
  readonly sender = randomUUID();
  readonly #client: RedisClient | RedisClusterClient | undefined;
  readonly #dataPrefix: string;
  readonly #lockPrefix: string;
  readonly #channel: string;
  #context: StoreContext | undefined;
  #link: RedisConnection | undefined;
  #listener: InvalidationListener | undefined;
  #pool: WorkerPool | undefined;
  #target: Omit<RedisTarget, 'now'> | undefined;
  /** Whether the current outage was reported already: one 'error' per outage, not one per retry. */
  #down = false;
  /**
   * Keys this process wrote or read, kept only for a context that cannot drop every copy at once
   * (a TieredStore's remote tier, which needs the keys): after the subscriber missed messages (a
   * reconnect) they are all dropped from memory. Under the engine itself this is undefined, and
   * `invalidateAll` drops every clean copy instead: a Set of every key ever written grew without
   * bound and cost an insert per written key on the caller's thread.
   */
  #known: Set<string> | undefined;
  /** Regions of this process listening for other processes' region invalidations. */
  readonly #regionListeners = new Set<(message: RegionInvalidation) => void>();

  constructor(options: RedisStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, received ${String(options)}`);
    const { client, keyPrefix = 'larder:', commandTimeout = 5_000, connectTimeout = 5_000, lockLease = 10_000 } = options;
    if (client !== undefined && (typeof client !== 'object' || client === null || typeof (client as RedisClient).multi !== 'function')) {
      throw new TypeError(`client must be a node-redis client, received ${typeof client}`);
    }
    const clusterClient = client !== undefined && isCluster(client);
    let cluster: readonly string[] | undefined;
    let url: string;
    if (options.cluster !== undefined || clusterClient) {
      if (options.url !== undefined) throw new TypeError(`url names one server; for a cluster give its nodes as cluster, received url ${JSON.stringify(redact(String(options.url)))} with a cluster`);
      if (client !== undefined && !clusterClient) throw new TypeError('client must be a createCluster() client when cluster is given, received a single-server client');
      cluster = options.cluster ?? seedsOf(client as RedisClusterClient);
      if (!Array.isArray(cluster) || cluster.length === 0) throw new TypeError(`cluster must be a non-empty array of redis:// URLs, received ${Array.isArray(cluster) ? '[]' : typeof cluster}`);
      for (const seed of cluster) {
        redisUrl('cluster', seed);
        if (new URL(seed).pathname.length > 1 && new URL(seed).pathname !== '/0') throw new TypeError(`cluster nodes have only database 0, received ${JSON.stringify(redact(seed))}`);
      }
      cluster = Object.freeze([...cluster]);
      url = cluster[0] as string;
    } else {
      const clientUrl = (client as { options?: { url?: unknown } } | undefined)?.options?.url;
      url = redisUrl('url', options.url ?? (typeof clientUrl === 'string' ? clientUrl : undefined) ?? process.env.REDIS_URL ?? DEFAULT_URL);
    }
    if (typeof keyPrefix !== 'string') throw new TypeError(`keyPrefix must be a string, received ${typeof keyPrefix}`);
    this.url = url;
    this.cluster = cluster;
    this.keyPrefix = keyPrefix;
    this.commandTimeout = positive('commandTimeout', commandTimeout);
    this.connectTimeout = positive('connectTimeout', connectTimeout);
    this.lockLease = positive('lockLease', lockLease);
    this.#client = client;
    this.#dataPrefix = `${keyPrefix}v:`;
    this.#lockPrefix = `${keyPrefix}l:`;
    this.#channel = `${keyPrefix}invalidations`;
  }

  /**
   * Connects, subscribes and starts the writer threads. Resolves even when Redis is unreachable
   * (after `connectTimeout`, with an 'error' event): the cache runs from memory and its writes
   * queue until Redis is back.
   */
  async open(context: StoreContext): Promise<void> {
    this.#context = context;
    this.#known = context.invalidateAll === undefined ? new Set() : undefined;
    this.#down = false;
    const onError = (error: Error): void => this.#unavailable(error);
    const onReady = (): void => {
      this.#down = false;
    };
    let nodes: (() => readonly string[]) | undefined;
    if (this.cluster === undefined) {
      this.#link = new RedisLink({ url: this.url, connectTimeout: this.connectTimeout, ...(this.#client === undefined ? {} : { client: this.#client as RedisClient }), onError, onReady });
    } else {
      const link = new ClusterLink({ seeds: this.cluster, connectTimeout: this.connectTimeout, ...(this.#client === undefined ? {} : { cluster: this.#client as RedisClusterClient }), onError, onReady });
      nodes = () => link.nodeUrls();
      this.#link = link;
    }
    this.#listener = new InvalidationListener({
      url: this.url,
      ...(nodes === undefined ? {} : { nodes }),
      channel: this.#channel,
      sender: this.sender,
      connectTimeout: this.connectTimeout,
      onKeys: (keys) => this.#dropCopies(keys),
      onRegion: ({ region, hard, at }) => {
        for (const listener of this.#regionListeners) listener({ region, hard, at });
      },
      onGap: () => {
        if (this.#known !== undefined) this.#dropCopies([...this.#known]);
        else context.invalidateAll?.();
      },
      report: (error) => context.report(error),
    });
    this.#target = {
      kind: 'redis',
      url: this.url,
      dataPrefix: this.#dataPrefix,
      channel: this.#channel,
      sender: this.sender,
      commandTimeout: this.commandTimeout,
      connectTimeout: this.connectTimeout,
      ...(this.cluster === undefined ? {} : { cluster: this.cluster }),
    };
    // A pool of its own, not the shared one (core/shared-pool.ts): its threads hold this store's
    // connections to the server, which close with the store.
    this.#pool = new WorkerPool(context.threads);
    const [ready] = await Promise.all([this.#link.waitReady(this.connectTimeout), this.#listener.start(), this.#pool.warm()]);
    if (!ready) this.#unavailable(new Error(`no connection within ${this.connectTimeout} ms`));
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    const link = this.#link;
    const listener = this.#listener;
    this.#pool = this.#link = this.#listener = this.#target = this.#context = undefined;
    this.#known = undefined;
    await Promise.all([pool?.close(), link?.close(), listener?.close()]);
  }

  /** Always a miss: Redis cannot be read synchronously. The engine reads it with `load`. */
  read(): StoredEntry | undefined {
    return undefined;
  }

  /** The entry from Redis; a miss when absent, expired, damaged (reported) or Redis is unreachable. */
  async load(key: string): Promise<StoredEntry | undefined> {
    const ctx = this.#ctx();
    const link = this.#linkOrThrow();
    if (!link.ready) return undefined;
    let buf: Buffer | null;
    try {
      buf = await withTimeout(link.getBytes(this.#dataPrefix + key), this.commandTimeout, ctx);
    } catch (error) {
      this.#unavailable(error);
      return undefined;
    }
    if (buf === null) return undefined;
    const entry = readStoredEntry(buf, 0, key, `redis ${this.#dataPrefix}${key}`, ctx);
    if (entry !== undefined) this.#known?.add(key);
    return entry;
  }

  /** Every key under this store's prefix (SCAN, on every master of a cluster: keys written meanwhile may or may not appear). */
  async *keys(): AsyncIterable<string> {
    const link = this.#linkOrThrow();
    const start = this.#dataPrefix.length;
    for await (const batch of link.scan(`${escapeGlob(this.#dataPrefix)}*`, SCAN_COUNT)) {
      for (const key of batch) yield key.slice(start);
    }
  }

  write(batch: BatchColumns, transfer: ArrayBuffer[]): Promise<WriteResult> {
    const ctx = this.#ctx();
    if (this.#pool === undefined || this.#target === undefined) throw new Error('redis store used before open()');
    const known = this.#known;
    const keys = batch.keys;
    const written = this.#pool.run({ ...batch, op: 'write', target: { ...this.#target, now: ctx.timers.now() } }, transfer);
    return written.then((result) => {
      if (result.failures.length === 0) {
        this.#down = false;
        if (known !== undefined) for (const key of keys) known.add(key);
      }
      return result;
    });
  }

  /**
   * The exit hook's last flush cannot reach a network server synchronously: every entry comes back
   * failed (ENOTSUP) and what was unwritten at exit is lost. `await cache.stop()` before exiting.
   */
  writeSync(batch: BatchColumns): WriteResult {
    const message = 'the redis store cannot write synchronously at exit; stop() the cacher before the process exits';
    return { failures: batch.keys.map((_, index) => ({ index, code: 'ENOTSUP', message })), bytes: 0 };
  }

  /** Deletes every value under this store's prefix (locks are left to their leases) and tells the other processes. */
  async clear(): Promise<void> {
    const link = this.#linkOrThrow();
    const start = this.#dataPrefix.length;
    let chunk: string[] = [];
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const names = chunk;
      chunk = [];
      await link.unlink(names);
      await link.publish(this.#channel, encodeInvalidation(this.sender, names.map((name) => name.slice(start))));
    };
    for await (const batch of link.scan(`${escapeGlob(this.#dataPrefix)}*`, SCAN_COUNT)) {
      chunk.push(...batch);
      if (chunk.length >= UNLINK_CHUNK) await flush();
    }
    await flush();
    this.#known?.clear();
  }

  /** A Redis lock on `key`, shared by every process using this prefix (see RedisMutex). */
  mutex(key: string): BackendMutex {
    const ctx = this.#ctx();
    return new RedisMutex(key, this.#lockPrefix + key, {
      link: this.#linkOrThrow(),
      timers: ctx.timers,
      lease: this.lockLease,
      report: ctx.report,
      unavailable: (error) => this.#unavailable(error),
    });
  }

  /**
   * Tells every other process to drop its memory copies of `keys` (writes and deletes do this on
   * their own; this is for changes made behind the engine's back, like a region's invalidation).
   */
  async publishInvalidation(keys: readonly string[]): Promise<void> {
    await this.#linkOrThrow().publish(this.#channel, encodeInvalidation(this.sender, keys));
  }

  /**
   * Announces a region's invalidation to every other process on this prefix. Receivers apply the
   * publisher's `at` as is, against `createdAt` stamps made by their own clocks: hosts need roughly
   * synchronised clocks (NTP), or entries created within the skew around `at` are invalidated
   * wrongly or spared. Like every pub/sub message it is lost by a subscriber disconnected meanwhile.
   */
  async publishRegionInvalidation(message: RegionInvalidation): Promise<void> {
    const { region, hard, at } = message;
    await this.#linkOrThrow().publish(this.#channel, encodeRegionInvalidation(this.sender, region, hard, at));
  }

  /** Calls `listener` with each region invalidation another process publishes; returns the unsubscribe. */
  onRegionInvalidation(listener: (message: RegionInvalidation) => void): () => void {
    const own = (message: RegionInvalidation): void => listener(message);
    this.#regionListeners.add(own);
    return () => this.#regionListeners.delete(own);
  }

  #dropCopies(keys: string[]): void {
    if (this.#known !== undefined) for (const key of keys) this.#known.delete(key);
    this.#context?.invalidate(keys);
  }

  #unavailable(cause: unknown): void {
    if (this.#down || this.#context === undefined) return;
    this.#down = true;
    this.#context.report(new RedisUnavailableError(this.url, cause));
  }

  #ctx(): StoreContext {
    if (this.#context === undefined) throw new Error('redis store used before open()');
    return this.#context;
  }

  #linkOrThrow(): RedisConnection {
    if (this.#link === undefined) throw new Error('redis store used before open()');
    return this.#link;
  }
}

/** A redis:// or rediss:// URL, or a TypeError naming the option. */
function redisUrl(name: string, url: unknown): string {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) throw new TypeError(`${name} must be a redis:// or rediss:// URL, received ${JSON.stringify(url)}`);
  try {
    new URL(url);
  } catch {
    throw new TypeError(`${name} must be a redis:// or rediss:// URL, received ${JSON.stringify(redact(url))}`);
  }
  return url;
}

/** Whether a node-redis client is a cluster's (`createCluster`): it has masters and per-node clients. */
function isCluster(client: RedisClient | RedisClusterClient): client is RedisClusterClient {
  return typeof (client as RedisClusterClient).nodeClient === 'function' && 'masters' in client;
}

/**
 * Seed URLs for the writer threads, from a cluster client's options: each root node's `url`, or
 * its socket's host and port, with the defaults' username and password (the writers' connections
 * take their auth from the URL).
 */
function seedsOf(cluster: RedisClusterClient): string[] {
  const { rootNodes = [], defaults = {} } = cluster._options;
  return rootNodes.map((node) => {
    const socket = { ...defaults.socket, ...node.socket } as { host?: string; port?: number; tls?: boolean };
    const url = new URL(node.url ?? defaults.url ?? `${socket.tls === true ? 'rediss' : 'redis'}://${socket.host ?? '127.0.0.1'}:${socket.port ?? 6379}`);
    const username = node.username ?? defaults.username;
    const password = node.password ?? defaults.password;
    if (url.username === '' && username !== undefined) url.username = encodeURIComponent(username);
    if (url.password === '' && password !== undefined) url.password = encodeURIComponent(password);
    return url.toString();
  });
}

function positive(name: string, value: unknown): number {
  const ms = duration(name, value);
  if (ms === 0) throw new RangeError(`${name} must be more than 0 ms, received 0`);
  return ms;
}

/** The prefix as a literal in a SCAN MATCH pattern. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\^-]/g, '\\$&');
}

function withTimeout<T>(promise: Promise<T>, ms: number, ctx: StoreContext): Promise<T> {
  let timer: unknown;
  const timeout = new Promise<never>((_, reject) => {
    timer = ctx.timers.setTimeout(() => reject(Object.assign(new Error(`Redis did not answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => ctx.timers.clearTimeout(timer));
}
