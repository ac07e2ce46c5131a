/**
 * One node-redis connection as the `redis` store uses it on the caller's thread (reads, locks,
 * pub/sub; the writer threads send batches over src/worker/redis/resp-pipe.ts):
 * reconnects forever with capped, jittered backoff; never queues commands while offline (a write
 * the server cannot take must come back to the engine as a failure it retries, not sit in a
 * client buffer no one can see).
 *
 * The store, its locks and its subscriber see it through `RedisConnection`, which a cluster's
 * connection (src/main/stores/redis/redis-cluster-link.ts) implements too.
 */
import { createClient, RESP_TYPES } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;

/** Longest pause between reconnect attempts, in ms. */
const RECONNECT_MAX = 2_000;

/** Capped, jittered exponential backoff: many processes reconnecting after an outage do not arrive in step. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** Math.min(retries, 10), RECONNECT_MAX) + Math.floor(Math.random() * 100);
}

/** The commands the store needs, the same whether one server or a cluster answers them. */
export interface RedisConnection {
  readonly ready: boolean;
  readonly closed: boolean;
  /** True once connected; false if `ms` pass first. */
  waitReady(ms: number): Promise<boolean>;
  /** GET, the value as bytes. */
  getBytes(name: string): Promise<Buffer | null>;
  /** SET name value NX PX ms: whether it was set. */
  setIfAbsent(name: string, value: string, ms: number): Promise<boolean>;
  /** EVAL of a script on one key. */
  evalOnKey(script: string, key: string, args: string[]): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  /** SCAN MATCH pattern over the whole keyspace (every master of a cluster), in batches. */
  scan(pattern: string, count: number): AsyncIterable<string[]>;
  /** UNLINK of keys (a cluster's are grouped by slot: it refuses one command across slots). */
  unlink(names: string[]): Promise<unknown>;
  destroy(): void;
  close(): Promise<void>;
}

export interface RedisLinkOptions {
  url: string;
  connectTimeout: number;
  /** A client the caller made (and closes); the link only listens to it. */
  client?: RedisClient;
  /**
   * Queue commands while offline and send them on reconnect. Only for the subscriber, whose
   * SUBSCRIBE must reach the server whenever it comes back. @default false
   */
  offlineQueue?: boolean;
  /**
   * Stop reconnecting after this many failed attempts in a row and call `onGiveUp`: a cluster's
   * subscriber moves to another node rather than wait for one that may be gone. @default forever
   */
  giveUpAfter?: number;
  onGiveUp?: () => void;
  /** Connection errors (each reconnect attempt that fails), for the owner to report. */
  onError?: (error: Error) => void;
  /** Called on every successful connect. */
  onReady?: () => void;
  /** Called after a reconnect (not the first connect). */
  onReconnect?: () => void;
}

export class RedisLink implements RedisConnection {
  readonly client: RedisClient;
  #wasReady = false;
  #closed = false;
  #readyWaiters = new Set<() => void>();

  readonly #owned: boolean;

  constructor(options: RedisLinkOptions) {
    this.#owned = options.client === undefined;
    this.client =
      options.client ??
      createClient({
        url: options.url,
        disableOfflineQueue: options.offlineQueue !== true,
        socket: {
          connectTimeout: options.connectTimeout,
          reconnectStrategy: (retries) => {
            if (options.giveUpAfter === undefined || retries < options.giveUpAfter) return reconnectDelay(retries);
            queueMicrotask(() => options.onGiveUp?.());
            return false;
          },
        },
      });
    this.client.on('error', (error: Error) => options.onError?.(error));
    this.client.on('ready', () => {
      options.onReady?.();
      if (this.#wasReady) options.onReconnect?.();
      this.#wasReady = true;
      for (const wake of this.#readyWaiters) wake();
      this.#readyWaiters.clear();
    });
    if (this.client.isReady) this.#wasReady = true;
    // connect() keeps trying until it succeeds or the link closes; failures arrive as 'error'.
    if (!this.client.isOpen) this.client.connect().catch(() => {});
  }

  get ready(): boolean {
    return this.client.isReady;
  }

  /** True once destroyed or closed: the owner makes a new link to go on. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True once connected; false if `ms` pass first. */
  waitReady(ms: number): Promise<boolean> {
    if (this.client.isReady) return Promise.resolve(true);
    if (this.#closed || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.client.isReady);
      };
      const timer = setTimeout(() => {
        this.#readyWaiters.delete(wake);
        resolve(false);
      }, ms);
      this.#readyWaiters.add(wake);
    });
  }

  getBytes(name: string): Promise<Buffer | null> {
    return this.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(name);
  }

  async setIfAbsent(name: string, value: string, ms: number): Promise<boolean> {
    return (await this.client.set(name, value, { condition: 'NX', expiration: { type: 'PX', value: ms } })) === 'OK';
  }

  evalOnKey(script: string, key: string, args: string[]): Promise<unknown> {
    return this.client.eval(script, { keys: [key], arguments: args });
  }

  publish(channel: string, message: string): Promise<unknown> {
    return this.client.publish(channel, message);
  }

  scan(pattern: string, count: number): AsyncIterable<string[]> {
    return this.client.scanIterator({ MATCH: pattern, COUNT: count });
  }

  unlink(names: string[]): Promise<unknown> {
    return this.client.unlink(names);
  }

  /** Closes at once: commands not answered yet are rejected, nothing more is sent. */
  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of this.#readyWaiters) wake();
    this.#readyWaiters.clear();
    if (this.#owned && this.client.isOpen) this.client.destroy();
  }

  /** Closes after the commands already sent are answered. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    if (this.client.isReady) await this.client.close().catch(() => this.client.destroy());
    else if (this.client.isOpen) this.client.destroy();
  }
}
