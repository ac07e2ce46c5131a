/**
 * A durability barrier over a set of entries: resolves when every entry has been written at
 * (at least) the version it had when the barrier was taken, rejects on the first failure of
 * one of them or when its watchdog fires. Rejecting never touches the data: the writes stay
 * queued, so a timed-out `sync()` can simply be called again.
 */
import type { Entry, Waiter } from './entry.js';
import type { Timers } from './timers.js';

export class SyncWaiter implements Waiter {
  readonly pending = new Set<Entry>();
  readonly promise: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: Error) => void;
  #settled = false;
  #timer: unknown;
  #timers: Timers;

  constructor(entries: Iterable<Entry>, timers: Timers, timeout: number, onTimeout: (keys: string[]) => Error) {
    this.#timers = timers;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    for (const entry of entries) {
      this.pending.add(entry);
      (entry.waiters ??= []).push({ waiter: this, seq: entry.seq });
    }
    if (this.pending.size === 0) {
      this.#finish();
      return;
    }
    if (Number.isFinite(timeout)) {
      this.#timer = timers.setTimeout(() => {
        const keys = [...this.pending].map((e) => e.key);
        this.#finish(onTimeout(keys));
      }, timeout);
    }
  }

  settle(entry: Entry): void {
    if (this.#settled) return;
    this.pending.delete(entry);
    if (this.pending.size === 0) this.#finish();
  }

  fail(_entry: Entry, error: Error): void {
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
    waiter.settle(entry);
    return false;
  });
  entry.waiters = rest.length === 0 ? undefined : rest;
}

/** The entry's write failed: every waiter on it learns now. */
export function failWaiters(entry: Entry, error: Error): void {
  const list = entry.waiters;
  if (list === undefined) return;
  entry.waiters = undefined;
  for (const { waiter } of list) waiter.fail(entry, error);
}
