/**
 * One lane of the model crash test: child processes (fixtures/model-crash-child.ts) play a random
 * stream of sets and deletes through the engine on one store (half of them also compact without
 * pause where the store compacts, a third read evicted keys back from the store) and report each
 * `sync()` that resolved; each is SIGKILLed at a random moment. The stream is deterministic from
 * its seed, so after each kill the lane knows, for every key, the value as of the last resolved
 * sync and every value written after it. The store must open and each key must hold one of those
 * — never an older version, another key's value, or a torn one — and the next child goes on from
 * what was read. The test files (test/stores/*-crash.test.ts) run a few lanes side by side.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, expect } from 'vitest';
import { WorkerPool } from '../../src/main/core/worker-pool.js';
import { Cacher, type EngineStore, FilesStore, type LarderError, LogStore, type LogStoreOptions, RedisStore, type RedisStoreOptions } from '../../src/main/index.js';
import { logContext } from '../fixtures/log-context.js';
import { runChild } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { SYNC_EVERY, crashStream, crashValue, identify } from './crash-stream.js';
import { lcg } from './engine-ops.js';

export type CrashStoreKind = 'log' | 'files' | 'redis';

/** What a child is told (written to a JSON file it reads). */
export interface CrashChildConfig {
  store: CrashStoreKind;
  /** The cacher's dir, and the store's for `log` and `files`. */
  dir: string;
  /** Passed to the store's constructor: `LogStoreOptions` for `log`, `RedisStoreOptions` for `redis`. */
  storeOptions?: Record<string, unknown> | undefined;
  seed: number;
  baseVer: number;
  keys: number;
  threads: number;
  maxEntries?: number | undefined;
  /** JSON { [key]: ver | -1 }: what the store held when the child started. */
  baseFile: string;
  /** Compact in a loop beside the writes. */
  compact: boolean;
  /** The store evicts on its own (a disk budget): a miss is not a wrong read. */
  evicts?: boolean | undefined;
}

export interface CrashLaneOptions {
  store: CrashStoreKind;
  dir: string;
  laneNo: number;
  kills: number;
  /** For reading the log store back in the parent. */
  pool: WorkerPool;
  keys?: number;
  storeOptions?: Record<string, unknown>;
  evicts?: boolean;
  /**
   * With `evicts`: whether a miss of `key` after this kill is allowed, given every line the killed
   * child printed (it prints `evicted k1 k2 …` for each store eviction). Default: never.
   */
  missAllowed?: (key: number, lines: readonly string[]) => boolean;
}

export interface LaneReport {
  kills: number;
  compactKills: number;
  boundedKills: number;
  /** Compactions the killed children completed: evidence the kills fell among real compactions. */
  compactionsSeen: number;
  /** Keys that held a value (not a miss) after a kill: evidence the check had something to check. */
  valuesChecked: number;
  corruptReports: number;
}

/** Versions of child n of lane l start at ((l × 100000) + n + 1) × STRIDE: unique over the test. */
const STRIDE = 10_000_000;
/** A child does at most two sync rounds past the last `synced` line it printed (one may resolve unprinted). */
const PAST_LAST_SYNC = 3 * SYNC_EVERY;
const MISS = -1;

/** The store as the parent reads it back between kills. */
interface Reader {
  read(key: string): Promise<unknown>;
  keys(): AsyncIterable<string> | Iterable<string>;
  close(): Promise<void>;
}

function makeStore(kind: CrashStoreKind, dir: string, storeOptions: Record<string, unknown> | undefined, readOnly: boolean): EngineStore {
  switch (kind) {
    case 'log':
      return new LogStore(dir, { ...(storeOptions as LogStoreOptions), readOnly, autoCompact: false });
    case 'files':
      return new FilesStore(dir);
    case 'redis':
      return new RedisStore(storeOptions as RedisStoreOptions);
  }
}

async function openReader(options: CrashLaneOptions, readOnly: boolean, errors: LarderError[]): Promise<Reader> {
  const store = makeStore(options.store, options.dir, options.storeOptions, readOnly);
  await store.open(logContext(options.pool, errors));
  return {
    read: async (key) => (store.load !== undefined ? (await store.load(key))?.value : store.read(key)?.value),
    keys: () => store.keys(),
    close: () => store.close(),
  };
}

export async function runCrashLane(options: CrashLaneOptions): Promise<LaneReport> {
  const { dir, laneNo, kills } = options;
  const keys = options.keys ?? 400;
  const random = lcg(laneNo * 7919);
  /** What the store holds per key, as read after the last kill (MISS: nothing). */
  const base = new Map<number, number>(Array.from({ length: keys }, (_, k) => [k, MISS]));
  const report: LaneReport = { kills: 0, compactKills: 0, boundedKills: 0, compactionsSeen: 0, valuesChecked: 0, corruptReports: 0 };
  // The child's starting model and config: files of this lane's own (concurrent runs must not share them).
  const scratch = tempDir('larder-crash-base-');
  const baseFile = join(scratch, 'base.json');
  const configFile = join(scratch, 'config.json');
  const compacts = options.store === 'log';
  for (let n = 0; n < kills; n++) {
    const seed = laneNo * 100_000 + n;
    const baseVer = (laneNo * 100_000 + n + 1) * STRIDE;
    const compact = compacts && n % 2 === 0;
    const bounded = n % 3 === 0;
    writeFileSync(baseFile, JSON.stringify(Object.fromEntries(base)));
    const config: CrashChildConfig = {
      store: options.store,
      dir,
      storeOptions: options.storeOptions,
      seed,
      baseVer,
      keys,
      threads: compact ? 1 : 2,
      maxEntries: bounded ? 40 : undefined,
      baseFile,
      compact,
      evicts: options.evicts,
    };
    writeFileSync(configFile, JSON.stringify(config));
    const child = runChild('model-crash-child.ts', [configFile]);
    // The first resolved sync proves the store works after the previous kill; then a random moment.
    // A child that found a wrong read exits before it syncs: say what it read.
    const started = (async () => {
      await child.waitFor(compact ? /^compacting$/ : /^synced /);
      if (compact) await child.waitFor(/^synced /);
    })();
    await started.catch((error: Error) => {
      throw new Error(`child ${n} of lane ${laneNo}: ${child.lines.find((l) => l.startsWith('wrong ')) ?? error.message}`);
    });
    await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * (compact ? 80 : 300))));
    child.kill('SIGKILL');
    const { signal } = await child.exited;
    const wrong = child.lines.find((l) => l.startsWith('wrong '));
    expect(wrong, `child ${n} of lane ${laneNo} read a value its model does not allow`).toBeUndefined();
    expect(signal).toBe('SIGKILL');
    report.kills++;
    if (compact) report.compactKills++;
    if (bounded) report.boundedKills++;
    report.compactionsSeen += child.lines.filter((l) => l.startsWith('compacted ')).length;
    const synced = Math.max(...child.lines.map((l) => /^synced (\d+)$/.exec(l)).filter((m) => m !== null).map((m) => Number(m[1])));

    // Per key: the value as of the last resolved sync, and every value written after it.
    const durable = new Map(base);
    const later = new Map<number, Set<number>>();
    for (const { i, key, ver, del } of crashStream(seed, baseVer, keys)) {
      if (i > synced + PAST_LAST_SYNC) break;
      if (i <= synced) durable.set(key, del ? MISS : ver);
      else {
        const set = later.get(key) ?? new Set<number>();
        set.add(del ? MISS : ver);
        later.set(key, set);
      }
    }

    // Reopen (every third time read-only, so that the next child does the repair) and check.
    const errors: LarderError[] = [];
    const reader = await openReader(options, n % 3 === 1, errors);
    // Damage found while opening is reported and skipped; a record the index points to must read back whole.
    const atOpen = errors.length;
    try {
      for (let key = 0; key < keys; key++) {
        const value = await reader.read(`k${key}`);
        expect(errors.slice(atOpen).map((e) => e.message), `k${key} after kill ${n} of lane ${laneNo}: a read found damage`).toEqual([]);
        const allowed = new Set([durable.get(key) as number, ...(later.get(key) ?? [])]);
        const where = `${options.store}: k${key} after kill ${n} of lane ${laneNo} (synced up to ${synced}; allowed ${[...allowed].join(', ')})`;
        if (value === undefined) {
          const evicted = options.evicts === true && options.missAllowed?.(key, child.lines) === true;
          expect(allowed.has(MISS) || evicted, `${where}: read a miss`).toBe(true);
          base.set(key, MISS);
          continue;
        }
        const id = identify(value);
        expect(id?.key, `${where}: read another key's value ${JSON.stringify(id)}`).toBe(key);
        expect(allowed.has(id?.ver as number), `${where}: read version ${id?.ver}`).toBe(true);
        expect(isDeepStrictEqual(value, crashValue(key, id?.ver as number)), `${where}: torn value`).toBe(true);
        base.set(key, id?.ver as number);
        report.valuesChecked++;
      }
      for await (const key of reader.keys()) expect(Number(key.slice(1))).toBeLessThan(keys);
    } finally {
      await reader.close();
    }
    for (const error of errors) expect(error.code).toBe('ERR_CORRUPT_RECORD');
    report.corruptReports += errors.length;
  }

  // And it keeps working through the engine, with what the last check read.
  const cache = await Cacher.open({ dir, store: makeStore(options.store, dir, options.storeOptions, false), threads: 1 });
  try {
    cache.set('after', { ok: true });
    await cache.sync();
    if (compacts) await cache.compact();
    expect(cache.get('after')).toEqual({ ok: true });
    for (const [key, ver] of base) expect(await cache.load(`k${key}`)).toEqual(ver === MISS ? undefined : crashValue(key, ver));
  } finally {
    await cache.stop();
  }
  return report;
}

/** Runs `lanes` lanes side by side, each in a directory of its own, and sums their reports. */
export async function runCrashLanes(lanes: number, kills: number, lane: (laneNo: number, kills: number) => Promise<LaneReport>): Promise<LaneReport> {
  const perLane = Math.ceil(kills / lanes);
  const reports = await Promise.all(Array.from({ length: lanes }, (_, n) => lane(n + 1, perLane)));
  const total: LaneReport = { kills: 0, compactKills: 0, boundedKills: 0, compactionsSeen: 0, valuesChecked: 0, corruptReports: 0 };
  for (const r of reports) for (const field of Object.keys(total) as Array<keyof LaneReport>) total[field] += r[field];
  return total;
}

/**
 * The test's timeout for `kills` kills over `lanes` lanes: `perKill` ms per kill per lane, plus two
 * minutes. The log store's kills take ~2 s each on a quiet machine; a files or redis child writes
 * slower (a file and an fsync per key, a network round trip), so those tests give more.
 */
export function crashTimeout(kills: number, lanes: number, perKill = 6_000): number {
  return 120_000 + Math.ceil(kills / lanes) * perKill;
}

/** `LARDER_CRASH_KILLS` (50 by default): the log store's kill count. */
export const CRASH_KILLS = Number(process.env.LARDER_CRASH_KILLS ?? 50);
/** The other stores' share: a fifth of it, at least 10. */
export const MINOR_CRASH_KILLS = Math.max(10, Math.ceil(CRASH_KILLS / 5));

/** A worker pool for reading the log store back in the parent, opened and closed with the test file. */
export function crashPool(): () => WorkerPool {
  let pool: WorkerPool | undefined;
  beforeAll(() => {
    pool = new WorkerPool(1);
  });
  afterAll(async () => {
    await pool?.close();
  });
  return () => pool as WorkerPool;
}
