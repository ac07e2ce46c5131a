/**
 * A Region backend over a Cacher whose store is a `RedisStore`, or a `TieredStore` with one as its
 * remote tier: the CacherBackend plus the store's Redis lock, so `region.getOrCreate` runs one
 * creator per key across every process, and the store's channel, so `region.invalidate()` reaches
 * the region of the same name in every process.
 *
 * The engine writes behind, so a lock released the moment the creator returns would let the next
 * process in before the value reached Redis, and it would create the value again. A lease from
 * this backend therefore waits for the cacher's writes to reach Redis (`sync({ tier: 'remote' })`:
 * with a tiered store, durable in the local log is not enough, as other processes read Redis).
 */
import type { Cacher } from '../../engine/cacher.js';
import type { BackendMutex, MutexLease, RegionInvalidation } from '../backend.js';
import { CacherBackend, type CacherBackendOptions } from './cacher-backend.js';
import { RedisStore } from '../../stores/redis/redis-store.js';
import { TieredStore } from '../../stores/tiered/tiered-store.js';

/** What a store offers for coordinating processes: a `RedisStore`, or a `TieredStore` in front of one. */
type Coordinator = Pick<RedisStore, 'mutex' | 'lockLease' | 'publishRegionInvalidation' | 'onRegionInvalidation'>;

/** The store's lock and channel, if it offers them (the choice `new Region({ store: cacher })` makes). */
export function coordinatorOf(store: unknown): Coordinator | undefined {
  if (store instanceof RedisStore) return store;
  if (store instanceof TieredStore && store.redis !== undefined) return store;
  return undefined;
}

export class RedisBackend<V = unknown> extends CacherBackend<V> {
  /** The RedisStore holding the locks: the cacher's store, or its remote tier. */
  readonly redis: RedisStore;
  readonly #coordinator: Coordinator;

  constructor(cacher: Cacher, options: CacherBackendOptions = {}) {
    super(cacher, { name: 'redis', ...options });
    const store = (cacher as { store?: unknown }).store;
    const coordinator = coordinatorOf(store);
    if (coordinator === undefined) {
      throw new TypeError(`cacher must use a RedisStore, or a TieredStore whose remote is one, received a ${(store as { kind?: string } | undefined)?.kind ?? typeof store} store`);
    }
    this.#coordinator = coordinator;
    this.redis = store instanceof TieredStore ? (store.redis as RedisStore) : (store as RedisStore);
  }

  publishRegionInvalidation(message: RegionInvalidation): Promise<void> {
    return this.#coordinator.publishRegionInvalidation(message);
  }

  onRegionInvalidation(listener: (message: RegionInvalidation) => void): () => void {
    return this.#coordinator.onRegionInvalidation(listener);
  }

  mutex(key: string): BackendMutex {
    const lock = this.#coordinator.mutex(key);
    const cacher = this.cacher;
    const timeout = this.#coordinator.lockLease;
    return {
      async acquire(options) {
        const lease = await lock.acquire(options);
        if (lease === undefined) return undefined;
        let released: Promise<void> | undefined;
        return {
          release(): Promise<void> {
            // A sync that fails (Redis down) is reported by the engine; the lock goes anyway, as
            // waiting longer than a lease would only let it expire.
            // 'remote': with a one-tier store the same as a plain sync.
            released ??= cacher.sync({ tier: 'remote', timeout }).then(
              () => lease.release(),
              () => lease.release(),
            );
            return released;
          },
        } satisfies MutexLease;
      },
    };
  }
}
