/** The bench's table (text or markdown), its notes, and the machine it ran on. */
import { cpus, loadavg } from 'node:os';
import { fmtBytes, fmtInt, markdownTable, textTable } from '../../format.js';
import type { BenchResult } from './harness.js';

export interface Machine {
  node: string;
  platform: string;
  cpus: string;
  /** 1-minute load average when the run ended: other work on the machine skews absolute figures. */
  loadavg: number;
}

export function machine(): Machine {
  const list = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: `${list.length} × ${list[0]?.model.trim() ?? 'unknown'}`,
    loadavg: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

const HEADER = ['contender', 'entries/s', 'vs larder', 'main µs/entry', 'main on-cpu µs', 'cpu µs/entry', 'eld p50 ms', 'eld p99 ms', 'eld max ms', 'peak RSS (+ in run)', 'reopen ms', 'read back'];

function rows(r: BenchResult): string[][] {
  const larder = r.results[0]?.entriesPerSec ?? Number.NaN;
  return r.results.map((c) => [
    c.name,
    fmtInt(c.entriesPerSec),
    `${(c.entriesPerSec / larder).toFixed(2)}×`,
    c.mainUsPerEntry.toFixed(2),
    c.mainCpuUsPerEntry === undefined ? 'n/a' : c.mainCpuUsPerEntry.toFixed(2),
    c.cpuUsPerEntry.toFixed(2),
    c.eldP50Ms.toFixed(2),
    c.eldP99Ms.toFixed(2),
    c.eldMaxMs.toFixed(1),
    `${fmtBytes(c.peakRssBytes)} (+${fmtBytes(Math.max(0, c.peakRssBytes - c.startRssBytes))})`,
    c.reopenMs === null ? 'n/a' : c.reopenMs.toFixed(1),
    c.checked === null ? 'n/a' : c.bad === 0 ? `${c.checked} ok` : `${c.bad}/${c.checked} BAD`,
  ]);
}

function notes(r: BenchResult): string[] {
  return [
    'Each contender ran in a fresh process of its own, with the same Node flags: peak RSS is that process\'s; the (+) part is what its measured write added.',
    ...r.results.map((c) => `${c.name}: ${c.guarantee}.`),
    ...r.skipped.map((s) => `${s.name}: skipped, ${s.reason}.`),
  ];
}

export function renderText(r: BenchResult, m: Machine): string {
  return [
    `${fmtInt(r.entries)} entries of ~${fmtInt(r.valueSize)} B values; node ${m.node}, ${m.platform}, ${m.cpus}, load ${m.loadavg}`,
    '',
    textTable(HEADER, rows(r)),
    '',
    'What each contender guarantees when its write phase ends:',
    ...notes(r).map((n) => `  ${n}`),
  ].join('\n');
}

export function renderMarkdown(r: BenchResult, m: Machine): string {
  return [
    `${fmtInt(r.entries)} entries of ~${fmtInt(r.valueSize)} B values; Node ${m.node}, ${m.platform}, ${m.cpus}, load average ${m.loadavg} at the end.`,
    '',
    markdownTable(HEADER, rows(r)),
    '',
    ...notes(r).map((n) => `- ${n}`),
  ].join('\n');
}

export function renderJson(r: BenchResult, m: Machine, argv: readonly string[]): string {
  return JSON.stringify({ command: argv.join(' '), machine: m, ...r }, null, 2);
}
