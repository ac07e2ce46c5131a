/**
 * Every ```ts block of docs/integrations.md is a program, run as it is written: `larder` and
 * `larder/adapters` point at the sources, the block is written to a file inside the repository
 * (so `keyv`, `cacheable`… resolve from its node_modules) and run with `node --import tsx` in an
 * empty directory of its own, also inside the repository (the `.cache/...` directories the
 * examples use land there, and larder's writer threads, started from the sources, resolve `tsx`
 * from the working directory). A block that throws, or does not end by itself, fails its test.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(join(repo, 'docs/integrations.md'), 'utf8');
const specifiers: Record<string, string> = {
  larder: join(repo, 'src/main/index.js'),
  'larder/adapters': join(repo, 'src/main/adapters/index.js'),
};
const BLOCK_TIMEOUT = 45_000;

interface Block {
  heading: string;
  line: number;
  code: string;
}

/** The ```ts blocks, each with the heading it is under and its first line number. */
function blocks(markdown: string): Block[] {
  const found: Block[] = [];
  const lines = markdown.split('\n');
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    if (line.trim() !== '```ts') continue;
    const start = i + 1;
    while (i + 1 < lines.length && (lines[i + 1] as string).trim() !== '```') i++;
    found.push({ heading, line: start + 1, code: lines.slice(start, i + 1).join('\n') });
    i++;
  }
  return found;
}

function localize(code: string): string {
  return code.replace(/from '(larder(?:\/adapters)?)'/g, (whole, name: string) => `from ${JSON.stringify(specifiers[name] ?? name)}`);
}

function run(file: string, cwd: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), BLOCK_TIMEOUT);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

const scratchRoot = join(repo, 'test/adapters/.tmp-docs');
mkdirSync(scratchRoot, { recursive: true });
const scratch = mkdtempSync(join(scratchRoot, 'run-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  try {
    rmdirSync(scratchRoot); // only when empty: another run may be using it
  } catch {}
});

describe('docs/integrations.md', () => {
  const found = blocks(doc);

  it('has a ts example for each library', () => {
    const code = found.map((b) => b.code).join('\n');
    for (const name of ["from 'keyv'", "from 'cache-manager'", "from 'cacheable'", "from 'bentocache'"]) expect(code).toContain(name);
  });

  for (const block of found) {
    it(`runs the example at line ${block.line} (${block.heading})`, { timeout: BLOCK_TIMEOUT + 5_000 }, async () => {
      const cwd = mkdtempSync(join(scratch, `line-${block.line}-`));
      const file = join(cwd, 'example.ts');
      writeFileSync(file, localize(block.code));
      const { code, signal, output } = await run(file, cwd);
      if (code !== 0) throw new Error(`the block ended with ${signal ?? `exit code ${code}`}:\n${output}`);
    });
  }
});
