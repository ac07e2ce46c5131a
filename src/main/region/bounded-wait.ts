/**
 * Waiting on someone else's work with a deadline and an AbortSignal. Giving up detaches only
 * this waiter: the work goes on, and its result still reaches the cache and everyone else.
 */
import type { Timers } from '../core/timers.js';

/** `timedOut` when `timeout` ms passed first; a rejection of `work` or the signal's reason rejects. */
export type Waited<T> = { timedOut: false; value: T } | { timedOut: true };

export function boundedWait<T>(work: Promise<T>, timers: Timers, timeout: number, signal: AbortSignal | undefined): Promise<Waited<T>> {
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  if (timeout === Number.POSITIVE_INFINITY && signal === undefined) return work.then((value) => ({ timedOut: false, value }));
  return new Promise<Waited<T>>((resolve, reject) => {
    let handle: unknown;
    const onAbort = (): void => finish(() => reject(signal?.reason));
    const finish = (settle: () => void): void => {
      if (handle !== undefined) timers.clearTimeout(handle);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    if (timeout !== Number.POSITIVE_INFINITY) handle = timers.setTimeout(() => finish(() => resolve({ timedOut: true })), timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve({ timedOut: false, value })),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
