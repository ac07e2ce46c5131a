/**
 * CPU time per thread of this process (Linux: /proc/self/task/<tid>/stat, in clock ticks of
 * 10 ms), to split a durable write's "cpu µs/entry" between the caller's thread, a writer
 * thread, V8's helper threads (the collector's parallel work, compilation) and libuv's pool (the
 * fsyncs). Threads are not named here, so each is reported by its share; the caller's thread is
 * the one whose id is the process id.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

type Times = Map<string, { user: number; system: number }>;

export function threadTimes(): Times {
  const times: Times = new Map();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return times; // not Linux
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(tid, { user: Number(fields[11]), system: Number(fields[12]) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return times;
}

/** "main u2.0 s0.2 | 2nd u1.8 s0.5 | …": µs per entry between two readings, busiest first. */
export function describeThreadCpu(before: Times, after: Times, entries: number): string {
  const us = (ticks: number): string => ((ticks * 1e6) / TICKS_PER_SECOND / entries).toFixed(1);
  const rows = [...after]
    .map(([tid, t]) => {
      const was = before.get(tid) ?? { user: 0, system: 0 };
      return { main: tid === String(process.pid), user: t.user - was.user, system: t.system - was.system };
    })
    .filter((r) => r.user + r.system > 0)
    .sort((a, b) => Number(b.main) - Number(a.main) || b.user + b.system - (a.user + a.system));
  return rows.map((r) => `${r.main ? 'main' : 'thread'} u${us(r.user)} s${us(r.system)}`).join(' | ');
}
