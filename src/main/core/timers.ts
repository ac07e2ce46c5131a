/**
 * The clock and timers the engine uses, behind one seam so tests can drive time
 * (vitest fake timers, or an object of their own). No logic in larder calls Date.now directly.
 */
import { performance } from 'node:perf_hooks';

/**
 * Work on the caller's thread is cut into slices of about this many ms, then yields, so no
 * slice holds the event loop for long (DESIGN.md §3).
 */
export const SLICE_MS = 2;

/** A monotonic clock for time slices (not the injectable wall clock: slices are real CPU time). */
export const sliceClock = (): number => performance.now();

export interface Timers {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
});

/** A timer that does not keep the process alive on its own. */
export function unrefTimer(timers: Timers, fn: () => void, ms: number): unknown {
  const handle = timers.setTimeout(fn, ms);
  (handle as { unref?: () => void } | null)?.unref?.();
  return handle;
}
