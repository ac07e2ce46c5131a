/**
 * A deferred view of a bucket: reads see the view's own pending changes first, then the
 * bucket; writes stay in the view, invisible to everyone else, until `sync()` hands them all
 * to the bucket at once. `deferredWrite` runs a block on a view and either writes everything
 * the block did (it completed) or nothing (it threw) — bucketcache wrote the block's values to
 * the bucket's memory even when the block failed; larder does not.
 */
import type { WaitOptions } from '../engine/cacher.js';
import type { Bucket } from './bucket.js';
import { DeferredClosedError } from './bucket-errors.js';
import { debug } from './bucket-log.js';
import { lifetimeMs, type Lifetime } from './lifetime.js';

const DELETED = Symbol('deleted');

interface Pending {
  value: unknown;
  /** ms since the epoch; 0 = never. Fixed at `set` time, as the caller would expect. */
  expiresAt: number;
}

export class DeferredBucket {
  readonly bucket: Bucket;
  #pending = new Map<string, Pending | typeof DELETED>();
  #closed = false;

  constructor(bucket: Bucket) {
    this.bucket = bucket;
  }

  /** Changes waiting for `sync()`. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  get(key: unknown): unknown {
    const stored = this.#key(key, 'get');
    const pending = this.#pending.get(stored);
    if (pending === undefined) return this.bucket.cacher.get(stored);
    return pending === DELETED || this.#expired(pending) ? undefined : pending.value;
  }

  has(key: unknown): boolean {
    const stored = this.#key(key, 'has');
    const pending = this.#pending.get(stored);
    if (pending === undefined) return this.bucket.cacher.has(stored);
    return pending !== DELETED && !this.#expired(pending);
  }

  /** Keeps the value in this view until `sync()`; `lifetime` overrides the bucket's for this entry. */
  set(key: unknown, value: unknown, lifetime?: Lifetime): void {
    const stored = this.#key(key, 'set');
    const ttl = lifetime === undefined ? this.bucket.lifetime : lifetimeMs('lifetime', lifetime);
    const expiresAt = ttl === 0 ? 0 : this.bucket.cacher.options.timers.now() + ttl;
    this.#pending.set(stored, { value, expiresAt });
  }

  /** Records a delete for `sync()`; returns whether the key existed as this view sees it. */
  delete(key: unknown): boolean {
    const existed = this.has(key);
    this.#pending.set(this.#key(key, 'delete'), DELETED);
    return existed;
  }

  /** Drops every pending change; returns how many there were. */
  discard(): number {
    const count = this.#pending.size;
    this.#pending.clear();
    return count;
  }

  /**
   * Hands every pending change to the bucket, in one synchronous step (no reader sees half of
   * them), then waits until they are durable.
   */
  async sync(options?: WaitOptions): Promise<void> {
    this.#check('sync');
    this.#apply();
    await this.bucket.sync(options);
  }

  /** Ends the view: later calls throw `ERR_DEFERRED_CLOSED`. Pending changes are dropped, not written. */
  close(): void {
    this.#pending.clear();
    this.#closed = true;
  }

  #apply(): void {
    const cacher = this.bucket.cacher;
    const now = cacher.options.timers.now();
    const pending = this.#pending;
    this.#pending = new Map();
    if (debug.enabled) debug('bucket %s: deferred sync of %d change(s)', this.bucket.dir, pending.size);
    for (const [key, change] of pending) {
      if (change === DELETED) cacher.delete(key);
      else if (change.expiresAt === 0) cacher.set(key, change.value, { ttl: 0 });
      // Expired while deferred: the bucket must not serve an older value in its place.
      else if (change.expiresAt <= now) cacher.delete(key);
      else cacher.set(key, change.value, { ttl: change.expiresAt - now });
    }
  }

  #expired(pending: Pending): boolean {
    return pending.expiresAt !== 0 && pending.expiresAt <= this.bucket.cacher.options.timers.now();
  }

  #key(key: unknown, action: string): string {
    this.#check(action);
    return this.bucket.key(key);
  }

  #check(action: string): void {
    if (this.#closed) throw new DeferredClosedError(action);
  }
}

/**
 * Runs `block` on a deferred view of `bucket`. If the block completes, everything it wrote is
 * handed to the bucket at once and made durable before this resolves with the block's result.
 * If it throws, nothing it wrote is ever served or saved, and the error is rethrown.
 * Either way the view is closed afterwards.
 */
export async function deferredWrite<T>(bucket: Bucket, block: (view: DeferredBucket) => T | Promise<T>): Promise<T> {
  const view = bucket.deferred();
  try {
    const result = await block(view);
    await view.sync();
    return result;
  } finally {
    view.close();
  }
}
