/**
 * Crash safety of the `redis` store under real SIGKILLs of the writing process, checked against
 * the same model as the log store's (test/model/crash-lane.ts): a child writes behind to Redis
 * and is killed at a random moment; what its `sync()` confirmed must be in Redis (the server
 * lives on), each key holding that value or a later one the child wrote, never another key's.
 *
 * LARDER_CRASH_KILLS sets the number of kills (the redis store's share: a fifth of it, at least 10).
 */
import { expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { describeRedis, REDIS_URL, testPrefix } from '../fixtures/redis-harness.js';
import { MINOR_CRASH_KILLS, crashPool, crashTimeout, runCrashLane, runCrashLanes } from '../model/crash-lane.js';

const KILLS = MINOR_CRASH_KILLS;
const LANES = 2;

const pool = crashPool();

describeRedis('redis store under SIGKILL, against a model', () => {
  it(`every key holds its synced value or a later one across ${KILLS} kills, during writes and eviction`, async () => {
    const total = await runCrashLanes(LANES, KILLS, (laneNo, kills) =>
      runCrashLane({ store: 'redis', dir: tempDir('larder-redis-crash-'), laneNo, kills, pool: pool(), storeOptions: { url: REDIS_URL, keyPrefix: testPrefix() } }),
    );
    console.log(`redis crash test: ${JSON.stringify(total)}`);
    expect(total.kills).toBeGreaterThanOrEqual(KILLS);
    expect(total.valuesChecked).toBeGreaterThan(KILLS * 400 * 0.5);
  }, crashTimeout(KILLS, LANES, 15_000));
});
