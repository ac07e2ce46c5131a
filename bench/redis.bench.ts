/**
 * larder's write-behind to Redis against a raw node-redis pipeline of the same writes, in one run
 * (and, for scale, the same SETs as one prebuilt RESP buffer per pipeline on a bare socket — what
 * larder's writer threads send, without the engine):
 * N × 1 KB values, entries/s until the server acknowledged them all, main-thread µs per entry
 * (event-loop active time / N: it includes time the OS gave to other threads, so compare rows of
 * one run), and event-loop delay while it ran.
 * Goal (issue 8): at least the raw pipeline's entries/s, at no more than half its main-thread µs.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/redis.bench.ts [--json]
 *
 * Each iteration writes the same N keys (overwrites) under a prefix of its own, removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { measure as measureWrites } from '../src/main/cli/commands/bench/meter.js';
import { createClient } from 'redis';
import { Bench } from 'tinybench';
import { RespPipe } from '../src/worker/redis/resp-pipe.js';
import { Cacher, RedisStore } from '../src/main/index.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const N = Number(process.env.REDIS_BENCH_N ?? 100_000);
const PIPELINE = 1000;
/** Pipelines the raw client keeps in flight: like the engine's two batches per writer thread. */
const IN_FLIGHT = 4;
const prefix = `larder-bench:${randomUUID()}:`;
const text = 'x'.repeat(1021); // v8-encoded: 1024 bytes
const bytes = Buffer.alloc(1024, 'x');
const keys = Array.from({ length: N }, (_, i) => `k${i}`);

interface Row {
  rate: number[];
  us: number[];
  p99: number[];
  max: number[];
}
const rows = new Map<string, Row>();

async function measured(name: string, run: () => Promise<void>): Promise<void> {
  const m = await measureWrites(N, run);
  const row = rows.get(name) ?? { rate: [], us: [], p99: [], max: [] };
  rows.set(name, row);
  row.rate.push(m.entriesPerSec);
  row.us.push(m.mainUsPerEntry);
  row.p99.push(m.eldP99Ms);
  row.max.push(m.eldMaxMs);
}

const raw = createClient({ url: URL });
await raw.connect();
const pipe = await RespPipe.connect(URL, 5_000);

/** SETs of keys [from, to) as RESP, end to end in one buffer. */
function respSets(from: number, to: number): Buffer {
  const out = Buffer.allocUnsafe((to - from) * (bytes.length + 128));
  let at = 0;
  for (let j = from; j < to; j++) {
    const key = `${prefix}resp:${keys[j]}`;
    at += out.write(`*3\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${bytes.length}\r\n`, at, 'utf8');
    at += bytes.copy(out, at);
    at += out.write('\r\n', at, 'latin1');
  }
  return out.subarray(0, at);
}
const cache = await Cacher.open({ store: new RedisStore({ url: URL, keyPrefix: `${prefix}larder:` }), highWaterMark: N * 2, maxPending: N * 4 });

const bench = new Bench({ iterations: 5, warmupIterations: 1, time: 0, warmupTime: 0, throws: true });
bench
  .add('raw node-redis pipeline (SET, 1000 per pipeline)', () =>
    measured('raw node-redis pipeline', async () => {
      const inFlight: Promise<unknown>[] = [];
      for (let i = 0; i < N; i += PIPELINE) {
        const pipeline = raw.multi();
        for (let j = i; j < Math.min(N, i + PIPELINE); j++) pipeline.set(`${prefix}raw:${keys[j]}`, bytes);
        inFlight.push(pipeline.execAsPipeline());
        if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      }
      await Promise.all(inFlight);
    }),
  )
  .add('bare socket, one RESP buffer per pipeline', () =>
    measured('bare socket RESP buffers', async () => {
      const inFlight: Promise<unknown>[] = [];
      for (let i = 0; i < N; i += PIPELINE) {
        const to = Math.min(N, i + PIPELINE);
        inFlight.push(pipe.send(respSets(i, to), to - i));
        if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      }
      await Promise.all(inFlight);
    }),
  )
  .add('larder write-behind to Redis (set … sync)', () =>
    measured('larder write-behind', async () => {
      for (let i = 0; i < N; i++) cache.set(keys[i] as string, text);
      await cache.sync({ timeout: 120_000 });
    }),
  );

await bench.run();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const table = [...rows].map(([name, r]) => ({
  name,
  'entries/s': Math.round(median(r.rate)),
  'main µs/entry': Number(median(r.us).toFixed(2)),
  'loop delay p99 ms': Number(median(r.p99).toFixed(1)),
  'loop delay max ms': Number(median(r.max).toFixed(1)),
}));
if (process.argv.includes('--json')) console.log(JSON.stringify({ node: process.version, n: N, rows: table }, null, 2));
else {
  console.log(`Node ${process.version}, N=${N} × 1 KB, medians of 5 runs (1 warm-up), ${URL}`);
  console.table(table);
  const rawRow = table.find((r) => r.name.startsWith('raw'));
  const larder = table.find((r) => r.name.startsWith('larder'));
  if (rawRow !== undefined && larder !== undefined) {
    console.log(`larder/raw: throughput ${(larder['entries/s'] / rawRow['entries/s']).toFixed(2)}×, main-thread µs ${(larder['main µs/entry'] / rawRow['main µs/entry']).toFixed(2)}×`);
  }
}

await cache.clear();
await cache.stop();
for await (const batch of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (batch.length > 0) await raw.unlink(batch);
await raw.close();
pipe.destroy();
