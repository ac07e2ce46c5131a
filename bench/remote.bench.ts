/**
 * A Cacher shared with a worker thread (src/main/remote): what a call from the worker costs.
 * This thread owns a memory-store Cacher and exposes it; a worker thread connects and runs the
 * tinybench suite, then posts its rows back. Baselines in the same run: a raw MessagePort
 * ping-pong (the floor of any cross-thread round trip) and a local-cache hit.
 *
 *   node --import tsx bench/remote.bench.ts
 */
import { MessageChannel, Worker, isMainThread, workerData, parentPort, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { Bench } from 'tinybench';
import { Cacher, connectCacher, exposeCacher } from '../src/main/index.js';

const BATCH = 1_000;

interface Row {
  name: string;
  opsPerSec: number;
  meanUs: number;
  p99Us: number;
}

async function inWorker(): Promise<void> {
  const { cacherPort, localPort, echoPort } = workerData as { cacherPort: MessagePort; localPort: MessagePort; echoPort: MessagePort };
  const client = connectCacher(cacherPort, { timeout: 30_000 });
  const cached = connectCacher(localPort, { timeout: 30_000, localCache: { max: 1_000 } });
  const value = { id: 1, name: 'a small record', tags: ['x', 'y'], score: 0.5 };
  client.set('hot', value);
  await client.sync();
  for (let i = 0; i < 3; i++) await cached.get('hot'); // the local cache is warm after its hello
  let n = 0;
  let b = 0;
  const echo = (): Promise<void> => new Promise((resolve) => {
    echoPort.once('message', () => resolve());
    echoPort.postMessage(1);
  });
  const bench = new Bench({ time: 1_000, warmup: true, throws: true });
  bench
    .add('MessagePort ping-pong (floor)', echo)
    .add('remote get (round trip)', async () => {
      await client.get('hot');
    })
    .add('remote set + has (round trip)', async () => {
      client.set(`s${n++ % 1000}`, value);
      await client.has('hot');
    })
    .add('remote save (memory store)', async () => {
      await client.save(`v${n++ % 1000}`, value);
    })
    .add(`batched set ×${BATCH} + has`, async () => {
      const base = (b++ % 100) * BATCH;
      for (let i = 0; i < BATCH; i++) client.set(`b${base + i}`, value);
      await client.has('hot');
    })
    .add('get, local cache hit', async () => {
      await cached.get('hot');
    });
  await bench.run();
  const rows: Row[] = bench.tasks.map((task) => {
    const result = task.result as { throughput?: { mean: number }; latency?: { mean: number; p99?: number } };
    return {
      name: task.name,
      opsPerSec: result.throughput?.mean ?? Number.NaN,
      meanUs: (result.latency?.mean ?? Number.NaN) * 1000,
      p99Us: (result.latency?.p99 ?? Number.NaN) * 1000,
    };
  });
  await client.release();
  await cached.release();
  echoPort.close();
  parentPort?.postMessage(rows);
}

async function inMain(): Promise<void> {
  const cache = await Cacher.open({ store: 'memory' });
  const a = new MessageChannel();
  const b = new MessageChannel();
  const echo = new MessageChannel();
  const exposures = [exposeCacher(cache, a.port1), exposeCacher(cache, b.port1)];
  echo.port1.on('message', (m) => echo.port1.postMessage(m));
  // Node 20 runs no --import preload in a Worker: register tsx there, then load this file.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const worker = new Worker(boot, {
    eval: true,
    workerData: { cacherPort: a.port2, localPort: b.port2, echoPort: echo.port2 },
    transferList: [a.port2, b.port2, echo.port2],
  });
  const rows = await new Promise<Row[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  for (const e of exposures) e.close();
  echo.port1.close();
  await cache.stop();

  const floor = rows[0]?.meanUs ?? Number.NaN;
  console.log(`remote.bench — Node ${process.version}, ${availableParallelism()} cores (shared; compare rows as ratios)`);
  console.table(
    rows.map((r) => ({
      task: r.name,
      'ops/s': Math.round(r.opsPerSec).toLocaleString('en-US'),
      'mean µs': r.meanUs.toFixed(1),
      'p99 µs': r.p99Us.toFixed(1),
      '× ping-pong': (r.meanUs / floor).toFixed(2),
    })),
  );
  const batched = rows.find((r) => r.name.startsWith('batched'));
  const single = rows.find((r) => r.name.startsWith('remote set'));
  if (batched !== undefined && single !== undefined) {
    console.log(`batched set throughput: ${Math.round(batched.opsPerSec * BATCH).toLocaleString('en-US')} sets/s ` +
      `(${(batched.meanUs / BATCH).toFixed(2)} µs per set), vs ${Math.round(single.opsPerSec).toLocaleString('en-US')} sets/s one round trip each`);
  }
}

if (isMainThread) await inMain();
else await inWorker();
