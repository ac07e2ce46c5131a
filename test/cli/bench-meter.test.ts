/**
 * The write-phase meter the benchmarks report from (src/main/cli/bench/meter.ts): its GC figures
 * come from this thread's `gc` performance entries during the phase.
 */
import { describe, expect, it } from 'vitest';
import { measure } from '../../src/main/cli/commands/bench/meter.js';

describe('bench meter', () => {
  it('counts the garbage-collection pauses of the measured phase', async () => {
    const kept: string[] = [];
    const m = await measure(200_000, async () => {
      // Young objects that survive: the scavenger has to copy them.
      for (let i = 0; i < 200_000; i++) kept.push(`${i}:${'x'.repeat(64)}`.padEnd(200, '.'));
      await new Promise((resolve) => setImmediate(resolve));
    });
    expect(kept).toHaveLength(200_000);
    expect(m.gcTotalMs).toBeGreaterThan(0);
    expect(m.gcMaxMs).toBeGreaterThan(0);
    expect(m.gcMaxMs).toBeLessThanOrEqual(m.gcTotalMs);
    expect(m.gcTotalMs).toBeLessThanOrEqual(m.ms);
  });
});
