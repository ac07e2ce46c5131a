/**
 * Crash safety of the `log` store under real SIGKILLs: a child process writes continuously
 * (some children also compact continuously) and reports each `sync()` that resolved; it is
 * killed at a random moment. After each kill the store must open, hold every value a resolved
 * `sync()` covered (that version or a newer one), never a torn value, and keep working (the
 * next child writes and syncs on it). Two directories are hammered side by side to fit 50
 * kills into the suite's time; LARDER_CRASH_KILLS raises the count for a longer run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LarderError } from '../src/main/errors.js';
import { LogStore } from '../src/main/stores/log-store.js';
import { WorkerPool } from '../src/main/worker-pool.js';
import { Cacher } from '../src/main/cacher.js';
import { runChild } from './helpers/engine.js';
import { tempDir } from './helpers/temp-dir.js';
import { crashBody } from './fixtures/log-crash-body.js';
import { logContext } from './fixtures/log-context.js';

const KILLS = Number(process.env.LARDER_CRASH_KILLS ?? 50);
const LANES = 3;
const KEYS = 400;
/** Set numbers of child i start at i × STRIDE: a child never issues STRIDE sets before it dies. */
const STRIDE = 10_000_000;

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
  /** Compactions the killed children completed: evidence the kills fell among real compactions. */
  compactionsSeen: number;
  confirmedKeys: number;
  corruptReports: number;
}

async function lane(dir: string, kills: number, seed: number): Promise<LaneReport> {
  let random = seed;
  const rand = (): number => {
    random = (random * 1103515245 + 12345) % 2147483648;
    return random / 2147483648;
  };
  const confirmed = new Map<string, number>();
  const report: LaneReport = { kills: 0, compactKills: 0, compactionsSeen: 0, confirmedKeys: 0, corruptReports: 0 };
  for (let i = 0; i < kills; i++) {
    const start = (seed * 1000 + i + 1) * STRIDE;
    const compact = i % 2 === 0;
    // Writers get two threads (batches land out of order); compacting children one (to start fast).
    const child = runChild('log-crash-writer.ts', [dir, String(start), String(KEYS), compact ? '1' : '2', ...(compact ? ['compact'] : [])]);
    // The first resolved sync proves the store works after the previous kill; then a random moment.
    await child.waitFor(compact ? /^compacting$/ : /^synced /);
    if (compact) await child.waitFor(/^synced /);
    await new Promise((resolve) => setTimeout(resolve, Math.floor(rand() * (compact ? 60 : 250))));
    child.kill('SIGKILL');
    const { signal } = await child.exited;
    expect(signal).toBe('SIGKILL');
    report.kills++;
    if (compact) report.compactKills++;

    let last = start - 1;
    for (const line of child.lines) {
      if (line.startsWith('compacted ')) report.compactionsSeen++;
      const m = /^synced (\d+)$/.exec(line);
      if (m === null) continue;
      const upTo = Number(m[1]);
      for (let s = last + 1; s <= upTo; s++) confirmed.set(`k${s % KEYS}`, s);
      last = upTo;
    }

    // Reopen (every other time read-only, so that the next child does the repair) and check.
    const errors: LarderError[] = [];
    const store = new LogStore(dir, { readOnly: i % 3 === 1, autoCompact: false });
    await store.open(logContext(pool, errors));
    try {
      for (const [key, version] of confirmed) {
        const entry = store.read(key);
        expect(entry, `${key} (confirmed at ${version}) after kill ${i}`).toBeDefined();
        const value = entry?.value as { s: number; body: string };
        expect(value.s).toBeGreaterThanOrEqual(version);
        expect(value.s % KEYS).toBe(Number(key.slice(1)));
        expect(value.body).toBe(crashBody(value.s));
      }
      for (const key of store.keys()) {
        const value = store.read(key)?.value as { s: number; body: string } | undefined;
        if (value !== undefined) expect(value.body).toBe(crashBody(value.s));
      }
    } finally {
      await store.close();
    }
    for (const error of errors) expect(error.code).toBe('ERR_CORRUPT_RECORD');
    report.corruptReports += errors.length;
  }
  report.confirmedKeys = confirmed.size;

  // And it keeps working through the engine.
  const cache = await Cacher.open({ dir, store: new LogStore(dir), threads: 1 });
  try {
    cache.set('after', { ok: true });
    await cache.sync();
    await cache.compact();
    expect(cache.get('after')).toEqual({ ok: true });
    const sample = [...confirmed][0];
    if (sample !== undefined) expect((cache.get(sample[0]) as { s: number }).s).toBeGreaterThanOrEqual(sample[1]);
  } finally {
    await cache.stop();
  }
  return report;
}

describe('log store under SIGKILL', () => {
  it(`keeps every synced value across ${KILLS} kills, during writes and during compaction`, async () => {
    const perLane = Math.ceil(KILLS / LANES);
    const reports = await Promise.all(Array.from({ length: LANES }, (_, n) => lane(tempDir('larder-crash-'), perLane, n + 1)));
    const kills = reports.reduce((sum, r) => sum + r.kills, 0);
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(reports.reduce((sum, r) => sum + r.compactKills, 0)).toBeGreaterThanOrEqual(Math.floor(KILLS / 2));
    expect(reports.reduce((sum, r) => sum + r.compactionsSeen, 0)).toBeGreaterThan(0);
    for (const r of reports) expect(r.confirmedKeys).toBe(KEYS);
  }, 180_000);
});
