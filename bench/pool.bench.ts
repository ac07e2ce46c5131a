/**
 * ObjectPool's own cost: acquire/release and use() of an idle element against a bare array
 * free list (the floor), and use() against creating a fresh element each time (what a pool
 * saves when create is not free: here a 64 KiB zeroed buffer). All in one run, as ratios.
 *
 *   node --import tsx bench/pool.bench.ts [--json]
 *
 * Each task does OPS operations per iteration so tinybench's per-call overhead does not swamp
 * a sub-microsecond operation.
 */
import { Bench } from 'tinybench';
import { ObjectPool } from '../src/main/index.js';

const OPS = 1000;
const SIZE = 64 * 1024;

const make = () => ({ buf: Buffer.alloc(SIZE) });
const free: Array<{ buf: Buffer }> = [make()];
const pool = new ObjectPool(make);
const validated = new ObjectPool(make, { validate: (el) => el.buf.length === SIZE });
let sink = 0;

const bench = new Bench({ time: 700, warmup: true, throws: true });
bench
  .add('array free list pop/push (floor)', () => {
    for (let i = 0; i < OPS; i++) {
      const el = free.pop() ?? make();
      sink += el.buf.length;
      free.push(el);
    }
  })
  .add('pool.acquire + release', async () => {
    for (let i = 0; i < OPS; i++) {
      const el = await pool.acquire();
      sink += el.buf.length;
      pool.release(el);
    }
  })
  .add('pool.use', async () => {
    for (let i = 0; i < OPS; i++) sink += await pool.use((el) => el.buf.length);
  })
  .add('pool.use with validate', async () => {
    for (let i = 0; i < OPS; i++) sink += await validated.use((el) => el.buf.length);
  })
  .add('create each time (no pool)', async () => {
    for (let i = 0; i < OPS; i++) sink += await (async () => make().buf.length)();
  });

await bench.run();
await Promise.all([pool.close(), validated.close()]);
void sink;

const opsPerSec = (name: string): number => {
  const result = bench.getTask(name)?.result as { throughput?: { mean: number }; hz?: number } | undefined;
  return (result?.throughput?.mean ?? result?.hz ?? Number.NaN) * OPS;
};
const rows = bench.tasks.map((t) => ({ task: t.name, 'ops/s': Math.round(opsPerSec(t.name)), 'µs/op': (1e6 / opsPerSec(t.name)).toFixed(3) }));
const ratios = {
  'pool.use / create each time': opsPerSec('pool.use') / opsPerSec('create each time (no pool)'),
  'pool.acquire+release / array free list': opsPerSec('pool.acquire + release') / opsPerSec('array free list pop/push (floor)'),
  'pool.use with validate / pool.use': opsPerSec('pool.use with validate') / opsPerSec('pool.use'),
};

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, rows, ratios }, null, 2));
} else {
  console.table(rows);
  console.table(Object.entries(ratios).map(([ratio, x]) => ({ ratio, value: x.toFixed(2) })));
}
