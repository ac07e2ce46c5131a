/**
 * `npm start`: the main job on the embedded default store. Writes N entries through the
 * engine with a progress bar, waits for them to be durable, reopens the store, reads every
 * entry back and checks it, and prints throughput and event-loop delay.
 *
 *   node dist/main/demo.js [entries] [dir]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { Cacher } from './cacher.js';

const entries = Number(process.argv[2] ?? 20_000);
if (!Number.isInteger(entries) || entries < 1) {
  console.error(`usage: demo [entries] [dir] — entries must be a positive integer, received ${process.argv[2]}`);
  process.exit(2);
}
const dir = process.argv[3] ?? mkdtempSync(join(tmpdir(), 'larder-demo-'));
const value = (i: number) => ({ i, text: `entry ${i} `.padEnd(1000, '.') });

const cache = new Cacher({ dir });
cache.on('error', (e: Error) => console.error(`error: ${e.message}`));
await cache.start();
console.log(`larder demo: ${entries} entries of ~1 KB into the ${cache.store.kind} store at ${dir} (durability ${cache.options.durability})`);

const bar = new cliProgress.SingleBar({ format: 'writing  [{bar}] {percentage}% | {value}/{total}', stream: process.stderr }, cliProgress.Presets.shades_classic);
const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();
const t0 = performance.now();
bar.start(entries, 0);
for (let i = 0; i < entries; i++) {
  if (!cache.set(`demo:${i}`, value(i))) await cache.drained();
  if ((i & 1023) === 1023) {
    bar.update(i + 1);
    await new Promise((r) => setImmediate(r));
  }
}
bar.update(entries);
bar.stop();
const queuedMs = performance.now() - t0;
await cache.sync({ timeout: 600_000 });
const durableMs = performance.now() - t0;
eld.disable();
const stats = cache.stats;
await cache.stop();

const t1 = performance.now();
const reopened = await Cacher.open({ dir });
const reopenMs = performance.now() - t1;
let bad = 0;
const t2 = performance.now();
for (let i = 0; i < entries; i++) {
  const got = reopened.get(`demo:${i}`) as { i: number; text: string } | undefined;
  if (got === undefined || got.i !== i || got.text !== value(i).text) bad++;
}
const readMs = performance.now() - t2;
await reopened.stop();
if (process.argv[3] === undefined) rmSync(dir, { recursive: true, force: true });

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`accepted   ${fmt(entries)} sets in ${queuedMs.toFixed(0)} ms`);
console.log(`durable    ${fmt(entries / (durableMs / 1000))} entries/s (${stats.batches} batches, ${fmt(stats.bytes)} bytes, ${stats.errors} errors)`);
console.log(`event loop delay p50 ${(eld.percentile(50) / 1e6).toFixed(2)} ms, p99 ${(eld.percentile(99) / 1e6).toFixed(2)} ms, max ${(eld.max / 1e6).toFixed(2)} ms`);
console.log(`reopened   in ${reopenMs.toFixed(1)} ms; read back ${fmt(entries)} entries in ${readMs.toFixed(0)} ms (${fmt(entries / (readMs / 1000))}/s)`);
console.log(bad === 0 ? `verified   all ${fmt(entries)} entries intact` : `FAILED     ${bad} entries missing or wrong`);
process.exit(bad === 0 ? 0 : 1);
