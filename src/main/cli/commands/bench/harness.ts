/**
 * Runs the workload through larder and each peer, one after the other, each in a fresh process
 * of its own (contender-process.ts, with this process's Node flags) and into its own empty
 * directory. What each process does with its contender is run-contender.ts.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContenderJob, ContenderMessage } from './contender-process.js';
import type { ContenderResult } from './run-contender.js';

export type { ContenderResult } from './run-contender.js';

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

export interface BenchResult {
  entries: number;
  valueSize: number;
  results: ContenderResult[];
  skipped: Array<{ name: string; reason: string }>;
}

/** The `.ts` source under tsx when larder runs from source, the compiled `.js` otherwise (as worker-pool.ts does). */
const fromSource = import.meta.url.endsWith('.ts');
const contenderFile = new URL(`./contender-process.${fromSource ? 'ts' : 'js'}`, import.meta.url);

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'larder-bench-'));
  const result: BenchResult = { entries: options.entries, valueSize: options.valueSize, results: [], skipped: [] };
  try {
    for (const [i, contender] of ['larder', ...options.peers].entries()) {
      const dir = i === 0 && options.larderDir !== undefined ? options.larderDir : join(root, String(i));
      mkdirSync(dir, { recursive: true });
      const job: ContenderJob = { contender, store: options.store, dir, entries: options.entries, valueSize: options.valueSize };
      try {
        const outcome = await runInChild(job, options);
        if ('reason' in outcome) result.skipped.push(outcome);
        else result.results.push(outcome);
      } finally {
        if (dir !== options.larderDir) rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return result;
}

/** One contender in a child process: its result, or why it was skipped (its package is not installed). */
function runInChild(job: ContenderJob, options: BenchOptions): Promise<ContenderResult | { name: string; reason: string }> {
  return new Promise((resolve, reject) => {
    // Its stdout is not ours (ours may be --json): anything a peer prints goes to stderr.
    const child = fork(contenderFile, [JSON.stringify(job)], { execArgv: process.execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    child.stdout?.pipe(process.stderr);
    let name: string | undefined;
    let progress: ((done: number) => void) | undefined;
    let outcome: ContenderResult | { name: string; reason: string } | Error | undefined;
    child.on('message', (message: ContenderMessage) => {
      switch (message.kind) {
        case 'started':
          name = message.name;
          progress = options.onStart(name, job.entries);
          break;
        case 'progress':
          progress?.(message.done);
          break;
        case 'result':
          outcome = message.result;
          break;
        case 'skipped':
          outcome = { name: message.name, reason: message.reason };
          break;
        case 'failed':
          outcome = new Error(`larder bench: ${job.contender} failed: ${message.message}`);
          break;
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (name !== undefined) options.onDone(name);
      if (outcome instanceof Error) reject(outcome);
      else if (outcome !== undefined) resolve(outcome);
      else reject(new Error(`larder bench: the process running ${job.contender} exited (${signal ?? `code ${code}`}) without a result`));
    });
  });
}
