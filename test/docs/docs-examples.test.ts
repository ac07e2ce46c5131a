/**
 * Every ```ts and ```js block of README.md, docs/**.md and bench/README.md is a program, run as
 * it is written, so a pasted example never fails. (docs/integrations.md is run by
 * test/adapters/integrations-docs.test.ts, and only there.)
 *
 * Each block is written to a file of its own in a fresh directory under test/docs/.tmp/ and run
 * there with node and tsx: inside the repository, because `tsx`, `keyv`… resolve from its
 * node_modules (the engine's writer threads, started from the sources, resolve `tsx` from the
 * working directory too), and in a directory of its own, so the `.larder` directories an example
 * makes land there and no two examples share one. `larder` and `larder/adapters` are pointed at
 * the sources. A block fails when it throws, exits non-zero, does not exit by itself within 60 s,
 * or writes anything containing "Error" to stderr.
 *
 * tsx is preloaded by a module that calls its `register()` rather than by `--import tsx`: Node 20
 * hands the `--import` on to worker threads, but tsx's own entry registers nothing in a worker,
 * so an example that starts a worker on its own `.ts` file (docs/worker-threads.md) could not load it.
 *
 * A fragment or a type sketch is tagged ```ts no-run in the markdown: it is listed as skipped,
 * never silently ignored. Blocks that talk to Redis use REDIS_URL (default
 * redis://127.0.0.1:6379); without a reachable server they are skipped, except in CI, where
 * that is a failure.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const BLOCK_TIMEOUT = 60_000;
/** Run by its own test; running it here too would only double the time. */
const OWNED_ELSEWHERE = new Set(['docs/integrations.md']);
const LANGUAGES = new Set(['ts', 'js']);
const FLAGS = new Set(['no-run']);
const specifiers: Record<string, string> = {
  larder: pathToFileURL(join(repo, 'src/main/index.ts')).href,
  'larder/adapters': pathToFileURL(join(repo, 'src/main/adapters/index.ts')).href,
};

interface Block {
  /** Markdown file, relative to the repository. */
  file: string;
  /** Line of the opening fence, from 1. */
  line: number;
  language: string;
  run: boolean;
  code: string;
}

function markdownFiles(): string[] {
  const files = ['README.md'];
  if (existsSync(join(repo, 'bench/README.md'))) files.push('bench/README.md');
  const docs = readdirSync(join(repo, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name.split('\\').join('/')}`)
    .sort();
  return [...files, ...docs].filter((file) => !OWNED_ELSEWHERE.has(file));
}

/**
 * The fenced blocks of one file. Every fence is tracked, whatever its language, so that a fence
 * shown inside another block is never taken for a block of its own.
 */
function blocksOf(file: string, text = readFileSync(join(repo, file), 'utf8')): Block[] {
  const lines = text.split('\n');
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*(.*)$/.exec(lines[i] as string);
    if (open === null) continue;
    const fence = open[1] as string;
    const [language = '', ...flags] = (open[2] as string).trim().split(/\s+/).filter(Boolean);
    const start = i;
    i++;
    while (i < lines.length && !(lines[i] as string).startsWith(fence)) i++;
    if (!LANGUAGES.has(language)) continue;
    const unknown = flags.filter((flag) => !FLAGS.has(flag));
    if (unknown.length > 0) throw new Error(`${file}:${start + 1}: unknown fence tag ${unknown.join(' ')} (known: ${[...FLAGS].join(', ')})`);
    found.push({ file, line: start + 1, language, run: !flags.includes('no-run'), code: lines.slice(start + 1, i).join('\n') });
  }
  return found;
}

/** Points `larder` and `larder/adapters` at the sources, in static and dynamic imports alike. */
function localize(code: string): string {
  return code.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(larder(?:\/adapters)?)\2/g, (_whole, lead: string, _quote: string, name: string) => {
    return `${lead}${JSON.stringify(specifiers[name])}`;
  });
}

function needsRedis(code: string): boolean {
  return /\bRedisStore\b|\bREDIS_URL\b/.test(code);
}

/** Whether a Redis server answers PING at REDIS_URL within a second. */
function redisReachable(): Promise<boolean> {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  return new Promise((resolve) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    // An AUTH-protected server answers -NOAUTH: it is there, and the example's URL carries the password.
    socket.on('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

function run(file: string, cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, file], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, BLOCK_TIMEOUT);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}

function failure(block: Block, outcome: Outcome): string | undefined {
  let why: string | undefined;
  if (outcome.timedOut) why = `did not exit by itself within ${BLOCK_TIMEOUT / 1000} s (something it opened was not stopped or closed)`;
  else if (outcome.code !== 0) why = `ended with ${outcome.signal ?? `exit code ${outcome.code}`}`;
  else if (outcome.stderr.includes('Error')) why = 'wrote an error to stderr';
  if (why === undefined) return undefined;
  return `${block.file}:${block.line}: the example ${why}\n--- stderr ---\n${outcome.stderr}--- stdout ---\n${outcome.stdout}`;
}

const blocks = markdownFiles().flatMap((file) => blocksOf(file));
const runnable = blocks.filter((b) => b.run);
const noRun = blocks.filter((b) => !b.run);
const redisUp = runnable.some((b) => needsRedis(b.code)) ? await redisReachable() : true;
const redisRequired = ((process.env.CI ?? '') !== '' && process.env.CI !== 'false') || process.env.REQUIRE_REDIS === '1';

const scratchRoot = join(repo, 'test/docs/.tmp');
mkdirSync(scratchRoot, { recursive: true });
const scratch = mkdtempSync(join(scratchRoot, 'run-'));
const preload = join(scratch, 'register-tsx.mjs');
writeFileSync(preload, "import { register } from 'tsx/esm/api';\nregister();\n");
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  try {
    rmdirSync(scratchRoot); // only when empty: another run may be using it
  } catch {}
});

describe('finding the examples', () => {
  it('runs ts and js blocks, skips no-run ones, and ignores other fences and what they contain', () => {
    const text = ['```ts', 'a()', '```', '```ts no-run', 'b()', '```', '````md', '```ts', 'c()', '```', '````', '```sh', 'd', '```', '```js', 'e()', '```'].join('\n');
    expect(blocksOf('x.md', text).map(({ line, language, run, code }) => ({ line, language, run, code }))).toEqual([
      { line: 1, language: 'ts', run: true, code: 'a()' },
      { line: 4, language: 'ts', run: false, code: 'b()' },
      { line: 15, language: 'js', run: true, code: 'e()' },
    ]);
  });

  it('refuses a tag it does not know, so a misspelt no-run is not run by surprise', () => {
    expect(() => blocksOf('x.md', '```ts norun\nx()\n```')).toThrow('x.md:1: unknown fence tag norun');
  });

  it('points larder and larder/adapters at the sources, and nothing else', () => {
    const code = localize("import { Cacher } from 'larder';\nimport { KeyvLarder } from \"larder/adapters\";\nawait import('larder');\nimport 'larder-extra';");
    expect(code).toContain(`from ${JSON.stringify(specifiers.larder)}`);
    expect(code).toContain(`from ${JSON.stringify(specifiers['larder/adapters'])}`);
    expect(code).toContain(`import(${JSON.stringify(specifiers.larder)})`);
    expect(code).toContain("import 'larder-extra'");
  });
});

describe('code examples in the markdown', () => {
  it(`${runnable.length} blocks run, ${noRun.length} are tagged no-run`, () => {
    const where = (list: Block[]) => list.map((b) => `  ${b.file}:${b.line}`).join('\n');
    console.log(`docs examples: ${runnable.length} run, ${noRun.length} no-run:\n${where(noRun)}`);
    expect(runnable.length).toBeGreaterThan(0);
    // The README's quick start, its first block, is the example most often pasted: it must run.
    expect(blocks.find((b) => b.file === 'README.md')?.run).toBe(true);
  });

  for (const block of noRun) it.skip(`${block.file}:${block.line} (no-run)`, () => {});

  for (const block of runnable) {
    const name = `${block.file}:${block.line}`;
    if (needsRedis(block.code) && !redisUp && !redisRequired) {
      it.skip(`${name} (needs Redis at ${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'}, unreachable)`, () => {});
      continue;
    }
    it(name, { timeout: BLOCK_TIMEOUT + 10_000 }, async () => {
      if (needsRedis(block.code) && !redisUp) throw new Error(`${name}: Redis is unreachable and CI requires it (set REDIS_URL or start redis-server)`);
      const slug = block.file.replace(/[^a-zA-Z0-9]+/g, '-');
      const cwd = mkdtempSync(join(scratch, `${slug}-${block.line}-`));
      const file = join(cwd, `example.${block.language}`);
      writeFileSync(file, localize(block.code));
      const outcome = await run(file, cwd);
      const failed = failure(block, outcome);
      if (failed !== undefined) throw new Error(failed);
    });
  }
});
