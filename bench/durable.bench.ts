/**
 * N values of B bytes to durable storage, side by side in one run: larder `log` (at each
 * `--log-threads` count), larder `files`, lmdb-js (`put` then `flushed`), a naive
 * open/write/fsync/close per key (64 at a time; `--naive-entries`, it is slow), and — the floor
 * of keeping encoded values in memory — the same producer into a plain Map. Each run
 * starts with an empty directory and ends when everything is durable. Reports entries/s,
 * main-thread µs per entry (event-loop utilisation × wall time / entries: includes encoding),
 * split into the time that thread was on a CPU and the time it was runnable but waiting for one
 * (Linux schedstat: on 2 cores a busy writer thread and the collector's helpers queue in front
 * of it — the engine's own cost is the on-CPU part, compared with the floors' on-CPU part),
 * process CPU µs per entry (user + system time of every thread: on C cores no contender can pass
 * C × 1e6 ÷ it entries/s),
 * event-loop delay p99/max, and this thread's longest GC pause and total GC time; then reopen +
 * read every key back (`log` store on a started pool, `read` per key; lmdb-js `open` + `get`), and
 * for larder once more through a reopened `Cacher`: a cold `get` also keeps the value in the memory
 * map, as a cache does, and the collector then copies every kept value. The read-back is compared
 * with lmdb-js's round by round (`read vs lmdb-js`, and with the open counted too), then the
 * median of those ratios is reported.
 *
 * Each contender first writes `--warmup` entries (keys of their own) into the same store or
 * database and waits until they are durable, unmeasured: after the idle `--settle` seconds a
 * contender measured cold ran up to 1.6× slower in its first round than in the next ones (CPU
 * clocks, JIT and a new writer thread warming up), which measured the machine waking, not the
 * store. A service's cache is warm; so is every contender here.
 *
 * `--values objects` writes pre-built object values `{ id, name, tags: [3 strings], body }` of
 * about the same size instead of strings (DESIGN.md §7's second workload).
 *
 *   node --import tsx bench/durable.bench.ts [--entries 100000] [--value-size 1024] [--values strings|objects] [--runs 3]
 *        [--log-threads 1,2] [--log-codec msgpack] [--naive-entries 10000] [--skip files,naive,lmdb,map]
 *        [--settle 15] [--warmup 10000] [--thread-cpu] [--json] [--same-process]
 *
 * Each contender runs in a process of its own (this file again, with `--contender`), started
 * after the settle: see `runInChild` for what sharing one process did to the figures.
 * `--same-process` runs them all in this one, as the bench did before.
 *
 * The disk here absorbs a burst of ~150 MB at ~1 GB/s, then sustains ~210 MB/s (fsync'd 1 MB
 * writes, measured): 100k × 1 KB is ~110 MB, so whoever ran just before would leave the next
 * contender a drained burst. Each contender therefore starts after `--settle` idle seconds.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { measure as measureWrites } from '../src/main/cli/commands/bench/meter.js';
import { parseArgs } from 'node:util';
import { serialize } from 'node:v8';
import { crc32 } from 'node:zlib';
import { open as openLmdb } from 'lmdb';
import { Bench } from 'tinybench';
import { systemTimers } from '../src/main/core/timers.js';
import { WorkerPool } from '../src/main/core/worker-pool.js';
import { v8Codec } from '../src/shared/codecs.js';
import { Cacher, LogStore } from '../src/main/index.js';
import { Entry, EntryState } from '../src/main/engine/entry.js';
import { describeThreadCpu, threadTimes } from './thread-cpu.js';

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
    warmup: { type: 'string', default: '10000' },
    json: { type: 'boolean', default: false },
    /** Also print each run's CPU per entry split by thread (Linux; bench/thread-cpu.ts). */
    'thread-cpu': { type: 'boolean', default: false },
    /** Run every contender in this one process, one after another (how the bench ran until 2026-12-07). */
    'same-process': { type: 'boolean', default: false },
    /** Internal: run only this contender, once, in this process, and print its figures as JSON. */
    contender: { type: 'string' },
  },
});
const entries = Number(args.entries);
const valueSize = Number(args['value-size']);
const runs = Number(args.runs);
const naiveEntries = Number(args['naive-entries']);
const logThreads = args['log-threads'].split(',').map(Number);
const skip = new Set(args.skip.split(',').filter((s) => s !== ''));
const settleMs = Number(args.settle) * 1000;
const warmupEntries = Number(args.warmup);
const payload = 'x'.repeat(valueSize);
if (args.values !== 'strings' && args.values !== 'objects') throw new TypeError(`--values must be strings or objects, received ${args.values}`);
/**
 * Objects are built before the clock starts (the workload): 100k of them, ~1 KB each.
 * Their bodies are flat strings, as values parsed from JSON or read from a driver are: a body
 * built by concatenation would be flattened by the first contender to serialize it, which paid
 * for everyone (larder, first in the first round: 4.3–4.7 main µs per entry there, 3.0–3.4 after).
 */
const flat = (text: string): string => Buffer.from(text, 'latin1').toString('latin1');
/** The process that only starts children builds none. */
const runsContenders = args.contender !== undefined || args['same-process'];
const objects =
  args.values === 'objects' && runsContenders
    ? Array.from({ length: entries }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['alpha', `t${i % 97}`, 'omega'], body: flat(`${i}:${'y'.repeat(Math.max(0, valueSize - 124))}`) }))
    : undefined;
/** A distinct value per key, as a real workload would have. */
const valueOf = (i: number): string | object => (objects === undefined ? `${i}:${payload}` : (objects[i] as object));
const objectValues = args.values === 'objects';

interface Figures {
  entriesPerSec: number;
  mainUsPerEntry: number;
  /** The main µs split: on a CPU, and waiting for one (meter.ts; NaN where not Linux). */
  mainCpuUs: number;
  mainWaitUs: number;
  cpuUsPerEntry: number;
  eldP99: number;
  eldMax: number;
  gcMax: number;
  gcTotal: number;
}
interface ReopenFigures {
  openMs: number;
  readAllMs: number;
  /** larder only: the same reads as cold `Cacher.get`s. */
  cacherGetMs?: number;
}
const writes = new Map<string, Figures[]>();
const reopens = new Map<string, ReopenFigures[]>();

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The producer every contender gets: `put` each value, yielding the event loop every 1,024. */
async function produce(count: number, keyOf: (i: number) => string, put: (key: string, value: unknown) => Promise<void> | undefined): Promise<void> {
  for (let i = 0; i < count; i++) {
    const waiting = put(keyOf(i), valueOf(i));
    if (waiting !== undefined) await waiting;
    if ((i & 1023) === 0) await yieldNow(); // a producer that yields, like a server
  }
}
const warmKey = (i: number): string => `warm:${i}`;
const key = (i: number): string => `key:${i}`;

/** Times `body` (n entries) with event-loop delay and utilisation around it. */
async function measure(name: string, n: number, body: () => Promise<void>): Promise<void> {
  const before = args['thread-cpu'] ? threadTimes() : undefined;
  const m = await measureWrites(n, body);
  if (before !== undefined) console.error(`${name}: cpu µs/entry by thread: ${describeThreadCpu(before, threadTimes(), n)}`);
  const list = writes.get(name) ?? [];
  list.push({ entriesPerSec: m.entriesPerSec, mainUsPerEntry: m.mainUsPerEntry, mainCpuUs: m.mainCpuUsPerEntry ?? Number.NaN, mainWaitUs: m.mainWaitUsPerEntry ?? Number.NaN, cpuUsPerEntry: m.cpuUsPerEntry, eldP99: m.eldP99Ms, eldMax: m.eldMaxMs, gcMax: m.gcMaxMs, gcTotal: m.gcTotalMs });
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
    const put = (k: string, value: unknown): Promise<void> | undefined => (cache.set(k, value) ? undefined : cache.drained());
    await produce(warmupEntries, warmKey, put);
    await cache.sync({ timeout: 600_000 });
    await measure(name, entries, async () => {
      await produce(entries, key, put);
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
    await again.close();
    await pool.close();
    const cacher = await Cacher.open({ dir, store, threads, codec });
    const t3 = performance.now();
    for (let i = 0; i < entries; i++) if (cacher.get(`key:${i}`) === undefined) throw new Error(`key:${i} missing from the cacher after reopen`);
    const t4 = performance.now();
    await cacher.stop();
    record(name, { openMs: t1 - t0, readAllMs: t2 - t1, cacherGetMs: t4 - t3 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function lmdbRun(name: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'larder-durable-lmdb-'));
  try {
    const db = openLmdb({ path: dir });
    const put = (k: string, value: unknown): undefined => void db.put(k, value);
    await produce(warmupEntries, warmKey, put);
    await db.flushed;
    await measure(name, entries, async () => {
      await produce(entries, key, put);
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
 *
 * With `entries`, the Map holds larder's own `Entry` per key and queues it, as any write-behind
 * cache keeps a record of state per key: the floor of that design, without batches, threads or
 * a store. larder's row minus this one is what batching, posting and landing cost.
 */
async function mapRun(name: string, entriesToo = false): Promise<void> {
  const map = new Map<string, unknown>();
  const queue: Entry[] = [];
  const scratch = Buffer.allocUnsafe(valueSize * 3 + 64);
  let chunk: unknown[] = [];
  let seq = 0;
  const now = Date.now() + 0.5; // a timestamp, as the engine stamps (a double, not a small integer)
  const put = (k: string, value: unknown): undefined => {
    // Encoding as a persisting cache must: strings to UTF-8, objects in one v8 serialization per 1,024.
    if (typeof value === 'string') scratch.write(value, 0, 'utf8');
    else if (chunk.push(value) === 1024) {
      serialize(chunk);
      chunk = [];
    }
    if (!entriesToo) map.set(k, value);
    else {
      const entry = new Entry(k, value, EntryState.queued, ++seq, now, 0);
      map.set(k, entry);
      queue.push(entry);
      if (queue.length === 1024) queue.length = 0; // a batch taken
    }
  };
  const flush = (): void => {
    if (chunk.length > 0) serialize(chunk);
    chunk = [];
  };
  await produce(warmupEntries, warmKey, put);
  flush();
  await measure(name, entries, async () => {
    await produce(entries, key, put);
    flush();
  });
  map.clear();
}

/**
 * The floor under a read of a checksummed record: each value's stored bytes, made beforehand,
 * checked (CRC-32, as every larder read verifies its record) and decoded, from memory — no
 * lookup, no file. larder's read-back minus this is what finding and reading the record costs.
 */
function decodeFloor(name: string): void {
  // One buffer end to end, as records lie in a segment (100k buffers of their own measured the
  // collector and the allocator instead).
  const parts = Array.from({ length: entries }, (_, i) => {
    const value = valueOf(i);
    return typeof value === 'string' ? Buffer.from(value, 'utf8') : serialize(value);
  });
  const stored = Buffer.concat(parts);
  const ends = new Float64Array(entries);
  parts.reduce((at, part, i) => (ends[i] = at + part.length), 0);
  parts.length = 0;
  // Two passes, the faster counted: the first also pays for collecting what building `stored` left.
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 2; pass++) {
    const t0 = performance.now();
    for (let i = 0, at = 0; i < entries; at = ends[i++] as number) {
      const bytes = stored.subarray(at, ends[i]);
      crc32(bytes);
      if ((objectValues ? v8Codec.decode(bytes) : bytes.toString('utf8')) === undefined) throw new Error('decoded nothing');
    }
    best = Math.min(best, performance.now() - t0);
  }
  record(name, { openMs: Number.NaN, readAllMs: best });
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

/** Every contender of this invocation, in the order each round runs them. */
const contenders: Array<{ name: string; run: () => Promise<void> }> = [];
const contender = (name: string, run: (name: string) => Promise<void> | void): void => {
  contenders.push({ name, run: async () => run(name) });
};
for (const threads of logThreads) contender(`larder log (${threads} thread${threads > 1 ? 's' : ''})`, (name) => larderRun(name, 'log', threads, true));
const codec = args['log-codec'];
if (codec !== undefined) contender(`larder log (1 thread, ${codec})`, (name) => larderRun(name, 'log', 1, false, codec));
if (!skip.has('files')) contender('larder files (2 threads)', (name) => larderRun(name, 'files', 2, false));
if (!skip.has('lmdb')) contender('lmdb-js put + flushed', lmdbRun);
if (!skip.has('naive')) contender(`naive open/write/fsync per key (${naiveEntries})`, naiveRun);
if (!skip.has('map')) {
  contender('Map.set + UTF-8 encode, nothing persisted', (name) => mapRun(name));
  contender('Map.set of an Entry + queue + encode, nothing persisted', (name) => mapRun(name, true));
  contender('floor: checksum + decode from memory', decodeFloor);
}

/**
 * One contender in a process of its own: this file again, with `--contender`. In one shared
 * process each contender paid for the others' heap (the values they kept, the garbage they left)
 * and threads: larder alone wrote 100k objects at 347k entries/s (4.6 µs of CPU per entry),
 * among the others at 183–230k (6.6–9.3 µs); lmdb-js alone at 370k, among them at 245–343k
 * (AMD EPYC VM, 2026-12-07, one run each). `larder bench` (npm start) runs its contenders the
 * same way.
 */
function runInChild(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const argv = [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--contender', name];
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${name}: its process exited with ${code}`));
      // NaN (a figure this platform cannot give) crosses as null.
      const figures = JSON.parse(out.trim().split('\n').at(-1) ?? '{}', (_, value: unknown) => (value === null ? Number.NaN : value)) as { writes: Array<[string, Figures[]]>; reopens: Array<[string, ReopenFigures[]]> };
      for (const [key, list] of figures.writes) writes.set(key, [...(writes.get(key) ?? []), ...list]);
      for (const [key, list] of figures.reopens) reopens.set(key, [...(reopens.get(key) ?? []), ...list]);
      resolve();
    });
  });
}

if (args.contender !== undefined) {
  const chosen = contenders.find((c) => c.name === args.contender);
  if (chosen === undefined) throw new Error(`no contender named ${JSON.stringify(args.contender)}`);
  await chosen.run();
  process.stdout.write(`${JSON.stringify({ writes: [...writes], reopens: [...reopens] })}\n`);
  process.exit(0); // its figures are out: no waiting on a handle some contender left open
}

// Rounds of one run per contender, so a burst of load from elsewhere on the machine hits all
// of them alike instead of all the runs of one.
for (let round = 0; round < runs; round++) {
  const bench = new Bench({ iterations: 1, time: 0, warmup: false, throws: true });
  // Async functions, so tinybench awaits them and never probes one by calling it outside a run.
  for (const { name, run } of contenders) {
    bench.add(name, async () => {
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      await (args['same-process'] ? run() : runInChild(name));
    });
  }
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
  'main on-cpu µs': Number(median(list, (f) => f.mainCpuUs).toFixed(2)),
  'main waiting µs': Number(median(list, (f) => f.mainWaitUs).toFixed(2)),
  'cpu µs/entry': Number(median(list, (f) => f.cpuUsPerEntry).toFixed(2)),
  'eld p99 ms': Number(median(list, (f) => f.eldP99).toFixed(2)),
  'eld max ms': Number(median(list, (f) => f.eldMax).toFixed(2)),
  'gc max ms': Number(median(list, (f) => f.gcMax).toFixed(2)),
  'gc total ms': Number(median(list, (f) => f.gcTotal).toFixed(1)),
}));
const lmdbReopens = reopens.get('lmdb-js put + flushed') ?? [];
/**
 * A contender's speed against lmdb-js's (lmdb-js's time ÷ its own, > 1 is faster), taken in each
 * round, where both ran minutes apart, and then the median of those: a ratio of the two medians
 * would pair one round's larder with another round's lmdb-js.
 */
const vsLmdb = (list: ReopenFigures[], time: (f: ReopenFigures) => number): number | string => {
  if (lmdbReopens.length !== list.length || list.some((f) => Number.isNaN(time(f)))) return '—';
  const ratios = list.map((f, i) => ({ ratio: time(lmdbReopens[i] as ReopenFigures) / time(f) }));
  return Number(median(ratios, (r) => r.ratio).toFixed(2));
};
const reopenTable = [...reopens].map(([name, list]) => ({
  contender: name,
  'open ms': Number.isNaN(median(list, (f) => f.openMs)) ? '—' : Number(median(list, (f) => f.openMs).toFixed(1)),
  [`read ${entries} keys ms`]: Number(median(list, (f) => f.readAllMs).toFixed(1)),
  'read vs lmdb-js': vsLmdb(list, (f) => f.readAllMs),
  'open + read vs lmdb-js': vsLmdb(list, (f) => f.openMs + f.readAllMs),
  [`Cacher.get ${entries} keys ms`]: list[0]?.cacherGetMs === undefined ? '—' : Number(median(list, (f) => f.cacherGetMs as number).toFixed(1)),
}));
const machine = { node: process.version, cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`, entries, valueSize, values: args.values, runs };
if (args.json) console.log(JSON.stringify({ machine, writes: writeTable, reopen: reopenTable }, null, 2));
else {
  console.log(machine);
  console.table(writeTable);
  console.table(reopenTable);
}
