import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildStore, larder } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

describe.each(['log', 'files'] as const)('larder inspect/get/keys on a %s store', (kind) => {
  it('inspect reports kind, format, keys, expired, sizes and the oldest/newest entry', async () => {
    const dir = tempDir();
    await buildStore(dir, kind);
    const text = await larder('inspect', dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^store\\s+${kind}\\s`, 'm'));
    expect(text.stdout).toMatch(/^format\s+record v1 \(this build writes v1\)/m);
    expect(text.stdout).toMatch(/^keys\s+21 live, 2 expired/m);

    const json = await larder('inspect', dir, '--json');
    expect(json.code).toBe(0);
    const i = JSON.parse(json.stdout) as Record<string, unknown> & { oldest: { key: string; createdAt: number }; newest: { key: string; createdAt: number } };
    expect(i).toMatchObject({ kind, formatVersion: 1, keys: 21, expired: 2, lockPid: null });
    expect(i.liveBytes).toBeGreaterThan(0);
    if (kind === 'log') {
      expect(i.segments).toBeGreaterThanOrEqual(1);
      // user:1 was overwritten and "gone" deleted: their old records are dead.
      expect(i.deadBytes).toBeGreaterThan(0);
    } else {
      expect(i.deadBytes).toBe(0);
    }
    // The rewrite of user:1 is the newest write that is still live.
    expect(i.newest.key).toBe('user:1');
    expect(i.oldest.createdAt).toBeLessThanOrEqual(i.newest.createdAt);
  });

  it('get prints a value, --json adds its metadata, a missing key exits 1', async () => {
    const dir = tempDir();
    await buildStore(dir, kind);
    const text = await larder('get', dir, 'greeting');
    expect(text).toMatchObject({ code: 0, stdout: 'hello\nworld\n' });

    const json = await larder('get', dir, 'user:1', '--json');
    expect(json.code).toBe(0);
    const found = JSON.parse(json.stdout) as { key: string; value: unknown; expiresAt: number; size: number };
    expect(found).toMatchObject({ key: 'user:1', value: { id: 1, name: 'renamed' }, expiresAt: 0 });
    expect(found.size).toBeGreaterThan(0);

    for (const key of ['gone', 'short:1', 'never-set']) {
      const miss = await larder('get', dir, key);
      expect(miss.code).toBe(1);
      expect(miss.stdout).toBe('');
      expect(miss.stderr).toMatch(new RegExp(`^larder: no value for key "${key}"`));
    }
  });

  it('keys lists live keys, with --prefix', async () => {
    const dir = tempDir();
    await buildStore(dir, kind);
    const all = await larder('keys', dir);
    expect(all.code).toBe(0);
    const keys = all.stdout.trimEnd().split('\n').sort();
    expect(keys).toHaveLength(21);
    expect(keys).toContain('greeting');
    expect(keys).not.toContain('gone');
    expect(keys).not.toContain('short:1');

    const some = await larder('keys', dir, '--prefix', 'user:1');
    expect(some.stdout.trimEnd().split('\n').sort()).toEqual(['user:1', ...Array.from({ length: 10 }, (_, i) => `user:1${i}`)].sort());
  });
});

describe('larder errors', () => {
  it('a missing directory, a foreign one, an empty one and a plain file: exit 2, one line', async () => {
    const root = tempDir();
    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'not a store');
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const cases: Array<[string, RegExp]> = [
      [join(root, 'nope'), /no such directory: .*nope \(ERR_STORE_MISSING\)/],
      [foreign, /.*foreign is not a larder store \(holds notes\.txt\) \(ERR_STORE_FOREIGN\)/],
      [empty, /.*empty is empty: no larder store here \(ERR_STORE_FOREIGN\)/],
      [join(foreign, 'notes.txt'), /.*notes.txt is a file, not a larder store directory \(ERR_STORE_FOREIGN\)/],
    ];
    for (const [dir, message] of cases) {
      for (const command of ['inspect', 'keys', 'verify', 'compact']) {
        const r = await larder(command, dir);
        expect(r.code, `${command} ${dir}`).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(new RegExp(`^larder: ${message.source}\\n$`));
      }
    }
    // Nothing was created in the directories the CLI refused.
    expect((await larder('inspect', empty)).code).toBe(2);
  });

  it('a missing key argument, an unknown command or option: exit 2 with a one-line usage error', async () => {
    const dir = tempDir();
    for (const args of [['get', dir], ['frobnicate'], ['keys', dir, '--bogus'], ['bench', '--entries', '0'], ['bench', '--store', 'redis']]) {
      const r = await larder(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^larder: .*\(see larder --help\)\n$/);
    }
  });

  it('--help documents every command', async () => {
    const top = await larder('--help');
    expect(top.code).toBe(0);
    for (const command of ['inspect', 'get', 'keys', 'verify', 'compact', 'prune', 'bench']) expect(top.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    const verify = await larder('verify', '--help');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/--repair/);
  });
});
