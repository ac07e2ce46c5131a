/**
 * The durability barriers behind `sync()`, `stop()`, `clear()` and `prune()`: each waits for
 * every write accepted before it, without touching the entries it waits for.
 *
 * Every write gets the engine's next sequence number. An entry remembers `dirtySince`, the
 * number of its oldest write not yet handed to a worker, and a flight remembers the same for
 * each entry it carries (`since`). A barrier taken at sequence `at` counts every entry pending
 * then (queued or in flight). When a flight's range of an entry lands, the barrier is one entry
 * closer if that range holds writes it waits for (`since <= at`) and the entry has no older-than-
 * `at` write left unflushed (`rest === 0 || rest > at`). A key is never in two flights, so each
 * counted entry is counted down exactly once.
 *
 * A failed write that will be retried (the engine keeps it queued) rejects the barriers already
 * waiting for it: they learn of the failure at once. A barrier taken while writes are failing
 * (some write failed and has not landed since) waits through the retries instead: it resolves
 * when they land, or rejects on its timeout, with the last write error as the timeout's `cause`.
 * It must not reject at once for a failure from before it was taken: space freed just before
 * `sync()` (a full disk) would otherwise see the attempt still in flight fail it.
 *
 * Registering per entry (the first design) cost ~0.8 µs per pending entry and one synchronous
 * pass over all of them per `sync()` (47 ms for 80k pending): this costs a counter per barrier
 * and, per landed entry, one comparison per live barrier (usually none or one).
 */
import type { Timers } from '../core/timers.js';

interface Barrier {
  readonly at: number;
  remaining: number;
  /** Taken while writes were failing: waits through their retries (see above). */
  readonly patient: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: unknown;
}

export class Barriers {
  readonly #timers: Timers;
  #live = new Set<Barrier>();
  /** `since` of each entry's write that failed, is queued again and has not landed yet. */
  #failing = new Set<number>();
  #lastError: Error | undefined;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  /**
   * Waits for `count` pending entries, all with writes at or before `at`. On timeout rejects
   * with `onTimeout(at)` (the engine names the keys still pending), its `cause` the last write
   * error while writes are failing; nothing is dropped.
   */
  add(at: number, count: number, timeout: number, onTimeout: (at: number) => Error): Promise<void> {
    if (count === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const barrier: Barrier = { at, remaining: count, patient: this.#failing.size > 0, resolve, reject, timer: undefined };
      this.#live.add(barrier);
      if (Number.isFinite(timeout)) barrier.timer = this.#timers.setTimeout(() => this.#finish(barrier, this.#timedOut(onTimeout(at))), timeout);
    });
  }

  /**
   * An entry's writes from `since` on are durable (or were dropped on purpose); `rest` is its
   * `dirtySince` now (0: nothing unflushed).
   */
  landed(since: number, rest: number): void {
    if (this.#failing.size > 0) this.#recovered(since);
    if (this.#live.size === 0) return;
    for (const barrier of this.#live) {
      if (since <= barrier.at && (rest === 0 || rest > barrier.at) && --barrier.remaining === 0) this.#finish(barrier);
    }
  }

  /** An entry's writes from `since` on failed for good: every barrier waiting for them learns now. */
  failed(since: number, error: Error): void {
    if (this.#live.size === 0) return;
    for (const barrier of this.#live) if (since <= barrier.at) this.#finish(barrier, error);
  }

  /**
   * An entry's writes from `since` on failed and are queued again: the barriers taken before
   * writes were failing learn now; the others wait through the retries.
   */
  retrying(since: number, error: Error): void {
    this.#failing.add(since);
    this.#lastError = error;
    for (const barrier of this.#live) if (!barrier.patient && since <= barrier.at) this.#finish(barrier, error);
  }

  #recovered(since: number): void {
    if (this.#failing.delete(since) && this.#failing.size === 0) this.#lastError = undefined;
  }

  #timedOut(error: Error): Error {
    // The timeout's cause is why the writes are late, as `new Error(message, { cause })` sets it.
    if (this.#lastError !== undefined && error.cause === undefined) {
      Object.defineProperty(error, 'cause', { value: this.#lastError, writable: true, configurable: true, enumerable: false });
    }
    return error;
  }

  #finish(barrier: Barrier, error?: Error): void {
    if (!this.#live.delete(barrier)) return;
    if (barrier.timer !== undefined) this.#timers.clearTimeout(barrier.timer);
    if (error === undefined) barrier.resolve();
    else barrier.reject(error);
  }
}
