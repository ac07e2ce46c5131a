/**
 * Soak: a service-like mixed load on one cacher for N minutes, every read checked against a
 * plain model. Random sets of object values (a fifth with a TTL), deletes and gets over a key
 * space larger than the memory bound (so gets read evicted entries back from the store), yields
 * to the event loop between bursts, a `sync()` and a `compact()` now and then; at the end a
 * reopen and a check of every key. Reports operations/s, RSS, event-loop delay and the store's
 * size over time. Not part of CI (it runs for minutes).
 *
 *   node --import tsx bench/soak.ts [--minutes 10] [--store log|files] [--keys 50000]
 *        [--max-entries 10000] [--dir DIR]
 *
 * Exits 1 if any read disagreed with the model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Cacher } from '../src/main/index.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    store: { type: 'string', default: 'log' },
    keys: { type: 'string', default: '50000' },
    'max-entries': { type: 'string', default: '10000' },
    dir: { type: 'string' },
  },
});
const minutes = Number(args.minutes);
const keys = Number(args.keys);
const maxEntries = Number(args['max-entries']);
const store = args.store as 'log' | 'files';
if (store !== 'log' && store !== 'files') throw new TypeError(`--store must be log or files (a memory store forgets evicted keys), received ${store}`);
const dir = args.dir ?? mkdtempSync(join(tmpdir(), 'larder-soak-'));

/** The soak's clock: moved to the wall clock at every yield, so a burst of operations sees one time, as the model does. */
let now = Date.now();
const timers = {
  now: () => now,
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
};
const options = { dir, store, maxEntries, timers } as const;

interface Version {
  ver: number;
  expiresAt: number;
}
const model = new Map<number, Version>();
const valueOf = (key: number, ver: number): unknown => ({ k: key, ver, tags: ['soak', String(key % 97)], body: 'x'.repeat(200 + (ver % 1800)) });
const expected = (key: number): unknown => {
  const v = model.get(key);
  return v === undefined || (v.expiresAt !== 0 && v.expiresAt <= now) ? undefined : valueOf(key, v.ver);
};

let state = 0x9e3779b9;
const random = (): number => {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state / 0x1_0000_0000;
};

const wrong: string[] = [];
const totals = { sets: 0, deletes: 0, gets: 0, syncs: 0, compactions: 0 };
const check = (cache: Cacher, key: number, where: string): void => {
  totals.gets++;
  const seen = cache.get(`k${key}`);
  const want = expected(key);
  if (!isDeepStrictEqual(seen, want) && wrong.length < 1000) {
    const id = (v: unknown) => (v === undefined ? 'miss' : JSON.stringify({ k: (v as { k: number }).k, ver: (v as { ver: number }).ver }));
    wrong.push(`${where} k${key}: read ${id(seen)}, expected ${id(want)}`);
  }
};

let cache = await Cacher.open(options);
cache.on('error', (e: Error) => wrong.push(`error event: ${e.message}`));
const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();
const started = performance.now();
const endAt = started + minutes * 60_000;
const samples: Array<{ min: number; opsPerSec: number; rssMB: number; heapMB: number; eldP99: number; eldMax: number; storeMB: number; evictions: number }> = [];
let ver = 0;
let lastSample = started;
let opsAtSample = 0;
let nextSync = started + 5_000;
let nextCompact = started + 30_000;

while (performance.now() < endAt) {
  now = Date.now();
  for (let i = 0; i < 500; i++) {
    const key = Math.floor(random() * keys);
    const r = random();
    if (r < 0.5) {
      ver++;
      const ttl = random() < 0.2 ? 1000 + Math.floor(random() * 30_000) : 0;
      cache.set(`k${key}`, valueOf(key, ver), { ttl });
      model.set(key, { ver, expiresAt: ttl === 0 ? 0 : now + ttl });
      totals.sets++;
    } else if (r < 0.55) {
      cache.delete(`k${key}`);
      model.delete(key);
      totals.deletes++;
    } else check(cache, key, 'get');
  }
  await new Promise(setImmediate);
  const t = performance.now();
  if (t >= nextSync) {
    await cache.sync();
    totals.syncs++;
    nextSync = t + 5_000;
  }
  if (t >= nextCompact) {
    await cache.compact();
    totals.compactions++;
    nextCompact = t + 30_000;
  }
  if (t - lastSample >= 10_000) {
    const ops = totals.sets + totals.deletes + totals.gets;
    const s = cache.storeStats;
    samples.push({
      min: Math.round(((t - started) / 60_000) * 100) / 100,
      opsPerSec: Math.round(((ops - opsAtSample) * 1000) / (t - lastSample)),
      rssMB: Math.round(process.memoryUsage.rss() / 1e6),
      heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
      eldP99: Math.round(eld.percentile(99) / 1e4) / 100,
      eldMax: Math.round(eld.max / 1e4) / 100,
      storeMB: Math.round((s?.totalBytes ?? 0) / 1e5) / 10,
      evictions: cache.stats.evictions,
    });
    console.log(JSON.stringify(samples.at(-1)));
    eld.reset();
    lastSample = t;
    opsAtSample = ops;
  }
}
eld.disable();

// The end: everything durable, reopen, and every key read back from the store.
await cache.sync();
await cache.stop();
now = Date.now();
cache = await Cacher.open(options);
for (let key = 0; key < keys; key++) check(cache, key, 'after reopen');
await cache.stop();
if (args.dir === undefined) rmSync(dir, { recursive: true, force: true });

const seconds = (performance.now() - started) / 1000;
const warm = samples.filter((s) => s.min >= 2);
const rss = warm.map((s) => s.rssMB);
console.log('');
console.log(`soak: ${minutes} min on the ${store} store, ${keys} keys, maxEntries ${maxEntries}, node ${process.version}`);
console.log(`operations: ${JSON.stringify(totals)} in ${seconds.toFixed(0)} s = ${Math.round((totals.sets + totals.deletes + totals.gets) / seconds)} ops/s`);
if (rss.length > 0) console.log(`RSS after 2 min warm-up: min ${Math.min(...rss)} MB, max ${Math.max(...rss)} MB, first ${rss[0]} MB, last ${rss.at(-1)} MB`);
console.log(`event-loop delay per 10 s window: p99 median ${median(samples.map((s) => s.eldP99))} ms, max of maxes ${Math.max(...samples.map((s) => s.eldMax))} ms`);
console.log(`store size: ${samples.at(-1)?.storeMB ?? 0} MB at the end, max ${Math.max(0, ...samples.map((s) => s.storeMB))} MB`);
console.log(`wrong reads: ${wrong.length}`);
for (const line of wrong.slice(0, 20)) console.log(`  ${line}`);
process.exitCode = wrong.length === 0 ? 0 : 1;

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
