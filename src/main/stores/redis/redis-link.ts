/**
 * One node-redis connection as the `redis` store uses it on the caller's thread (reads, locks,
 * pub/sub; the writer threads send batches over src/worker/redis/resp-pipe.ts):
 * reconnects forever with capped, jittered backoff; never queues commands while offline (a write
 * the server cannot take must come back to the engine as a failure it retries, not sit in a
 * client buffer no one can see).
 */
import { createClient } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;

/** Longest pause between reconnect attempts, in ms. */
const RECONNECT_MAX = 2_000;

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
  /** Connection errors (each reconnect attempt that fails), for the owner to report. */
  onError?: (error: Error) => void;
  /** Called on every successful connect. */
  onReady?: () => void;
  /** Called after a reconnect (not the first connect). */
  onReconnect?: () => void;
}

export class RedisLink {
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
          reconnectStrategy: (retries) => Math.min(50 * 2 ** Math.min(retries, 10), RECONNECT_MAX) + Math.floor(Math.random() * 100),
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
