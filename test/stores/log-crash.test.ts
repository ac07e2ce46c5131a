/**
 * Crash safety of the `log` store under real SIGKILLs, checked against a model
 * (test/model/crash-lane.ts): children write, evict and compact; each is killed at a random
 * moment; every key must then hold its value as of the last resolved sync or a later one. Three
 * directories are hammered side by side.
 *
 * LARDER_CRASH_KILLS sets the number of kills (50 by default); the timeout scales with it.
 */
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { CRASH_KILLS, crashPool, crashTimeout, runCrashLane, runCrashLanes } from '../model/crash-lane.js';

const KILLS = CRASH_KILLS;
const LANES = 3;

const pool = crashPool();

describe('log store under SIGKILL, against a model', () => {
  it(`every key holds its synced value or a later one across ${KILLS} kills, during writes, eviction and compaction`, async () => {
    const total = await runCrashLanes(LANES, KILLS, (laneNo, kills) => runCrashLane({ store: 'log', dir: tempDir('larder-crash-'), laneNo, kills, pool: pool() }));
    console.log(`log crash test: ${JSON.stringify(total)}`);
    expect(total.kills).toBeGreaterThanOrEqual(KILLS);
    expect(total.compactKills).toBeGreaterThanOrEqual(Math.floor(KILLS / 2));
    expect(total.compactionsSeen).toBeGreaterThan(0);
    expect(total.valuesChecked).toBeGreaterThan(KILLS * 400 * 0.5);
  }, crashTimeout(KILLS, LANES));
});
