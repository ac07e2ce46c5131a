/**
 * What one contender's write phase costs: wall time, main-thread active time (event-loop
 * utilisation), event-loop delay percentiles, and RSS sampled every 20 ms.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface Measurement {
  ms: number;
  entriesPerSec: number;
  /** Event-loop active time divided by entries: what the caller's thread paid per entry. */
  mainUsPerEntry: number;
  eldP50Ms: number;
  eldP99Ms: number;
  eldMaxMs: number;
  peakRssBytes: number;
  /** RSS when the write phase started: the peak minus this is what the phase added. */
  startRssBytes: number;
}

export async function measure(entries: number, body: () => Promise<void>): Promise<Measurement> {
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  eld.enable();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  try {
    await body();
  } finally {
    clearInterval(sampler);
    eld.disable();
  }
  const ms = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return {
    ms,
    entriesPerSec: entries / (ms / 1000),
    mainUsPerEntry: (elu.active * 1000) / entries,
    eldP50Ms: eld.percentile(50) / 1e6,
    eldP99Ms: eld.percentile(99) / 1e6,
    eldMaxMs: eld.max / 1e6,
    peakRssBytes: peakRss,
    startRssBytes: startRss,
  };
}
