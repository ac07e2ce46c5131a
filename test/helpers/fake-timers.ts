import type { Timers } from '../../src/main/index.js';
/**
 * Timers a test drives by hand (the engine's `Timers` seam): nothing fires until `advance(ms)`,
 * which runs every timer due by then in due order, each at its own due time.
 */

export function fakeTimers(start = 1_700_000_000_000) {
  let now = start;
  let next = 0;
  const pending: Array<{ id: number; at: number; fn: () => void }> = [];
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      pending.push({ id: ++next, at: now + ms, fn });
      return next;
    },
    clearTimeout: (handle) => {
      const i = pending.findIndex((t) => t.id === handle);
      if (i !== -1) pending.splice(i, 1);
    },
  };
  return {
    timers,
    /** Timers armed and not yet fired or cleared. */
    get armed(): number {
      return pending.length;
    },
    /** Due times of the armed timers, relative to the start, soonest first. */
    get due(): number[] {
      return pending.map((t) => t.at - start).sort((a, b) => a - b);
    },
    get elapsed(): number {
      return now - start;
    },
    advance(ms: number): void {
      const end = now + ms;
      for (;;) {
        let first: (typeof pending)[number] | undefined;
        for (const t of pending) if (t.at <= end && (first === undefined || t.at < first.at)) first = t;
        if (first === undefined) break;
        pending.splice(pending.indexOf(first), 1);
        now = first.at;
        first.fn();
      }
      now = end;
    },
    /** Moves to `ms` after the start. */
    to(ms: number): void {
      this.advance(start + ms - now);
    },
  };
}
