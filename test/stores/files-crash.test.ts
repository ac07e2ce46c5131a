/**
 * Crash safety of the `files` store under real SIGKILLs, checked against the same model as the
 * log store's (test/model/crash-lane.ts): children write and evict (reading evicted keys back
 * from their files); each is killed at a random moment; every key must then hold its value as of
 * the last resolved sync or a later one, never an older, foreign or torn one.
 *
 * LARDER_CRASH_KILLS sets the number of kills (the files store's share: a fifth of it, at least 10).
 */
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { MINOR_CRASH_KILLS, crashPool, crashTimeout, runCrashLane, runCrashLanes } from '../model/crash-lane.js';

const KILLS = MINOR_CRASH_KILLS;
const LANES = 2;

const pool = crashPool();

describe('files store under SIGKILL, against a model', () => {
  it(`every key holds its synced value or a later one across ${KILLS} kills, during writes and eviction`, async () => {
    const total = await runCrashLanes(LANES, KILLS, (laneNo, kills) => runCrashLane({ store: 'files', dir: tempDir('larder-files-crash-'), laneNo, kills, pool: pool() }));
    console.log(`files crash test: ${JSON.stringify(total)}`);
    expect(total.kills).toBeGreaterThanOrEqual(KILLS);
    expect(total.boundedKills).toBeGreaterThan(0);
    expect(total.valuesChecked).toBeGreaterThan(KILLS * 400 * 0.5);
  }, crashTimeout(KILLS, LANES, 15_000));
});
