/**
 * The caller's-thread connection to a Redis Cluster (or Valkey cluster): a node-redis cluster
 * client, which learns the slot map from the seed nodes, keeps a connection to every master and
 * follows MOVED (relearning the map) and ASK (sending ASKING first) by itself. What this adds is
 * what the store needs and node-redis leaves to its caller:
 * - connecting goes on in the background until the cluster answers (node-redis gives up after one
 *   pass over the seeds), so a store opened while the cluster is down starts and catches up;
 * - a master that is down fails its commands at once (no offline queue, as for one server);
 * - SCAN runs on every master, and UNLINK is grouped by slot (a cluster refuses a command whose
 *   keys span slots).
 */
import { createCluster, RESP_TYPES } from 'redis';
import { keySlot } from '../../../shared/cluster-slots.js';
import { reconnectDelay, type RedisConnection } from './redis-link.js';

export type RedisClusterClient = ReturnType<typeof createCluster>;

export interface ClusterLinkOptions {
  /** Seed nodes' URLs; the first is also the template (auth, TLS) of every other node's URL. */
  seeds: readonly string[];
  connectTimeout: number;
  /** A cluster client the caller made (and closes); the link connects it if it is not open yet. */
  cluster?: RedisClusterClient;
  onError?: (error: Error) => void;
  onReady?: () => void;
}

export class ClusterLink implements RedisConnection {
  readonly cluster: RedisClusterClient;
  readonly #seeds: readonly string[];
  readonly #owned: boolean;
  #ready = false;
  #closed = false;
  #readyWaiters = new Set<() => void>();

  constructor(options: ClusterLinkOptions) {
    this.#seeds = options.seeds;
    this.#owned = options.cluster === undefined;
    this.cluster =
      options.cluster ??
      createCluster({
        rootNodes: options.seeds.map((url) => ({ url })),
        defaults: { disableOfflineQueue: true, socket: { connectTimeout: options.connectTimeout, reconnectStrategy: reconnectDelay } },
      });
    this.cluster.on('error', (error: Error) => options.onError?.(error));
    this.cluster.on('node-error', (error: Error) => options.onError?.(error));
    const ready = (): void => {
      this.#ready = true;
      options.onReady?.();
      for (const wake of this.#readyWaiters) wake();
      this.#readyWaiters.clear();
    };
    // A caller's cluster that is open already has (or is learning) its map: 'connect' follows discovery.
    if (this.cluster.isOpen) {
      if (this.cluster.masters.length > 0) ready();
      else this.cluster.once('connect', ready);
    } else {
      void this.#connect(ready);
    }
  }

  async #connect(ready: () => void): Promise<void> {
    for (let retries = 0; !this.#closed; retries++) {
      try {
        await this.cluster.connect();
        if (this.#closed) this.cluster.destroy();
        else ready();
        return;
      } catch (error) {
        this.#ready = false;
        await new Promise((resolve) => setTimeout(resolve, reconnectDelay(retries)).unref());
      }
    }
  }

  get ready(): boolean {
    return this.#ready && !this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  waitReady(ms: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    if (this.#closed || ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.ready);
      };
      const timer = setTimeout(() => {
        this.#readyWaiters.delete(wake);
        resolve(false);
      }, ms);
      this.#readyWaiters.add(wake);
    });
  }

  /** URLs of the masters it knows (the seeds until it has learnt the map): where a subscriber may go. */
  nodeUrls(): string[] {
    const masters = this.#ready ? this.cluster.masters : [];
    if (masters.length === 0) return [...this.#seeds];
    return masters.map(({ host, port }) => {
      const url = new URL(this.#seeds[0] as string);
      url.hostname = host.includes(':') ? `[${host}]` : host;
      url.port = String(port);
      return url.toString();
    });
  }

  async getBytes(name: string): Promise<Buffer | null> {
    return this.#live().withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(name);
  }

  async setIfAbsent(name: string, value: string, ms: number): Promise<boolean> {
    return (await this.#live().set(name, value, { condition: 'NX', expiration: { type: 'PX', value: ms } })) === 'OK';
  }

  async evalOnKey(script: string, key: string, args: string[]): Promise<unknown> {
    return this.#live().eval(script, { keys: [key], arguments: args });
  }

  async publish(channel: string, message: string): Promise<unknown> {
    return this.#live().publish(channel, message);
  }

  /** Each master in turn. A slot migrating meanwhile can show a key twice or not at all, as SCAN on one server can. */
  async *scan(pattern: string, count: number): AsyncIterable<string[]> {
    const cluster = this.#live();
    for (const master of [...cluster.masters]) {
      const client = await cluster.nodeClient(master);
      for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: count })) yield batch;
    }
  }

  async unlink(names: string[]): Promise<unknown> {
    const cluster = this.#live();
    const bySlot = new Map<number, string[]>();
    for (const name of names) {
      const slot = keySlot(name);
      const group = bySlot.get(slot);
      if (group === undefined) bySlot.set(slot, [name]);
      else group.push(name);
    }
    return Promise.all([...bySlot.values()].map((group) => cluster.unlink(group)));
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of this.#readyWaiters) wake();
    this.#readyWaiters.clear();
    if (this.#owned && this.cluster.isOpen) this.cluster.destroy();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of this.#readyWaiters) wake();
    this.#readyWaiters.clear();
    if (!this.#owned || !this.cluster.isOpen) return;
    if (this.#ready) await this.cluster.close().catch(() => this.cluster.destroy());
    else this.cluster.destroy();
  }

  #live(): RedisClusterClient {
    if (!this.ready) throw Object.assign(new Error('the Redis Cluster is not connected'), { code: 'ECONNREFUSED' });
    return this.cluster;
  }
}
