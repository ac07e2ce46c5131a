/**
 * The engine's model-based test (engine-runner.ts) over the tiered store: the local log in
 * front of a real Redis. Every read is checked against the model as it happens and after every
 * reopen; in the second property, after each sequence, Redis must also hold exactly what the
 * local tier holds once `sync({ tier: 'remote' })` resolved (replication converged, deletes
 * included), read by another cacher over the same prefix.
 *
 * LARDER_MODEL_RUNS scales the sequences (a twentieth of it per property here: each opens Redis
 * connections and writer threads); LARDER_MODEL_SEED replays one seed.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { it } from 'vitest';
import { Cacher, LogStore, RedisStore, TieredStore } from '../../src/main/index.js';
import { describeRedis, REDIS_URL } from '../fixtures/redis-harness.js';
import { opArbitrary } from './engine-ops.js';
import { EngineRun, engineConfigs, type StoreUnderTest } from './engine-runner.js';

const RUNS = Math.max(1, Math.ceil(Number(process.env.LARDER_MODEL_RUNS ?? 100) / 20));
const SEED = process.env.LARDER_MODEL_SEED === undefined ? undefined : Number(process.env.LARDER_MODEL_SEED);
const TIMEOUT = Math.max(180_000, RUNS * 10_000);

interface Tiered extends StoreUnderTest {
  keyPrefix: string;
  cleanup(): Promise<void>;
}

function tieredUnderTest(): Tiered {
  const dir = mkdtempSync(join(tmpdir(), 'larder-model-tiered-'));
  const keyPrefix = `larder-model-tiered:${process.pid}:${Math.random().toString(36).slice(2)}:`;
  return {
    name: 'tiered',
    persistent: true,
    asyncReads: false,
    keyPrefix,
    // Small retained window and replication batches: both replication paths (from memory, read back) run.
    make: () =>
      new TieredStore({
        local: new LogStore(dir, { segmentSize: 256 * 1024, compactMinBytes: 64 * 1024, compactRatio: 0.3 }),
        remote: new RedisStore({ url: REDIS_URL, keyPrefix }),
        maxRetainedBytes: 4 * 1024,
        batchSize: 7,
      }),
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      try {
        for await (const keys of client.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 500 })) if (keys.length > 0) await client.del(keys);
      } finally {
        client.destroy();
      }
    },
  };
}

/** After `sync({ tier: 'remote' })`, Redis answers every key as the local tier does. */
async function checkConverged(run: EngineRun, under: Tiered, keys: number): Promise<void> {
  await run.cache.sync({ tier: 'remote', timeout: 30_000 });
  const other = new Cacher({ store: new RedisStore({ url: REDIS_URL, keyPrefix: under.keyPrefix }) });
  await other.start();
  try {
    for (let n = 0; n < keys; n++) {
      const local = await run.cache.load(`k${n}`);
      const remote = await other.load(`k${n}`);
      // A stored undefined reads as a miss from Redis (no synchronous has() to tell them apart).
      if (local === undefined && remote === undefined) continue;
      if (JSON.stringify(local) !== JSON.stringify(remote) || typeof local !== typeof remote) {
        throw new Error(`k${n}: local tier holds ${JSON.stringify(local)}, Redis ${JSON.stringify(remote)}`);
      }
    }
  } finally {
    await other.stop();
  }
}

async function check(expiry: boolean, converge: boolean): Promise<void> {
  const property = fc.asyncProperty(
    engineConfigs,
    fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 100, max: 400 })).chain((keys) => fc.array(opArbitrary({ keys, expiry }), { minLength: 1, maxLength: 50 }).map((ops) => ({ keys, ops }))),
    async (config, { keys, ops }) => {
      const under = tieredUnderTest();
      const run = new EngineRun(under, { ...config, keys });
      await run.open();
      try {
        await run.run(ops);
        if (converge) await checkConverged(run, under, keys);
      } finally {
        await run.close();
        await under.cleanup();
      }
    },
  );
  await fc.assert(property, { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: false });
}

describeRedis('the engine against a model, tiered store (local log + Redis)', () => {
  it(`tiered store: ${RUNS} random sequences with TTLs and clock moves`, async () => {
    await check(true, false);
  }, TIMEOUT);

  it(`tiered store: ${RUNS} random sequences, then Redis holds what the local tier holds`, async () => {
    await check(false, true);
  }, TIMEOUT);
});
