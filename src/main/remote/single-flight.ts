/**
 * The owner-side lock table behind a cross-thread `getOrCreate`: per key, the first caller is
 * told to create and every later caller waits for that creation's outcome. The table lives on
 * the thread that owns the Cacher, so it holds across every connected thread; the creators run
 * in the callers' threads. A creation that never reports back (its thread hung) ends after a
 * lease, and one whose connection closes is ended by `abandon`, so no waiter hangs on it.
 */
import { unrefTimer, type Timers } from '../core/timers.js';
import { RemoteLockTimeoutError } from './remote-errors.js';

export type FlightOutcome = { value: unknown } | { error: unknown };

export interface JoinOptions {
  /** How long a joining caller waits for the creator, in ms (may be Infinity). */
  waitTimeout: number;
  /** How long the creator may hold the lock before it is taken from it, in ms. */
  lockTimeout: number;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: unknown;
}

interface Flight {
  token: number;
  holder: number;
  waiters: Set<Waiter>;
  lease: unknown;
}

export class SingleFlight {
  #flights = new Map<string, Flight>();
  #tokens = 0;
  #timers: Timers;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  /** Keys being created now. */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * Takes the lock on `key` for `holder` (returns the token to settle it with), or joins the
   * creation in progress (returns a promise of its value, rejected with its error).
   */
  join(key: string, holder: number, options: JoinOptions): { token: number } | { wait: Promise<unknown> } {
    const flight = this.#flights.get(key);
    if (flight === undefined) {
      const token = ++this.#tokens;
      const created: Flight = { token, holder, waiters: new Set(), lease: undefined };
      created.lease = this.#timer(() => this.settle(key, token, { error: new RemoteLockTimeoutError(key, options.lockTimeout) }), options.lockTimeout);
      this.#flights.set(key, created);
      return { token };
    }
    const wait = new Promise<unknown>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      waiter.timer = this.#timer(() => {
        flight.waiters.delete(waiter);
        reject(new RemoteLockTimeoutError(key, options.waitTimeout));
      }, options.waitTimeout);
      flight.waiters.add(waiter);
    });
    return { wait };
  }

  /** Ends creation `token` of `key`; false when that creation had already ended (lease expired). */
  settle(key: string, token: number, outcome: FlightOutcome): boolean {
    const flight = this.#flights.get(key);
    if (flight === undefined || flight.token !== token) return false;
    this.#flights.delete(key);
    this.#clear(flight.lease);
    for (const waiter of flight.waiters) {
      this.#clear(waiter.timer);
      if ('value' in outcome) waiter.resolve(outcome.value);
      else waiter.reject(outcome.error);
    }
    return true;
  }

  /** Ends every creation `holder` holds, failing its waiters (the holder's connection closed). */
  abandon(holder: number, error: (key: string) => Error): void {
    for (const [key, flight] of [...this.#flights]) {
      if (flight.holder === holder) this.settle(key, flight.token, { error: error(key) });
    }
  }

  #timer(fn: () => void, ms: number): unknown {
    return ms === Number.POSITIVE_INFINITY ? undefined : unrefTimer(this.#timers, fn, ms);
  }

  #clear(handle: unknown): void {
    if (handle !== undefined) this.#timers.clearTimeout(handle);
  }
}
