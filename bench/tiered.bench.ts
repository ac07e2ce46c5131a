/**
 * The tiered store (local log as a durable outbox, Redis behind) against the plain Redis store
 * and a raw node-redis pipeline, in one run: N × 1 KB string values, entries/s and main-thread
 * µs per entry (event-loop active time / N; compare rows of one run), event-loop delay.
 *
 *   - raw node-redis pipeline: SETs, 1000 per pipeline, 4 pipelines in flight, awaited.
 *   - log store: larder write-behind to the local tier alone, set … sync() (for the breakdown).
 *   - redis store: larder write-behind, set … sync() (acknowledged by Redis).
 *   - tiered, sync(): set … sync() — durable in the local log and named in the outbox.
 *   - tiered, sync({ tier: 'remote' }): the same, until Redis acknowledged every write.
 *
 * Then the backlog drain: a private redis-server (started here, on a free port) is stopped, N
 * writes go through a tiered store (durable locally), the server is started again, and the
 * drain is timed from its first replicated batch to `sync({ tier: 'remote' })`, for string
 * values and for ~1 KB objects (read back from the log: decoded and encoded again).
 *
 *   REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/tiered.bench.ts [--json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { Bench } from 'tinybench';
import { measure } from '../src/main/cli/commands/bench/meter.js';
import { Cacher, LogStore, RedisStore, TieredStore, type TieredStoreStats } from '../src/main/index.js';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const N = Number(process.env.TIERED_BENCH_N ?? 100_000);
const ROUNDS = 3;
const PIPELINE = 1000;
const IN_FLIGHT = 4;
const prefix = `larder-bench-tiered:${randomUUID()}:`;
const text = 'x'.repeat(1021); // v8-encoded: 1024 bytes
const bytes = Buffer.alloc(1024, 'x');
const keys = Array.from({ length: N }, (_, i) => `k${i}`);
const objectValue = (i: number) => ({ id: i, name: `item ${i}`, tags: ['a', 'b', 'c'], body: 'y'.repeat(960) });
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'larder-bench-tiered-'));
  dirs.push(dir);
  return dir;
};

interface Row {
  rate: number[];
  us: number[];
  p99: number[];
  max: number[];
}
const rows = new Map<string, Row>();

async function measured(name: string, entries: number, run: () => Promise<void>): Promise<void> {
  const m = await measure(entries, run);
  const row = rows.get(name) ?? { rate: [], us: [], p99: [], max: [] };
  rows.set(name, row);
  row.rate.push(m.entriesPerSec);
  row.us.push(m.mainUsPerEntry);
  row.p99.push(m.eldP99Ms);
  row.max.push(m.eldMaxMs);
}

const big = { highWaterMark: N * 2, maxPending: N * 4 };
const raw = createClient({ url: URL });
await raw.connect();
const plain = await Cacher.open({ store: new RedisStore({ url: URL, keyPrefix: `${prefix}redis:` }), ...big });
const logOnly = await Cacher.open({ store: new LogStore(tempDir()), ...big });
const tieredLocal = await Cacher.open({ store: new TieredStore({ local: new LogStore(tempDir()), remote: new RedisStore({ url: URL, keyPrefix: `${prefix}tiered-local:` }) }), ...big });
const tieredRemote = await Cacher.open({ store: new TieredStore({ local: new LogStore(tempDir()), remote: new RedisStore({ url: URL, keyPrefix: `${prefix}tiered-remote:` }) }), ...big });

const bench = new Bench({ iterations: ROUNDS, warmupIterations: 1, time: 0, warmupTime: 0, throws: true });
bench
  .add('raw node-redis pipeline', () =>
    measured('raw node-redis pipeline (SET ×1000, 4 in flight)', N, async () => {
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
  .add('log store', () =>
    measured('log store alone: set … sync()', N, async () => {
      for (let i = 0; i < N; i++) logOnly.set(keys[i] as string, text);
      await logOnly.sync({ timeout: 120_000 });
    }),
  )
  .add('redis store', () =>
    measured('redis store: set … sync()', N, async () => {
      for (let i = 0; i < N; i++) plain.set(keys[i] as string, text);
      await plain.sync({ timeout: 120_000 });
    }),
  )
  .add('tiered local', () =>
    measured("tiered: set … sync() ('local')", N, async () => {
      for (let i = 0; i < N; i++) tieredLocal.set(keys[i] as string, text);
      await tieredLocal.sync({ timeout: 120_000 });
    }),
  )
  .add('tiered remote', () =>
    measured("tiered: set … sync({ tier: 'remote' })", N, async () => {
      for (let i = 0; i < N; i++) tieredRemote.set(keys[i] as string, text);
      await tieredRemote.sync({ tier: 'remote', timeout: 120_000 });
    }),
  );
await bench.run();
// The local-tier rows leave replication running behind: let it finish before the next part.
await tieredLocal.sync({ tier: 'remote', timeout: 120_000 });

// ---- the backlog drain after an outage ------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function listening(port: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => (socket.destroy(), resolve(false)));
      socket.connect(port, '127.0.0.1');
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server on ${port} did not start`);
}

const port = await freePort();
const serverDir = tempDir();
let server: ChildProcess | undefined;
async function startServer(): Promise<void> {
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', serverDir], { stdio: 'ignore' });
  await listening(port);
}
async function stopServer(): Promise<void> {
  const running = server;
  server = undefined;
  if (running === undefined || running.exitCode !== null) return;
  const exited = new Promise((resolve) => running.once('exit', resolve));
  running.kill('SIGTERM');
  await exited;
}

interface Drain {
  values: string;
  backlog: number;
  msToFirstBatch: number;
  msDrain: number;
  entriesPerSec: number;
  mainUsPerEntry: number;
  readBack: number;
  journalBytes: number;
}
const drains: Drain[] = [];

await startServer();
try {
  for (const [label, value] of [['1 KB strings', (_: number) => text], ['~1 KB objects', objectValue]] as const) {
    const store = new TieredStore({ local: new LogStore(tempDir()), remote: new RedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: `${prefix}drain:`, connectTimeout: 300 }) });
    const cache = await Cacher.open({ store, ...big });
    cache.on('error', () => {}); // the outage is the point
    await stopServer();
    for (let i = 0; i < N; i++) cache.set(keys[i] as string, value(i));
    await cache.sync({ timeout: 120_000 });
    const before = (cache.storeStats as TieredStoreStats).replication;
    const back = performance.now();
    await startServer();
    // Reconnect backoff (the link's and the replicator's) comes first; the drain is timed from its first batch.
    while ((cache.storeStats as TieredStoreStats).replication.replicated === 0) await new Promise((r) => setTimeout(r, 1));
    const first = performance.now();
    const backlog = (cache.storeStats as TieredStoreStats).replication.pending;
    const m = await measure(backlog, () => cache.sync({ tier: 'remote', timeout: 300_000 }));
    const after = (cache.storeStats as TieredStoreStats).replication;
    drains.push({
      values: label,
      backlog: before.pending,
      msToFirstBatch: Math.round(first - back),
      msDrain: Math.round(m.ms),
      entriesPerSec: Math.round(m.entriesPerSec),
      mainUsPerEntry: Number(m.mainUsPerEntry.toFixed(2)),
      readBack: after.readBack,
      journalBytes: before.journalBytes,
    });
    await cache.stop();
  }
} finally {
  await stopServer();
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const table = [...rows].map(([name, r]) => ({
  name,
  'entries/s': Math.round(median(r.rate)),
  'main µs/entry': Number(median(r.us).toFixed(2)),
  'loop delay p99 ms': Number(median(r.p99).toFixed(1)),
  'loop delay max ms': Number(median(r.max).toFixed(1)),
}));
if (process.argv.includes('--json')) console.log(JSON.stringify({ node: process.version, n: N, rows: table, drains }, null, 2));
else {
  console.log(`Node ${process.version}, N=${N} × 1 KB, medians of ${ROUNDS} runs (1 warm-up), ${URL}`);
  console.table(table);
  console.log(`Backlog drain after an outage of ${N} writes (private redis-server, appendonly no):`);
  console.table(drains);
}

await Promise.all([plain.clear(), tieredLocal.clear(), tieredRemote.clear()]);
await Promise.all([plain.stop(), logOnly.stop(), tieredLocal.stop(), tieredRemote.stop()]);
for await (const batch of raw.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (batch.length > 0) await raw.unlink(batch);
await raw.close();
for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
