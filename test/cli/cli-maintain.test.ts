import { appendFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashKey, shardedPath } from '../../src/shared/key-hash.js';
import { buildStore, larder } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

function segments(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
}

/** Flips a byte inside the value of `key`'s latest record in a log segment. */
function damageLogRecord(dir: string, key: string): void {
  for (const name of segments(dir)) {
    const path = join(dir, name);
    const buf = readFileSync(path);
    const at = buf.lastIndexOf(Buffer.from(key));
    if (at < 0) continue;
    const i = at + Buffer.byteLength(key) + 2; // within the value bytes
    buf[i] = (buf[i] as number) ^ 0xff;
    writeFileSync(path, buf);
    return;
  }
  throw new Error(`${key} not found in any segment`);
}

async function inspectJson(dir: string): Promise<{ keys: number; expired: number; deadBytes: number }> {
  const r = await larder('inspect', dir, '--json');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { keys: number; expired: number; deadBytes: number };
}

describe('larder verify', () => {
  it('a log store: damage is listed (exit 1, nothing changed), --repair cuts and compacts it away', async () => {
    const dir = tempDir();
    await buildStore(dir, 'log');
    expect(await larder('verify', dir)).toMatchObject({ code: 0, stdout: expect.stringMatching(/ok: every record intact\n$/) });

    damageLogRecord(dir, 'user:5');
    const last = segments(dir).at(-1) as string;
    appendFileSync(join(dir, last), Buffer.from('half a record'));
    const sizeBefore = statSync(join(dir, last)).size;

    const found = await larder('verify', dir);
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(/^bad: .*\.log @ \d+: .*checksum/m);
    expect(found.stdout).toMatch(/^bad: .*\.log @ \d+: torn tail of 13 bytes/m);
    expect(found.stdout).toMatch(/FAILED: 2 problem\(s\)\n$/);
    expect(statSync(join(dir, last)).size).toBe(sizeBefore); // verify alone changes nothing

    const repaired = await larder('verify', dir, '--repair');
    expect(repaired.stdout).toMatch(/^repair: reopened for writing: torn tails cut$/m);
    expect(repaired.stdout).toMatch(/^repair: compacted \d+ segment\(s\)/m);
    expect(repaired.stdout).toMatch(/ok: repaired\n$/);
    expect(repaired.code).toBe(0);

    expect((await larder('verify', dir)).code).toBe(0);
    expect((await larder('get', dir, 'user:5')).code).toBe(1); // its only record was the damaged one
    expect(await larder('get', dir, 'user:6', '--json')).toMatchObject({ code: 0, stdout: expect.stringContaining('"name":"user 6"') });
  });

  it('a files store: a damaged file is listed, --repair removes it', async () => {
    const dir = tempDir();
    await buildStore(dir, 'files');
    const { file } = shardedPath(dir, hashKey('user:5'));
    const buf = readFileSync(file);
    buf[buf.length - 1] = (buf[buf.length - 1] as number) ^ 0xff;
    writeFileSync(file, buf);

    const found = await larder('verify', dir);
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(/^bad: [0-9a-f]{2}\/[0-9a-f]+\.rec: .*checksum/m);

    const repaired = await larder('verify', dir, '--repair');
    expect(repaired).toMatchObject({ code: 0, stdout: expect.stringMatching(/^repair: removed [0-9a-f]{2}\/[0-9a-f]+\.rec$/m) });
    expect(() => statSync(file)).toThrow();
    expect((await larder('verify', dir)).code).toBe(0);
  });
});

describe.each(['log', 'files'] as const)('larder prune and compact on a %s store', (kind) => {
  it('prune deletes the expired entries; compact frees dead records', async () => {
    const dir = tempDir();
    await buildStore(dir, kind);
    expect((await inspectJson(dir)).expired).toBe(2);

    const pruned = await larder('prune', dir);
    expect(pruned).toMatchObject({ code: 0, stdout: expect.stringMatching(/^pruned 2 expired entries \(/) });
    expect(await inspectJson(dir)).toMatchObject({ keys: 21, expired: 0 });

    const compacted = await larder('compact', dir);
    expect(compacted.code).toBe(0);
    if (kind === 'log') {
      expect(compacted.stdout).toMatch(/^compacted \d+ segment\(s\): .* -> .*, 21 records kept/);
      expect((await inspectJson(dir)).deadBytes).toBe(0);
    } else {
      expect(compacted.stdout).toMatch(/^the files store has nothing to compact/);
    }
    expect(await larder('get', dir, 'user:1', '--json')).toMatchObject({ code: 0, stdout: expect.stringContaining('"renamed"') });
  });
});

describe('a locked log store', () => {
  it('compact, prune and verify --repair exit 2 with ERR_STORE_LOCKED; reads still work', async () => {
    const dir = tempDir();
    await buildStore(dir, 'log');
    // This test process is alive, and is not the CLI's process: the lock is held.
    writeFileSync(join(dir, 'LOCK'), `${process.pid}\n`);
    for (const args of [['compact', dir], ['prune', dir], ['verify', dir, '--repair']]) {
      damageLogRecord(dir, 'user:9'); // so that verify --repair has something to repair
      const r = await larder(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(`larder: store ${dir} is locked by live process ${process.pid} (ERR_STORE_LOCKED)\n`);
      damageLogRecord(dir, 'user:9'); // flipped back
    }
    const inspected = await larder('inspect', dir);
    expect(inspected).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^lock\\s+LOCK names pid ${process.pid}$`, 'm')) });
    expect((await larder('get', dir, 'greeting')).stdout).toBe('hello\nworld\n');
  });
});
