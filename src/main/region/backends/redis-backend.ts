/**
 * A Region backend over a Cacher whose store is a `RedisStore`: the CacherBackend plus the store's
 * Redis lock, so `region.getOrCreate` runs one creator per key across every process, and the
 * store's channel, so `region.invalidate()` reaches the region of the same name in every process.
 *
 * The engine writes behind, so a lock released the moment the creator returns would let the next
 * process in before the value reached Redis, and it would create the value again. A lease from
 * this backend therefore waits for the cacher's writes to land (`sync`) before it lets go.
 */
import type { Cacher } from '../../engine/cacher.js';
import type { BackendMutex, MutexLease, RegionInvalidation } from '../backend.js';
import { CacherBackend, type CacherBackendOptions } from './cacher-backend.js';
import { RedisStore } from '../../stores/redis/redis-store.js';

export class RedisBackend<V = unknown> extends CacherBackend<V> {
  readonly redis: RedisStore;

  constructor(cacher: Cacher, options: CacherBackendOptions = {}) {
    super(cacher, { name: 'redis', ...options });
    const store = (cacher as { store?: unknown }).store;
    if (!(store instanceof RedisStore)) throw new TypeError(`cacher must use a RedisStore, received a ${(store as { kind?: string } | undefined)?.kind ?? typeof store} store`);
    this.redis = store;
  }

  publishRegionInvalidation(message: RegionInvalidation): Promise<void> {
    return this.redis.publishRegionInvalidation(message);
  }

  onRegionInvalidation(listener: (message: RegionInvalidation) => void): () => void {
    return this.redis.onRegionInvalidation(listener);
  }

  mutex(key: string): BackendMutex {
    const lock = this.redis.mutex(key);
    const cacher = this.cacher;
    const timeout = this.redis.lockLease;
    return {
      async acquire(options) {
        const lease = await lock.acquire(options);
        if (lease === undefined) return undefined;
        let released: Promise<void> | undefined;
        return {
          release(): Promise<void> {
            // A sync that fails (Redis down) is reported by the engine; the lock goes anyway, as
            // waiting longer than a lease would only let it expire.
            released ??= cacher.sync({ timeout }).then(
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
