/**
 * Model-based test of the engine over every store: random sequences of sets (objects, strings,
 * undefined, large and structured values), deletes, reads, saves, barriers, discards, pauses,
 * unloads, clears, clock moves past TTLs, compactions and reopens, with random batch sizes,
 * flush delays, time slices, memory bounds and writer threads — checked read by read against a
 * plain model (cache-model.ts). A failure shrinks to a short sequence, printed with its seed.
 *
 * LARDER_MODEL_RUNS sets the sequences per store (CI runs the default); LARDER_MODEL_SEED
 * replays one seed.
 */
import fc from 'fast-check';
import { createClient } from 'redis';
import { describe, it } from 'vitest';
import { LogStore, RedisStore, FilesStore } from '../../src/main/index.js';
import { describeRedis, REDIS_URL } from '../fixtures/redis-harness.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opArbitrary } from './engine-ops.js';
import { EngineRun, engineConfigs, type StoreUnderTest } from './engine-runner.js';

const RUNS = Number(process.env.LARDER_MODEL_RUNS ?? 100);
const SEED = process.env.LARDER_MODEL_SEED === undefined ? undefined : Number(process.env.LARDER_MODEL_SEED);
/** Per sequence: generous, since a run with large values and reopens on a slow disk takes seconds. */
const TIMEOUT = Math.max(120_000, RUNS * 6_000);

async function check(store: () => Under, expiry: boolean, runs: number): Promise<void> {
  const property = fc.asyncProperty(
    engineConfigs,
    // Few keys: many overwrites of one entry. Many: batches of over 64 entries (one time slice's check).
    fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 100, max: 600 })).chain((keys) => fc.array(opArbitrary({ keys, expiry }), { minLength: 1, maxLength: 60 }).map((ops) => ({ keys, ops }))),
    async (config, { keys, ops }) => {
      const under = store();
      const run = new EngineRun(under, { ...config, keys });
      await run.open();
      try {
        await run.run(ops);
      } finally {
        await run.close();
        await under.cleanup?.();
      }
    },
  );
  await fc.assert(property, { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: false });
}

type Under = StoreUnderTest & { cleanup?: () => Promise<void> };

/** A directory of one sequence's own, removed when the sequence ends (thousands of runs must not pile up for one cleanup). */
const runDir = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

describe('the engine against a model', () => {
  it(`memory store: ${RUNS} random sequences`, async () => {
    await check((): Under => ({ name: 'memory', persistent: false, asyncReads: false, make: () => 'memory' }), true, RUNS);
  }, TIMEOUT);

  it(`files store: ${RUNS} random sequences`, async () => {
    await check(() => {
      const dir = runDir('larder-model-files-');
      return { name: 'files', persistent: true, asyncReads: false, dir, make: () => new FilesStore(dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) } satisfies Under;
    }, true, RUNS);
  }, TIMEOUT);

  it(`log store: ${RUNS} random sequences (small segments, eager compaction)`, async () => {
    await check(() => {
      const dir = runDir('larder-model-log-');
      const make = () => new LogStore(dir, { segmentSize: 256 * 1024, compactMinBytes: 64 * 1024, compactRatio: 0.3 });
      return { name: 'log', persistent: true, asyncReads: false, dir, make, cleanup: async () => rmSync(dir, { recursive: true, force: true }) } satisfies Under;
    }, true, RUNS);
  }, TIMEOUT);
});

describeRedis('the engine against a model, redis store', () => {
  const runs = Math.max(1, Math.ceil(RUNS / 2));
  it(`redis store: ${runs} random sequences (TTLs are the server's: no clock moves)`, async () => {
    await check(() => {
      const keyPrefix = `larder-model:${process.pid}:${Math.random().toString(36).slice(2)}:`;
      return {
        name: 'redis',
        persistent: true,
        asyncReads: true,
        make: () => new RedisStore({ url: REDIS_URL, keyPrefix }),
        cleanup: async () => {
          const client = createClient({ url: REDIS_URL });
          await client.connect();
          try {
            for await (const keys of client.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 500 })) if (keys.length > 0) await client.del(keys);
          } finally {
            client.destroy();
          }
        },
      } satisfies Under;
    }, false, runs);
  }, TIMEOUT);
});
