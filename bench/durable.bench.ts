/**
 * N values of B bytes to durable storage, side by side in one run: larder `log` (at each
 * `--log-threads` count), larder `files`, lmdb-js (`put` then `flushed`), a naive
 * open/write/fsync/close per key (64 at a time; `--naive-entries`, it is slow), and — the floor
 * of keeping encoded values in memory — the same producer into a plain Map. Each run
 * starts with an empty directory and ends when everything is durable. Reports entries/s,
 * main-thread µs per entry (event-loop utilisation × wall time / entries: includes encoding),
 * event-loop delay p99/max, and this thread's longest GC pause and total GC time; then reopen +
 * read every key back (`log` store on a started pool, `read` per key; lmdb-js `open` + `get`).
 *
 * `--values objects` writes pre-built object values `{ id, name, tags: [3 strings], body }` of
 * about the same size instead of strings (DESIGN.md §7's second workload).
 *
 *   node --import tsx bench/durable.bench.ts [--entries 100000] [--value-size 1024] [--values strings|objects] [--runs 3]
 *        [--log-threads 1,2] [--log-codec msgpack] [--naive-entries 10000] [--skip files,naive,lmdb,map]
 *        [--settle 15] [--json]
 *
 * The disk here absorbs a burst of ~150 MB at ~1 GB/s, then sustains ~210 MB/s (fsync'd 1 MB
 * writes, measured): 100k × 1 KB is ~110 MB, so whoever ran just before would leave the next
 * contender a drained burst. Each contender therefore starts after `--settle` idle seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { measure as measureWrites } from '../src/main/cli/commands/bench/meter.js';
import { parseArgs } from 'node:util';
import { serialize } from 'node:v8';
import { open as openLmdb } from 'lmdb';
import { Bench } from 'tinybench';
import { systemTimers } from '../src/main/core/timers.js';
import { WorkerPool } from '../src/main/core/worker-pool.js';
import { v8Codec } from '../src/shared/codecs.js';
import { Cacher, LogStore } from '../src/main/index.js';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    'value-size': { type: 'string', default: '1024' },
    values: { type: 'string', default: 'strings' },
    runs: { type: 'string', default: '3' },
    'log-threads': { type: 'string', default: '1,2' },
    /** Also run larder `log` (1 thread) with this codec, e.g. msgpack (what lmdb-js encodes with). */
    'log-codec': { type: 'string' },
    'naive-entries': { type: 'string', default: '10000' },
    /** Contenders to leave out: files, naive (the slow ones), lmdb (to time larder alone), map. */
    skip: { type: 'string', default: '' },
    settle: { type: 'string', default: '15' },
    json: { type: 'boolean', default: false },
  },
});
const entries = Number(args.entries);
const valueSize = Number(args['value-size']);
const runs = Number(args.runs);
const naiveEntries = Number(args['naive-entries']);
const logThreads = args['log-threads'].split(',').map(Number);
const skip = new Set(args.skip.split(',').filter((s) => s !== ''));
const settleMs = Number(args.settle) * 1000;
const payload = 'x'.repeat(valueSize);
if (args.values !== 'strings' && args.values !== 'objects') throw new TypeError(`--values must be strings or objects, received ${args.values}`);
/** Objects are built before the clock starts (the workload): 100k of them, ~1 KB each. */
const objects =
  args.values === 'objects'
    ? Array.from({ length: entries }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['alpha', `t${i % 97}`, 'omega'], body: `${i}:${'y'.repeat(Math.max(0, valueSize - 124))}` }))
    : undefined;
/** A distinct value per key, as a real workload would have. */
const valueOf = (i: number): string | object => (objects === undefined ? `${i}:${payload}` : (objects[i] as object));

interface Figures {
  entriesPerSec: number;
  mainUsPerEntry: number;
  eldP99: number;
  eldMax: number;
  gcMax: number;
  gcTotal: number;
}
interface ReopenFigures {
  openMs: number;
  readAllMs: number;
}
const writes = new Map<string, Figures[]>();
const reopens = new Map<string, ReopenFigures[]>();

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Times `body` (n entries) with event-loop delay and utilisation around it. */
async function measure(name: string, n: number, body: () => Promise<void>): Promise<void> {
  const m = await measureWrites(n, body);
  const list = writes.get(name) ?? [];
  list.push({ entriesPerSec: m.entriesPerSec, mainUsPerEntry: m.mainUsPerEntry, eldP99: m.eldP99Ms, eldMax: m.eldMaxMs, gcMax: m.gcMaxMs, gcTotal: m.gcTotalMs });
  writes.set(name, list);
}

function record(name: string, figures: ReopenFigures): void {
  const list = reopens.get(name) ?? [];
  list.push(figures);
  reopens.set(name, list);
}

async function larderRun(name: string, store: 'log' | 'files', threads: number, reopen: boolean, codec = 'v8'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `larder-durable-${store}-`));
  try {
    const cache = await Cacher.open({ dir, store, threads, codec });
    await measure(name, entries, async () => {
      for (let i = 0; i < entries; i++) {
        if (!cache.set(`key:${i}`, valueOf(i))) await cache.drained();
        if ((i & 1023) === 0) await yieldNow(); // a producer that yields, like a server
      }
      await cache.sync({ timeout: 600_000 });
    });
    await cache.stop();
    if (!reopen) return;
    // The store alone, on a pool already started (starting worker threads is not opening a store).
    const pool = new WorkerPool(threads);
    await pool.run({ op: 'log', job: { job: 'remove', dir, segments: [], durability: 'none' } }, []);
    const errors: Error[] = [];
    const again = new LogStore(dir);
    const t0 = performance.now();
    await again.open({ codec: v8Codec, durability: 'fsync', mode: { file: 0o600, dir: 0o700 }, timers: systemTimers, threads, pool: () => pool, report: (e) => errors.push(e), invalidate: () => {} });
    const t1 = performance.now();
    for (let i = 0; i < entries; i++) if (again.read(`key:${i}`) === undefined) throw new Error(`key:${i} missing after reopen`);
    const t2 = performance.now();
    if (errors.length > 0) throw errors[0];
    record(name, { openMs: t1 - t0, readAllMs: t2 - t1 });
    await again.close();
    await pool.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function lmdbRun(name: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'larder-durable-lmdb-'));
  try {
    const db = openLmdb({ path: dir });
    await measure(name, entries, async () => {
      for (let i = 0; i < entries; i++) {
        void db.put(`key:${i}`, valueOf(i));
        if ((i & 1023) === 0) await yieldNow();
      }
      await db.flushed;
    });
    await db.close();
    const t0 = performance.now();
    const again = openLmdb({ path: dir });
    const t1 = performance.now();
    for (let i = 0; i < entries; i++) if (again.get(`key:${i}`) === undefined) throw new Error(`key:${i} missing after reopen`);
    const t2 = performance.now();
    record(name, { openMs: t1 - t0, readAllMs: t2 - t1 });
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The floor under a cache that persists: the same producer into a plain Map, each value also
 * written as UTF-8 into a scratch buffer — what encoding it for any store does, and which
 * flattens the producer's cons string in place, so the Map keeps 1 KB per value as a persisting
 * cache must. Nothing reaches a disk. Its GC pauses are the young generation copying values
 * that all survive.
 */
async function mapRun(name: string): Promise<void> {
  const map = new Map<string, unknown>();
  const scratch = Buffer.allocUnsafe(valueSize * 3 + 64);
  let chunk: unknown[] = [];
  await measure(name, entries, async () => {
    for (let i = 0; i < entries; i++) {
      const value = valueOf(i);
      // Encoding as a persisting cache must: strings to UTF-8, objects in one v8 serialization per chunk.
      if (typeof value === 'string') scratch.write(value, 0, 'utf8');
      else chunk.push(value);
      map.set(`key:${i}`, value);
      if ((i & 1023) === 0) {
        if (chunk.length > 0) serialize(chunk);
        chunk = [];
        await yieldNow();
      }
    }
    if (chunk.length > 0) serialize(chunk);
  });
  map.clear();
}

/** What people write first: one file per key, open + write + fsync + close, 64 in flight. */
async function naiveRun(name: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'larder-durable-naive-'));
  try {
    await measure(name, naiveEntries, async () => {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < naiveEntries) {
          const i = next++;
          const handle = await openFile(join(dir, `key-${i}`), 'w');
          const value = valueOf(i);
          await handle.writeFile(typeof value === 'string' ? value : serialize(value));
          await handle.sync();
          await handle.close();
        }
      };
      await Promise.all(Array.from({ length: 64 }, lane));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Rounds of one run per contender, so a burst of load from elsewhere on the machine hits all
// of them alike instead of all the runs of one.
for (let round = 0; round < runs; round++) {
  const bench = new Bench({ iterations: 1, time: 0, warmup: false, throws: true });
  // Async functions, so tinybench awaits them and never probes one by calling it outside a run.
  const task = (name: string, run: (name: string) => Promise<void>): void => {
    bench.add(name, async () => {
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      await run(name);
    });
  };
  for (const threads of logThreads) task(`larder log (${threads} thread${threads > 1 ? 's' : ''})`, (name) => larderRun(name, 'log', threads, true));
  const codec = args['log-codec'];
  if (codec !== undefined) task(`larder log (1 thread, ${codec})`, (name) => larderRun(name, 'log', 1, false, codec));
  if (!skip.has('files')) task('larder files (2 threads)', (name) => larderRun(name, 'files', 2, false));
  if (!skip.has('lmdb')) task('lmdb-js put + flushed', lmdbRun);
  if (!skip.has('naive')) task(`naive open/write/fsync per key (${naiveEntries})`, naiveRun);
  if (!skip.has('map')) task('Map.set + UTF-8 encode, nothing persisted', mapRun);
  await bench.run();
}

const median = <T>(list: T[], pick: (f: T) => number): number => {
  const sorted = list.map(pick).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const lmdbRuns = writes.get('lmdb-js put + flushed') ?? [];
const lmdbRate = lmdbRuns.length === 0 ? Number.NaN : median(lmdbRuns, (f) => f.entriesPerSec);
const writeTable = [...writes].map(([name, list]) => ({
  contender: name,
  'entries/s': Math.round(median(list, (f) => f.entriesPerSec)),
  'vs lmdb-js': Number.isNaN(lmdbRate) ? '—' : Number((median(list, (f) => f.entriesPerSec) / lmdbRate).toFixed(2)),
  'main µs/entry': Number(median(list, (f) => f.mainUsPerEntry).toFixed(2)),
  'eld p99 ms': Number(median(list, (f) => f.eldP99).toFixed(2)),
  'eld max ms': Number(median(list, (f) => f.eldMax).toFixed(2)),
  'gc max ms': Number(median(list, (f) => f.gcMax).toFixed(2)),
  'gc total ms': Number(median(list, (f) => f.gcTotal).toFixed(1)),
}));
const reopenTable = [...reopens].map(([name, list]) => ({
  contender: name,
  'open ms': Number(median(list, (f) => f.openMs).toFixed(1)),
  [`read ${entries} keys ms`]: Number(median(list, (f) => f.readAllMs).toFixed(1)),
}));
const machine = { node: process.version, cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`, entries, valueSize, values: args.values, runs };
if (args.json) console.log(JSON.stringify({ machine, writes: writeTable, reopen: reopenTable }, null, 2));
else {
  console.log(machine);
  console.table(writeTable);
  console.table(reopenTable);
}
