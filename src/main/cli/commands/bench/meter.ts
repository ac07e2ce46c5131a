/**
 * What one contender's write phase costs: wall time, main-thread active time (event-loop
 * utilisation) and how much of it that thread was on a CPU, the whole process's CPU time,
 * event-loop delay percentiles, garbage-collection pauses, and RSS sampled every 20 ms.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

export interface Measurement {
  ms: number;
  entriesPerSec: number;
  /** Event-loop active time divided by entries: what the caller's thread paid per entry. */
  mainUsPerEntry: number;
  /**
   * The caller's thread over the phase, by the scheduler's own accounting (Linux; undefined
   * elsewhere): time on a CPU, and time runnable but waiting for one. On a machine with fewer
   * cores than busy threads (a writer thread, the collector's helpers, the kernel's I/O) the
   * wait is other threads' work standing in front of this one, which the event-loop figure
   * counts as this thread's: compare contenders' `mainCpuUsPerEntry` for what each costs it.
   */
  mainCpuUsPerEntry: number | undefined;
  mainWaitUsPerEntry: number | undefined;
  /**
   * CPU time of the whole process (user + system, every thread: caller, writers, libuv's pool,
   * the collector's helpers, the kernel's work on its behalf) divided by entries. On a machine
   * with C cores, entries/s can never pass C × 1e6 ÷ this figure.
   */
  cpuUsPerEntry: number;
  eldP50Ms: number;
  eldP99Ms: number;
  eldMaxMs: number;
  /**
   * The longest garbage-collection pause of this thread during the phase, and all of them added
   * up: what of the event-loop delay the collector accounts for.
   */
  gcMaxMs: number;
  gcTotalMs: number;
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
  const pauses: PerformanceEntry[] = [];
  const gc = new PerformanceObserver((list) => pauses.push(...list.getEntries()));
  gc.observe({ entryTypes: ['gc'] });
  eld.enable();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const sched0 = schedstat();
  const t0 = performance.now();
  let t1 = t0;
  try {
    await body();
  } finally {
    t1 = performance.now();
    clearInterval(sampler);
    eld.disable();
    pauses.push(...gc.takeRecords());
    gc.disconnect();
  }
  const ms = t1 - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const sched1 = schedstat();
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const during = pauses.filter((p) => p.startTime >= t0 && p.startTime <= t1);
  return {
    ms,
    entriesPerSec: entries / (ms / 1000),
    mainUsPerEntry: (elu.active * 1000) / entries,
    mainCpuUsPerEntry: sched0 && sched1 ? (sched1.runNs - sched0.runNs) / 1000 / entries : undefined,
    mainWaitUsPerEntry: sched0 && sched1 ? (sched1.waitNs - sched0.waitNs) / 1000 / entries : undefined,
    cpuUsPerEntry: (cpu.user + cpu.system) / entries,
    eldP50Ms: eld.percentile(50) / 1e6,
    eldP99Ms: eld.percentile(99) / 1e6,
    eldMaxMs: eld.max / 1e6,
    gcMaxMs: during.reduce((max, p) => Math.max(max, p.duration), 0),
    gcTotalMs: during.reduce((sum, p) => sum + p.duration, 0),
    peakRssBytes: peakRss,
    startRssBytes: startRss,
  };
}

/**
 * This thread's time on a CPU and waiting in a run queue, in ns, from the scheduler's own
 * accounting (/proc/thread-self/schedstat: exact, where /proc's stat counts 10 ms ticks).
 */
function schedstat(): { runNs: number; waitNs: number } | undefined {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ');
    return { runNs: Number(run), waitNs: Number(wait) };
  } catch {
    return undefined; // not Linux, or a kernel without schedstats
  }
}
