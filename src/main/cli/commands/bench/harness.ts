/**
 * Runs the workload through larder and each peer, one after the other in this process, each
 * into its own empty directory: a small unmeasured warm-up run, then write (measured), close,
 * reopen (timed up to the first read of the last key), then read back a sample and check it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { larderPeer } from './larder-peer.js';
import { measure, type Measurement } from './meter.js';
import { PeerMissingError, isValueOf, type Peer } from './peer.js';
import { peers as knownPeers } from './peers.js';
import { makeWorkload, type Workload } from './workload.js';

export interface BenchOptions {
  entries: number;
  valueSize: number;
  store: 'log' | 'files';
  /** Names from `peers.ts`. */
  peers: readonly string[];
  /** Where larder's store is written and kept (for `larder verify`); a temporary directory otherwise. */
  larderDir: string | undefined;
  /** Called as each contender starts writing; returns its progress callback. */
  onStart(name: string, total: number): (done: number) => void;
  onDone(name: string): void;
}

export interface ContenderResult extends Measurement {
  name: string;
  guarantee: string;
  /** Open of the written store until the last key read back; null when nothing persists. */
  reopenMs: number | null;
  /** Entries read back after reopen and compared; null when nothing persists. */
  checked: number | null;
  /** Of those, missing or wrong. */
  bad: number | null;
}

export interface BenchResult {
  entries: number;
  valueSize: number;
  results: ContenderResult[];
  skipped: Array<{ name: string; reason: string }>;
}

const SAMPLE = 1000;
/**
 * Ten of larder's 1,000-entry batches: with 2,000 its per-batch code (batch builder, writer framing)
 * ran twice before the clock started and was compiled during the measured run (the durable bench
 * warms up with as many). Every contender gets the same.
 */
const WARM_UP = 10_000;

/** A full GC between contenders, so one's garbage is not collected on the next one's time. */
const collectGarbage: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // not available: contenders then share the collector's schedule
  }
  return () => {};
})();

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const w = makeWorkload(options.entries, options.valueSize);
  const root = mkdtempSync(join(tmpdir(), 'larder-bench-'));
  const result: BenchResult = { entries: options.entries, valueSize: options.valueSize, results: [], skipped: [] };
  // node-persist's write-queue timer is unref'd: with nothing else pending, the process would
  // exit with its setItem promises unsettled. The run keeps itself alive until it is done.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const contenders: Peer[] = [larderPeer(options.store), ...options.peers.map((name) => knownPeers.get(name) as Peer)];
    for (const [i, peer] of contenders.entries()) {
      const dir = i === 0 && options.larderDir !== undefined ? options.larderDir : join(root, String(i));
      mkdirSync(dir, { recursive: true });
      try {
        result.results.push(await runOne(peer, dir, w, options));
      } catch (error) {
        if (!(error instanceof PeerMissingError)) throw error;
        result.skipped.push({ name: peer.name, reason: error.message });
      } finally {
        options.onDone(peer.name);
        if (dir !== options.larderDir) rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    clearInterval(keepAlive);
    rmSync(root, { recursive: true, force: true });
  }
  return result;
}

/** An unmeasured small run first, so no contender's figures include its code's first, unoptimised pass. */
async function warmUp(peer: Peer, dir: string, w: Workload): Promise<void> {
  const warm = `${dir}-warm-up`;
  mkdirSync(warm, { recursive: true });
  try {
    const session = await peer.open(warm);
    try {
      await session.write(makeWorkload(Math.min(WARM_UP, w.entries), w.valueSize), () => {});
    } finally {
      await session.close();
    }
  } finally {
    rmSync(warm, { recursive: true, force: true });
  }
}

async function runOne(peer: Peer, dir: string, w: Workload, options: BenchOptions): Promise<ContenderResult> {
  await warmUp(peer, dir, w);
  collectGarbage();
  const session = await peer.open(dir);
  let measurement: Measurement;
  try {
    const progress = options.onStart(peer.name, w.entries);
    measurement = await measure(w.entries, () => session.write(w, progress));
  } finally {
    await session.close();
  }
  const base = { name: peer.name, guarantee: peer.guarantee, ...measurement };
  if (peer.reopen === undefined) return { ...base, reopenMs: null, checked: null, bad: null };
  const last = w.entries - 1;
  const t0 = performance.now();
  const reader = await peer.reopen(dir);
  let bad = 0;
  let checked = 0;
  try {
    const lastValue = await reader.get(w.key(last));
    const reopenMs = performance.now() - t0;
    checked++;
    if (!isValueOf(w, last, lastValue)) bad++;
    const step = Math.max(1, Math.floor(w.entries / SAMPLE));
    for (let i = 0; i < last; i += step) {
      checked++;
      if (!isValueOf(w, i, await reader.get(w.key(i)))) bad++;
    }
    return { ...base, reopenMs, checked, bad };
  } finally {
    await reader.close();
  }
}
