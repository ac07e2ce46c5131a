import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a few bucket calls in a child process with the given environment; resolves with its stderr. */
function runBucket(dir: string, env: NodeJS.ProcessEnv, logFullKeys: boolean): Promise<string> {
  const script = `
    import { Bucket } from './src/main/bucket/bucket.ts';
    const bucket = await Bucket.open(process.argv[1], { hours: 1 }, { logFullKeys: ${logFullKeys}, engine: { threads: 1 } });
    const key = { user: 'someone-with-a-rather-long-identifier', roles: ['reader', 'writer', 'admin'] };
    bucket.set(key, 1);
    bucket.get(key);
    bucket.memoize(function twice(x) { return x * 2; })(21);
    await bucket.close();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {
      cwd: root,
      env: { ...process.env, NODE_DEBUG: '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stderr) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

describe('logging through util.debuglog("larder")', () => {
  it('is silent by default and logs abbreviated keys with NODE_DEBUG=larder, full keys on request', async () => {
    const dir = tempDir();
    expect(await runBucket(dir, {}, false)).not.toMatch(/LARDER/);

    const short = await runBucket(dir, { NODE_DEBUG: 'larder' }, false);
    expect(short).toMatch(/LARDER \d+: bucket .*: open \(codec v8, key maker canonical-sha256, lifetime 3600000 ms\)/);
    expect(short).toMatch(/LARDER \d+: bucket .*: set \{"roles":\["reader","writer","admin"\],"user":"someone-with\.\.\. \([0-9a-f]{12}\)/);
    expect(short).toMatch(/get .*: hit/);
    expect(short).toMatch(/memoize twice: (miss|hit) /);
    expect(short).not.toMatch(/rather-long-identifier/);

    const full = await runBucket(dir, { NODE_DEBUG: 'larder' }, true);
    expect(full).toMatch(/set \{"roles":\["reader","writer","admin"\],"user":"someone-with-a-rather-long-identifier"\} \([0-9a-f]{64}\)/);
    expect(full).toMatch(/memoize twice: hit/); // the second run found the first run's entry
  });
});
