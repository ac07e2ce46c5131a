/**
 * One contender's turn, in the process that measures it (contender-process.ts): a small
 * unmeasured warm-up run, a full GC, the measured write, close, then reopen (timed up to the
 * first read of the last key) and read back a sample and check it.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { measure, type Measurement } from './meter.js';
import { isValueOf, type Peer } from './peer.js';
import { makeWorkload, type Workload } from './workload.js';

export interface ContenderResult extends Measurement {
  name: string;
  guarantee: string;
  /** Open of the written store until the last key read back; null when nothing persists. */
  reopenMs: number | null;
  /** Entries read back after reopen and compared; null when nothing persists. */
  checked: number | null;
  /** Of those, missing or wrong. */
  bad: number | null;
  /** The process it ran in (one of its own: contender-process.ts). */
  pid: number;
}

const SAMPLE = 1000;
/**
 * Ten of larder's 1,000-entry batches: with 2,000 its per-batch code (batch builder, writer framing)
 * ran twice before the clock started and was compiled during the measured run (the durable bench
 * warms up with as many). Every contender gets the same.
 */
const WARM_UP = 10_000;

/** A full GC after the warm-up, so its garbage is not collected on the measured run's time. */
const collectGarbage: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return gc as () => void;
  } catch {
    // not available: the measured run then shares the collector's schedule with the warm-up
  }
  return () => {};
})();

/** `started` is called when the measured write begins; `progress` as it goes. */
export async function runContender(peer: Peer, dir: string, w: Workload, started: () => void, progress: (done: number) => void): Promise<ContenderResult> {
  await warmUp(peer, dir, w);
  collectGarbage();
  const session = await peer.open(dir);
  let measurement: Measurement;
  try {
    started();
    measurement = await measure(w.entries, () => session.write(w, progress));
  } finally {
    await session.close();
  }
  const base = { name: peer.name, guarantee: peer.guarantee, pid: process.pid, ...measurement };
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
