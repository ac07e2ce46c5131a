/**
 * A second cache in a process must not throw away the code V8 optimised for the first: its fresh
 * arrays must have the elements kind the first's arrays ended in (src/main/core/arrays.ts).
 * With `[]`, the second cache's first writes deoptimised WriteQueue's and LogIndex's callers
 * ("wrong map") and compiled them again (bench/second-cache.bench.ts). Nor may the first batch to
 * land: `Entry` fields it writes (and the write queue's, at its first `shift`) were, until then,
 * constants of the object's shape to V8, and the code of `set`, `#dirty`, `#enqueue` and the
 * constructor, compiled on that, was thrown away (src/main/engine/entry.ts).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('../fixtures/second-cache-child.ts', import.meta.url));

/** The file of each "wrong map" deopt after the marker: the innermost source position's (tsx's line numbers are not the source's). */
function wrongMapSites(trace: string): string[] {
  const after = trace.slice(trace.indexOf('=== second cache'));
  const sites: string[] = [];
  const lines = after.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\[bailout \(kind: deopt-\w+, reason: wrong map\)/.test(lines[i] as string)) continue;
    const at = lines.slice(i + 1, i + 8).find((l) => l.includes(';;; deoptimize at'));
    const file = /deoptimize at <[^>]*\/([\w-]+\.ts):/.exec(at ?? '');
    if (file !== null) sites.push(file[1] as string);
  }
  return sites;
}

/** The functions whose optimised code was thrown away because a shape it relied on changed. */
function dependencyDeopts(trace: string): string[] {
  return [...trace.matchAll(/marking dependent code .*?<SharedFunctionInfo ([^>]*)>\) .*reason: code dependencies/g)].map((m) => m[1] as string);
}

describe('the code V8 optimises for the engine stays optimised', () => {
  let trace = '';
  beforeAll(async () => {
    trace = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--trace-deopt-verbose', '--import', 'tsx', child], { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 }, (error, stdout) =>
        error === null ? resolve(stdout) : reject(error),
      );
    });
  }, 150_000);

  it('a second cache does not deoptimise the engine or the log index on the maps of its fresh arrays', () => {
    expect(trace).toContain('=== second cache');
    const sites = wrongMapSites(trace);
    expect(sites.filter((site) => site === 'write-queue.ts' || site === 'log-index.ts')).toEqual([]);
  });

  it('the first batch to land does not deoptimise set, #dirty, #enqueue or the Entry constructor (fields it writes were constants of the shape)', () => {
    expect(trace).toContain('marking dependent code'); // the trace reports these at all
    const engine = ['set', '#dirty', '#enqueue', '#checkCapacity', 'Entry', '<instance_members_initializer>'];
    expect(dependencyDeopts(trace).filter((name) => engine.includes(name))).toEqual([]);
  });
});
