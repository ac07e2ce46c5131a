/**
 * Crash safety of the `log` store under real SIGKILLs, checked against a model. A child process
 * (fixtures/model-crash-child.ts) plays a random stream of sets and deletes through the engine
 * (half the children also compact without pause, a third read evicted keys back from disk) and
 * reports each `sync()` that resolved; it is killed at a random moment. The stream is
 * deterministic from its seed, so after each kill the test knows, for every key, the value as of
 * the last resolved sync and every value written after it. The store must open and each key must
 * hold one of those — never an older version, another key's value, or a torn one — and the next
 * child goes on from what was read. Three directories are hammered side by side.
 *
 * LARDER_CRASH_KILLS sets the number of kills (50 by default); the timeout scales with it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/main/core/worker-pool.js';
import { runChild } from '../helpers/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { logContext } from '../fixtures/log-context.js';
import { SYNC_EVERY, crashStream, crashValue, identify } from '../model/crash-stream.js';
import { lcg } from '../model/engine-ops.js';
import { Cacher, type LarderError, LogStore } from '../../src/main/index.js';

const KILLS = Number(process.env.LARDER_CRASH_KILLS ?? 50);
const LANES = 3;
const KEYS = 400;
/** Versions of child n of lane l start at ((l × 100000) + n + 1) × STRIDE: unique over the test. */
const STRIDE = 10_000_000;
/** A child does at most two sync rounds past the last `synced` line it printed (one may resolve unprinted). */
const PAST_LAST_SYNC = 3 * SYNC_EVERY;
const MISS = -1;

let pool: WorkerPool;
beforeAll(() => {
  pool = new WorkerPool(1);
});
afterAll(async () => {
  await pool.close();
});

interface LaneReport {
  kills: number;
  compactKills: number;
  boundedKills: number;
  /** Compactions the killed children completed: evidence the kills fell among real compactions. */
  compactionsSeen: number;
  /** Keys that held a value (not a miss) after a kill: evidence the check had something to check. */
  valuesChecked: number;
  corruptReports: number;
}

async function lane(dir: string, kills: number, laneNo: number): Promise<LaneReport> {
  const random = lcg(laneNo * 7919);
  /** What the store holds per key, as read after the last kill (MISS: nothing). */
  const base = new Map<number, number>(Array.from({ length: KEYS }, (_, k) => [k, MISS]));
  const report: LaneReport = { kills: 0, compactKills: 0, boundedKills: 0, compactionsSeen: 0, valuesChecked: 0, corruptReports: 0 };
  // The child's starting model: a file of this lane's own (concurrent runs of this test must not share one).
  const baseFile = join(tempDir('larder-crash-base-'), 'base.json');
  for (let n = 0; n < kills; n++) {
    const seed = laneNo * 100_000 + n;
    const baseVer = (laneNo * 100_000 + n + 1) * STRIDE;
    const compact = n % 2 === 0;
    const bounded = n % 3 === 0;
    writeFileSync(baseFile, JSON.stringify(Object.fromEntries(base)));
    const child = runChild('model-crash-child.ts', [dir, String(seed), String(baseVer), String(KEYS), compact ? '1' : '2', bounded ? '40' : 'Infinity', baseFile, ...(compact ? ['compact'] : [])]);
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
    for (const { i, key, ver, del } of crashStream(seed, baseVer, KEYS)) {
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
    const store = new LogStore(dir, { readOnly: n % 3 === 1, autoCompact: false });
    await store.open(logContext(pool, errors));
    // Damage found while opening is reported and skipped; a record the index points to must read back whole.
    const atOpen = errors.length;
    try {
      for (let key = 0; key < KEYS; key++) {
        const value = store.read(`k${key}`)?.value;
        expect(errors.slice(atOpen).map((e) => e.message), `k${key} after kill ${n} of lane ${laneNo}: a read found damage`).toEqual([]);
        const allowed = new Set([durable.get(key) as number, ...(later.get(key) ?? [])]);
        const where = `k${key} after kill ${n} of lane ${laneNo} (synced up to ${synced}; allowed ${[...allowed].join(', ')})`;
        if (value === undefined) {
          expect(allowed.has(MISS), `${where}: read a miss`).toBe(true);
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
      for (const key of store.keys()) expect(Number(key.slice(1))).toBeLessThan(KEYS);
    } finally {
      await store.close();
    }
    for (const error of errors) expect(error.code).toBe('ERR_CORRUPT_RECORD');
    report.corruptReports += errors.length;
  }

  // And it keeps working through the engine, with what the last check read.
  const cache = await Cacher.open({ dir, store: new LogStore(dir), threads: 1 });
  try {
    cache.set('after', { ok: true });
    await cache.sync();
    await cache.compact();
    expect(cache.get('after')).toEqual({ ok: true });
    for (const [key, ver] of base) expect(cache.get(`k${key}`)).toEqual(ver === MISS ? undefined : crashValue(key, ver));
  } finally {
    await cache.stop();
  }
  return report;
}

describe('log store under SIGKILL, against a model', () => {
  it(`every key holds its synced value or a later one across ${KILLS} kills, during writes, eviction and compaction`, async () => {
    const perLane = Math.ceil(KILLS / LANES);
    const reports = await Promise.all(Array.from({ length: LANES }, (_, n) => lane(tempDir('larder-crash-'), perLane, n + 1)));
    const sum = (f: (r: LaneReport) => number): number => reports.reduce((s, r) => s + f(r), 0);
    console.log(`crash test: ${JSON.stringify({ kills: sum((r) => r.kills), compactKills: sum((r) => r.compactKills), boundedKills: sum((r) => r.boundedKills), compactionsSeen: sum((r) => r.compactionsSeen), valuesChecked: sum((r) => r.valuesChecked), corruptReports: sum((r) => r.corruptReports) })}`);
    expect(sum((r) => r.kills)).toBeGreaterThanOrEqual(KILLS);
    expect(sum((r) => r.compactKills)).toBeGreaterThanOrEqual(Math.floor(KILLS / 2));
    expect(sum((r) => r.compactionsSeen)).toBeGreaterThan(0);
    expect(sum((r) => r.valuesChecked)).toBeGreaterThan(KILLS * KEYS * 0.5);
  }, 120_000 + Math.ceil(KILLS / LANES) * 6_000);
});
