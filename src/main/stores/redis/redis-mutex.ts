/**
 * A Redis lock for single-flight across processes (`Region.getOrCreate` on the redis store).
 * Taken with `SET lock token NX PX lease`; renewed every third of the lease while held, so a slow
 * creator keeps it; released by a compare-and-delete script, so only the owner can release it.
 * If the owner dies its lease runs out and the next caller takes the lock over.
 *
 * In a cluster the lock is one key, so it lives on the one master serving its slot; every command
 * on it names only that key, so it is routed (and redirected) like any other.
 *
 * With Redis unreachable the lock cannot be taken by anyone: rather than stall every creator, the
 * caller gets a lease that guards nothing (single-flight is then per process), and the outage is
 * reported.
 */
import { randomUUID } from 'node:crypto';
import type { BackendMutex, MutexLease } from '../engine-store.js';
import type { Timers } from '../../core/timers.js';
import type { LarderError } from '../../core/errors.js';
import type { RedisConnection } from './redis-link.js';
import { RedisLockLostError } from './redis-errors.js';

/** Renews the lease if the token is still ours. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Deletes the lock if the token is still ours. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

const DEFAULT_WAIT = 30_000;
const POLL_MIN = 10;
const POLL_MAX = 200;

export interface RedisMutexContext {
  link: RedisConnection;
  timers: Timers;
  /** Lease of a held lock, in ms. */
  lease: number;
  /** Raises an 'error' event (a lost lease). */
  report(error: LarderError): void;
  /** Redis is unreachable: report it (once per outage). */
  unavailable(cause: unknown): void;
}

export class RedisMutex implements BackendMutex {
  readonly key: string;
  readonly #lockKey: string;
  readonly #ctx: RedisMutexContext;

  constructor(key: string, lockKey: string, context: RedisMutexContext) {
    this.key = key;
    this.#lockKey = lockKey;
    this.#ctx = context;
  }

  async acquire(options: { wait?: boolean; timeout?: number } = {}): Promise<MutexLease | undefined> {
    const { wait = true, timeout = DEFAULT_WAIT } = options;
    const { link, timers, lease } = this.#ctx;
    const token = randomUUID();
    const deadline = timers.now() + timeout;
    let pause = POLL_MIN;
    for (;;) {
      let taken: boolean;
      try {
        taken = await link.setIfAbsent(this.#lockKey, token, lease);
      } catch (error) {
        this.#ctx.unavailable(error);
        return unguarded;
      }
      if (taken) return new RedisLease(this.key, this.#lockKey, token, this.#ctx);
      const left = deadline - timers.now();
      if (!wait || left <= 0) return undefined;
      // Jittered so waiters in many processes do not poll in step.
      await sleep(timers, Math.min(left, pause * (0.5 + Math.random())));
      pause = Math.min(POLL_MAX, pause * 2);
    }
  }
}

class RedisLease implements MutexLease {
  readonly #key: string;
  readonly #lockKey: string;
  readonly #token: string;
  readonly #ctx: RedisMutexContext;
  #timer: unknown;
  #released: Promise<void> | undefined;

  constructor(key: string, lockKey: string, token: string, context: RedisMutexContext) {
    this.#key = key;
    this.#lockKey = lockKey;
    this.#token = token;
    this.#ctx = context;
    this.#schedule();
  }

  #schedule(): void {
    const handle = this.#ctx.timers.setTimeout(() => void this.#renew(), Math.max(1, Math.floor(this.#ctx.lease / 3)));
    (handle as { unref?: () => void } | null)?.unref?.();
    this.#timer = handle;
  }

  async #renew(): Promise<void> {
    this.#timer = undefined;
    if (this.#released !== undefined) return;
    try {
      const renewed = await this.#ctx.link.evalOnKey(RENEW, this.#lockKey, [this.#token, String(this.#ctx.lease)]);
      if (renewed !== 1) {
        if (this.#released === undefined) this.#ctx.report(new RedisLockLostError(this.#key));
        return;
      }
    } catch {
      // Unreachable for now: try again at the next tick while the lease may still be ours.
    }
    if (this.#released === undefined) this.#schedule();
  }

  release(): Promise<void> {
    if (this.#released !== undefined) return this.#released;
    if (this.#timer !== undefined) this.#ctx.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#released = this.#ctx.link
      .evalOnKey(RELEASE, this.#lockKey, [this.#token])
      .then(
        () => {},
        // Not released: the lease runs out on its own, and the next caller takes the lock then.
        (error: unknown) => this.#ctx.unavailable(error),
      );
    return this.#released;
  }
}

const unguarded: MutexLease = Object.freeze({ release: () => Promise.resolve() });

function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}
