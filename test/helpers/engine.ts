import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cacher, type CacherOptions, type LarderError } from '../../src/main/index.js';
import { afterEachTestBeforeTempDirsRemoved } from './temp-dir.js';

const open: Cacher[] = [];

async function stopOpenCachers(): Promise<void> {
  for (const c of open.splice(0)) {
    c.resume();
    await c.stop({ timeout: 10_000 }).catch(() => c.discard());
    await c.stop({ timeout: 10_000 }).catch(() => {});
  }
}

// Stopped after each test by the temp-dir helper's hook, before any temporary directory is
// removed (that hook is registered by importing it, so it runs in every file that imports this one).
afterEachTestBeforeTempDirsRemoved(stopOpenCachers);

/** An open cacher that is stopped after the current test, with its errors collected. */
export async function openCacher(options: CacherOptions): Promise<{ cache: Cacher; errors: LarderError[] }> {
  const cache = new Cacher(options);
  const errors: LarderError[] = [];
  cache.on('error', (e: LarderError) => errors.push(e));
  await cache.start();
  open.push(cache);
  return { cache, errors };
}

/** Resolves with the next 'error' event of a cacher. */
export function nextError(cache: Cacher): Promise<LarderError> {
  return new Promise((resolve) => cache.once('error', resolve));
}

/** A clock the test moves by hand; timers are real. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    timers: {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export interface ChildRun {
  /** Lines the child printed so far. */
  lines: string[];
  /** Resolves with the first line matching, or rejects if the child exits first. */
  waitFor(pattern: RegExp): Promise<string>;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript fixture in a separate Node process (tsx), line by line. */
export function runChild(script: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture(script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const watchers: Array<{ pattern: RegExp; resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of watchers.splice(0)) {
        if (w.pattern.test(line)) w.resolve(line);
        else watchers.push(w);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const w of watchers.splice(0)) w.reject(new Error(`child exited (${code ?? signal}) before printing ${w.pattern}; stderr: ${stderr}`));
      resolve({ code, signal });
    });
  });
  return {
    lines,
    waitFor(pattern) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => watchers.push({ pattern, resolve, reject }));
    },
    kill: (signal) => child.kill(signal),
    exited,
  };
}
