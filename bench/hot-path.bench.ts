/**
 * The hot path: Cacher.set/get against a raw Map and lru-cache, measured in one run.
 * Budget (DESIGN.md §7): set ≥ 0.5× Map.set, get (memory hit) ≥ 0.8× Map.get.
 *
 *   node --import tsx bench/hot-path.bench.ts [--json]
 *
 * Each task does OPS operations per iteration so tinybench's own per-call overhead does not
 * swamp a 20 ns operation. Keys are a fixed pool, so after warm-up every set overwrites.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { Bench } from 'tinybench';
import { Cacher } from '../src/main/index.js';

const OPS = 1000;
const KEYS = 10_000;
const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
const value = { id: 1, name: 'value', tags: ['a', 'b'] };

const dir = mkdtempSync(join(tmpdir(), 'larder-bench-'));
const map = new Map<string, unknown>();
const lru = new LRUCache<string, object>({ max: KEYS * 2 });
const memoryCache = await Cacher.open({ store: 'memory' });
const filesCache = await Cacher.open({ dir, store: 'files', durability: 'os', highWaterMark: 1_000_000, maxPending: 10_000_000 });
for (const k of keys) {
  map.set(k, value);
  lru.set(k, value);
  memoryCache.set(k, value);
  filesCache.set(k, value);
}
await filesCache.sync();

let cursor = 0;
let sink: unknown;
const bench = new Bench({ time: 700, warmup: true, throws: true });
const loop = (fn: (k: string) => void) => () => {
  for (let i = 0; i < OPS; i++) {
    fn(keys[cursor] as string);
    cursor = cursor + 1 === KEYS ? 0 : cursor + 1;
  }
};

bench
  .add('Map.set', loop((k) => map.set(k, value)))
  .add('Cacher.set (memory store)', loop((k) => memoryCache.set(k, value)))
  .add('Cacher.set (files store, write-behind)', loop((k) => filesCache.set(k, value)))
  .add('LRUCache.set', loop((k) => lru.set(k, value)))
  .add('Map.get', loop((k) => (sink = map.get(k))))
  .add('Cacher.get (hit)', loop((k) => (sink = filesCache.get(k))))
  .add('LRUCache.get', loop((k) => (sink = lru.get(k))));

await bench.run();
void sink;

const opsPerSec = (name: string): number => {
  const task = bench.getTask(name);
  const result = task?.result as { throughput?: { mean: number }; hz?: number } | undefined;
  const perIteration = result?.throughput?.mean ?? result?.hz ?? Number.NaN;
  return perIteration * OPS;
};
const rows = bench.tasks.map((t) => ({ task: t.name, 'ops/s': Math.round(opsPerSec(t.name)) }));
const ratios = {
  'Cacher.set (memory) / Map.set': opsPerSec('Cacher.set (memory store)') / opsPerSec('Map.set'),
  'Cacher.set (files) / Map.set': opsPerSec('Cacher.set (files store, write-behind)') / opsPerSec('Map.set'),
  'Cacher.get / Map.get': opsPerSec('Cacher.get (hit)') / opsPerSec('Map.get'),
  'Cacher.set (files) / LRUCache.set': opsPerSec('Cacher.set (files store, write-behind)') / opsPerSec('LRUCache.set'),
  'Cacher.get / LRUCache.get': opsPerSec('Cacher.get (hit)') / opsPerSec('LRUCache.get'),
};

await memoryCache.stop();
await filesCache.stop();
rmSync(dir, { recursive: true, force: true });

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, rows, ratios }, null, 2));
} else {
  console.table(rows);
  console.table(Object.entries(ratios).map(([ratio, x]) => ({ ratio, value: x.toFixed(2) })));
}
