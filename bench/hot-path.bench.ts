/**
 * The hot path: Cacher.set/get against a raw Map and lru-cache, measured in one run.
 * Budget (DESIGN.md §7, issue 17): set of a new key ≥ 0.5× Map.set of a new key, set overwrite
 * ≥ 0.6× Map.set, get (memory hit) ≥ 0.8× Map.get.
 *
 *   node --import tsx bench/hot-path.bench.ts [--json]
 *
 * Each task does OPS operations per iteration so tinybench's own per-call overhead does not
 * swamp a 20 ns operation. The overwrite and get tasks cycle over a fixed pool of keys, so after
 * warm-up every set overwrites. The new-key tasks set OPS keys the map or cache does not hold
 * (built beforehand, so no string is made in the timed loop) and delete them again after the
 * iteration, outside the timing (tinybench's `afterEach`): the set inserts, the size stays put.
 *
 * Two floor rows measure what any cache that keeps an entry object per key pays, with larder's
 * own `Entry`: a get that reads the entry's deleted flag and expiry before its value (a second
 * memory access after the Map's), and an overwrite that stamps the entry and queues a clean one
 * for writing (what write-behind must do). The Cacher rows can come close to these, not pass them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { Bench } from 'tinybench';
import { Cacher } from '../src/main/index.js';
import { Entry, EntryState } from '../src/main/engine/entry.js';

const OPS = 1000;
const KEYS = 10_000;
const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
const value = { id: 1, name: 'value', tags: ['a', 'b'] };
/** Keys none of the maps holds before its new-key iteration: a window of OPS of them per iteration. */
const NEW_KEYS = 64 * OPS;
const newKeys = Array.from({ length: NEW_KEYS }, (_, i) => `new:${i}`);

const dir = mkdtempSync(join(tmpdir(), 'larder-bench-'));
const map = new Map<string, unknown>();
const lru = new LRUCache<string, object>({ max: KEYS * 2 });
const memoryCache = await Cacher.open({ store: 'memory' });
const filesCache = await Cacher.open({ dir, store: 'files', durability: 'os', highWaterMark: 1_000_000, maxPending: 10_000_000 });
/** The floor rows' entries and write queue (see the header). */
const entryMap = new Map<string, Entry>();
const entryQueue: Entry[] = [];
/** A timestamp, as set() writes (a double, not a small integer), read once: the clock is not the floor. */
const stamp = Date.now() + 0.5;
for (const k of keys) {
  entryMap.set(k, new Entry(k, value, EntryState.clean, 1, Date.now(), 0));
  map.set(k, value);
  lru.set(k, value);
  memoryCache.set(k, value);
  filesCache.set(k, value);
}
await filesCache.sync();

let cursor = 0;
let newCursor = 0;
let sink: unknown;
const bench = new Bench({ time: 700, warmup: true, throws: true });
const loop = (fn: (k: string) => void) => () => {
  for (let i = 0; i < OPS; i++) {
    fn(keys[cursor] as string);
    cursor = cursor + 1 === KEYS ? 0 : cursor + 1;
  }
};

/** Sets OPS new keys; `afterEach` deletes them, untimed, and moves the window on. */
const newKeyTask = (set: (k: string) => void, remove: (k: string) => void): [() => void, { afterEach: () => void }] => [
  () => {
    for (let i = newCursor; i < newCursor + OPS; i++) set(newKeys[i] as string);
  },
  {
    afterEach: () => {
      for (let i = newCursor; i < newCursor + OPS; i++) remove(newKeys[i] as string);
      newCursor = newCursor + 2 * OPS > NEW_KEYS ? 0 : newCursor + OPS;
    },
  },
];

bench
  .add('Map.set', loop((k) => map.set(k, value)))
  .add('Cacher.set (memory store)', loop((k) => memoryCache.set(k, value)))
  .add('Cacher.set (files store, write-behind)', loop((k) => filesCache.set(k, value)))
  .add('LRUCache.set', loop((k) => lru.set(k, value)))
  .add('Map.get', loop((k) => (sink = map.get(k))))
  .add('Cacher.get (hit)', loop((k) => (sink = filesCache.get(k))))
  .add('LRUCache.get', loop((k) => (sink = lru.get(k))))
  .add('floor: entry get (deleted, expiry, value)', loop((k) => {
    const entry = entryMap.get(k) as Entry;
    sink = entry.deleted || entry.expiresAt !== 0 ? undefined : entry.value;
  }))
  .add(
    'floor: entry overwrite + queue',
    loop((k) => {
      const entry = entryMap.get(k) as Entry;
      entry.value = value;
      entry.deleted = false;
      entry.createdAt = stamp;
      entry.expiresAt = 0;
      entry.seq++;
      if (entry.state === EntryState.clean) {
        entry.state = EntryState.queued;
        entryQueue.push(entry);
      }
    }),
    {
      afterEach: () => {
        for (const entry of entryQueue) entry.state = EntryState.clean;
        entryQueue.length = 0;
      },
    },
  );

await bench.run();
void sink;

// New keys on maps and caches of their own, after the tasks above: deleting keys leaves a map (and
// a cacher's entries) in shapes that slowed the overwrite and get tasks 4–6× when they shared them.
const newMap = new Map<string, unknown>(map);
const newMemory = await Cacher.open({ store: 'memory' });
const newFiles = await Cacher.open({ dir: join(dir, 'new'), store: 'files', durability: 'os', highWaterMark: 1_000_000, maxPending: 10_000_000 });
for (const k of keys) {
  newMemory.set(k, value);
  newFiles.set(k, value);
}
await newFiles.sync();
const newKeyBench = new Bench({ time: 700, warmup: true, throws: true });
newKeyBench
  .add('Map.set (new key)', ...newKeyTask((k) => newMap.set(k, value), (k) => newMap.delete(k)))
  .add('Cacher.set (memory store, new key)', ...newKeyTask((k) => newMemory.set(k, value), (k) => newMemory.delete(k)))
  .add('Cacher.set (files store, new key)', ...newKeyTask((k) => newFiles.set(k, value), (k) => newFiles.delete(k)));
await newKeyBench.run();

const opsPerSec = (name: string): number => {
  const task = bench.getTask(name) ?? newKeyBench.getTask(name);
  const result = task?.result as { throughput?: { mean: number }; hz?: number } | undefined;
  const perIteration = result?.throughput?.mean ?? result?.hz ?? Number.NaN;
  return perIteration * OPS;
};
const rows = [...bench.tasks, ...newKeyBench.tasks].map((t) => ({ task: t.name, 'ops/s': Math.round(opsPerSec(t.name)) }));
const ratios = {
  'Cacher.set (memory, new key) / Map.set (new key)': opsPerSec('Cacher.set (memory store, new key)') / opsPerSec('Map.set (new key)'),
  'Cacher.set (files, new key) / Map.set (new key)': opsPerSec('Cacher.set (files store, new key)') / opsPerSec('Map.set (new key)'),
  'Cacher.set (memory) / Map.set': opsPerSec('Cacher.set (memory store)') / opsPerSec('Map.set'),
  'Cacher.set (files) / Map.set': opsPerSec('Cacher.set (files store, write-behind)') / opsPerSec('Map.set'),
  'Cacher.get / Map.get': opsPerSec('Cacher.get (hit)') / opsPerSec('Map.get'),
  'floor: entry get / Map.get': opsPerSec('floor: entry get (deleted, expiry, value)') / opsPerSec('Map.get'),
  'floor: entry overwrite + queue / Map.set': opsPerSec('floor: entry overwrite + queue') / opsPerSec('Map.set'),
  'Cacher.set (files) / LRUCache.set': opsPerSec('Cacher.set (files store, write-behind)') / opsPerSec('LRUCache.set'),
  'Cacher.get / LRUCache.get': opsPerSec('Cacher.get (hit)') / opsPerSec('LRUCache.get'),
};

await memoryCache.stop();
await filesCache.stop();
await newMemory.stop();
await newFiles.stop();
rmSync(dir, { recursive: true, force: true });

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, rows, ratios }, null, 2));
} else {
  console.table(rows);
  console.table(Object.entries(ratios).map(([ratio, x]) => ({ ratio, value: x.toFixed(2) })));
}
