/**
 * Durable write-behind through the engine: N entries of B bytes, from the first `set` until
 * `sync()` resolves (everything fsynced). Reports entries/s, main-thread µs per entry (event-loop
 * utilization: time the caller's thread was busy, including encoding), and event-loop delay
 * p50/p99/max while it runs. tinybench times each run; the median of `--runs` is reported.
 *
 *   node --import tsx bench/write-behind.bench.ts [--store files] [--entries 100000] [--value-size 1024] [--runs 3] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { Cacher } from '../src/main/cacher.js';
import type { CacherOptions } from '../src/main/options.js';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'files' },
    entries: { type: 'string', default: '100000' },
    'value-size': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const entries = Number(args.entries);
const valueSize = Number(args['value-size']);
const runs = Number(args.runs);
const payload = 'x'.repeat(valueSize);

interface RunFigures {
  entriesPerSec: number;
  mainUsPerEntry: number;
  eldP50: number;
  eldP99: number;
  eldMax: number;
}
const figures: RunFigures[] = [];

async function oneRun(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'larder-wb-'));
  const cache = await Cacher.open({ dir, store: args.store as CacherOptions['store'] } as CacherOptions);
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (let i = 0; i < entries; i++) {
    // A distinct value per key, as a real workload would have (no shared-string shortcuts).
    if (!cache.set(`key:${i}`, `${i}:${payload}`)) await cache.drained();
    if ((i & 1023) === 0) await new Promise((r) => setImmediate(r)); // a producer that yields, like a server
  }
  await cache.sync({ timeout: 600_000 });
  const ms = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  eld.disable();
  figures.push({
    entriesPerSec: entries / (ms / 1000),
    mainUsPerEntry: (elu.active * 1000) / entries,
    eldP50: eld.percentile(50) / 1e6,
    eldP99: eld.percentile(99) / 1e6,
    eldMax: eld.max / 1e6,
  });
  await cache.stop();
  rmSync(dir, { recursive: true, force: true });
}

const bench = new Bench({ iterations: runs, time: 0, warmup: false, throws: true });
bench.add(`write-behind ${entries} x ${valueSize} B (${args.store}, durable)`, oneRun);
await bench.run();

const median = (pick: (f: RunFigures) => number): number => {
  const sorted = figures.map(pick).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const summary = {
  node: process.version,
  store: args.store,
  entries,
  valueSize,
  runs: figures.length,
  'entries/s': Math.round(median((f) => f.entriesPerSec)),
  'main µs/entry': Number(median((f) => f.mainUsPerEntry).toFixed(2)),
  'eld p50 ms': Number(median((f) => f.eldP50).toFixed(2)),
  'eld p99 ms': Number(median((f) => f.eldP99).toFixed(2)),
  'eld max ms': Number(median((f) => f.eldMax).toFixed(2)),
};
if (args.json) console.log(JSON.stringify(summary, null, 2));
else console.table([summary]);
