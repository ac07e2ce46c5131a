/**
 * `save()`'s wait: resolves when its entry has been written at (at least) the version it had
 * when the wait began, rejects on the entry's next failure or when its watchdog fires. Rejecting
 * never touches the data: the write stays queued. (Waits over everything pending — `sync()`,
 * `stop()` — are counted barriers instead: barriers.ts.)
 */
import type { Entry, Waiter } from './entry.js';
import type { Timers } from '../core/timers.js';

export class SyncWaiter implements Waiter {
  readonly promise: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: Error) => void;
  #settled = false;
  #timer: unknown;
  #timers: Timers;

  constructor(entry: Entry, timers: Timers, timeout: number, onTimeout: (keys: string[]) => Error) {
    this.#timers = timers;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    (entry.waiters ??= []).push({ waiter: this, seq: entry.seq });
    if (Number.isFinite(timeout)) this.#timer = timers.setTimeout(() => this.#finish(onTimeout([entry.key])), timeout);
  }

  settle(): void {
    this.#finish();
  }

  fail(error: Error): void {
    this.#finish(error);
  }

  #finish(error?: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    if (error === undefined) this.#resolve();
    else this.#reject(error);
  }
}

/**
 * Settles the waiters on `entry` that waited for a version in (above, upTo]: after a write of
 * version `upTo`, or (with upTo = Infinity) when writes are dropped on purpose by discard().
 */
export function settleWaiters(entry: Entry, upTo: number, above = Number.NEGATIVE_INFINITY): void {
  const list = entry.waiters;
  if (list === undefined) return;
  const rest = list.filter(({ waiter, seq }) => {
    if (seq <= above || seq > upTo) return true;
    waiter.settle();
    return false;
  });
  entry.waiters = rest.length === 0 ? undefined : rest;
}

/** The entry's write failed: every waiter on it for a version up to `upTo` (all by default) learns now. */
export function failWaiters(entry: Entry, error: Error, upTo = Number.POSITIVE_INFINITY): void {
  const list = entry.waiters;
  if (list === undefined) return;
  const rest = list.filter(({ waiter, seq }) => {
    if (seq > upTo) return true;
    waiter.fail(error);
    return false;
  });
  entry.waiters = rest.length === 0 ? undefined : rest;
}
