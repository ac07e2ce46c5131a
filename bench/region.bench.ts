/**
 * Region overhead on a hit: `getOrCreate` (the dogpile lock's fast path) against a plain
 * `Region.get`, and both against the bare backend `get`, in one run.
 *
 *   node --import tsx bench/region.bench.ts [--json]
 *
 * Each iteration awaits OPS sequential calls so tinybench's per-task overhead does not dominate.
 */
import { Bench } from 'tinybench';
import { Cacher, CacherBackend, MemoryBackend, Region } from '../src/main/index.js';

const OPS = 1000;
const KEYS = 1000;
const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
const value = { id: 1, name: 'value' };
const creator = (): object => value;

const memory = new MemoryBackend();
const memoryRegion = new Region({ store: memory });
const cacher = await Cacher.open({ store: 'memory' });
const cacherRegion = new Region({ store: new CacherBackend(cacher) });
for (const region of [memoryRegion, cacherRegion]) await region.setMany(keys.map((k) => [k, value] as const));

let sink: unknown;
const loop = (fn: (k: string) => Promise<unknown>) => async () => {
  for (let i = 0; i < OPS; i++) sink = await fn(keys[i % KEYS] as string);
};

const bench = new Bench({ time: 700, warmup: true, throws: true });
bench
  .add('MemoryBackend.get', loop((k) => memory.get(k)))
  .add('Region.get (memory)', loop((k) => memoryRegion.get(k)))
  .add('Region.getOrCreate hit (memory)', loop((k) => memoryRegion.getOrCreate(k, creator)))
  .add('Region.get (Cacher, memory store)', loop((k) => cacherRegion.get(k)))
  .add('Region.getOrCreate hit (Cacher, memory store)', loop((k) => cacherRegion.getOrCreate(k, creator)));
await bench.run();
void sink;
await cacher.stop();

const opsPerSec = (name: string): number => {
  const result = bench.getTask(name)?.result as { throughput?: { mean: number }; hz?: number } | undefined;
  return (result?.throughput?.mean ?? result?.hz ?? Number.NaN) * OPS;
};
const rows = bench.tasks.map((t) => ({ task: t.name, 'ops/s': Math.round(opsPerSec(t.name)) }));
const ratios = {
  'getOrCreate hit / get (memory)': opsPerSec('Region.getOrCreate hit (memory)') / opsPerSec('Region.get (memory)'),
  'getOrCreate hit / get (Cacher)': opsPerSec('Region.getOrCreate hit (Cacher, memory store)') / opsPerSec('Region.get (Cacher, memory store)'),
  'Region.get / MemoryBackend.get': opsPerSec('Region.get (memory)') / opsPerSec('MemoryBackend.get'),
};
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, rows, ratios }, null, 2));
} else {
  console.table(rows);
  console.table(Object.entries(ratios).map(([ratio, x]) => ({ ratio, value: x.toFixed(2) })));
}
