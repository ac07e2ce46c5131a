import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PeerMissingError, importPeer } from '../../src/main/cli/commands/bench/peer.js';
import { larder } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Row {
  name: string;
  entriesPerSec: number;
  mainUsPerEntry: number;
  mainCpuUsPerEntry: number | null;
  mainWaitUsPerEntry: number | null;
  eldP99Ms: number;
  peakRssBytes: number;
  reopenMs: number | null;
  checked: number | null;
  bad: number | null;
  guarantee: string;
  pid: number;
}

describe('larder bench', () => {
  it('runs larder and the chosen peers in one run, keeps larder store for verify, prints JSON', async () => {
    const root = tempDir();
    const dir = join(root, 'kept.larder');
    const r = await larder('bench', '--entries', '200', '--value-size', '64', '--peers', 'lmdb,lru-cache', '--dir', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { entries: number; machine: { node: string }; results: Row[]; skipped: unknown[] };
    expect(out.entries).toBe(200);
    expect(out.machine.node).toBe(process.version);
    expect(out.results.map((c) => c.name)).toEqual(['larder (log)', 'lmdb-js', 'lru-cache (memory only)']);
    for (const c of out.results) {
      expect(c.entriesPerSec).toBeGreaterThan(0);
      expect(c.mainUsPerEntry).toBeGreaterThan(0);
      // The active time's split, from the scheduler's accounting of the caller's thread (Linux).
      if (process.platform === 'linux') {
        expect(c.mainCpuUsPerEntry).toBeGreaterThan(0);
        expect(c.mainWaitUsPerEntry).toBeGreaterThanOrEqual(0);
      } else expect(c.mainCpuUsPerEntry).toBeUndefined();
      expect(c.peakRssBytes).toBeGreaterThan(0);
      expect(c.guarantee).not.toBe('');
    }
    // Each in a fresh process of its own: none inherits another's heap, compiled code or RSS.
    expect(new Set(out.results.map((c) => c.pid)).size).toBe(3);
    const [larderRow, lmdbRow, lruRow] = out.results as [Row, Row, Row];
    // Both persistent contenders read every sampled entry back after reopening.
    for (const c of [larderRow, lmdbRow]) expect(c).toMatchObject({ checked: 200, bad: 0, reopenMs: expect.any(Number) });
    expect(lruRow).toMatchObject({ reopenMs: null, checked: null });
    expect(out.skipped).toEqual([]);

    // The store larder wrote is kept, and is whole.
    expect(readdirSync(dir).some((n) => n.endsWith('.log'))).toBe(true);
    const verified = await larder('verify', dir);
    expect(verified).toMatchObject({ code: 0, stdout: expect.stringMatching(/200 records/) });
    const keys = await larder('keys', dir, '--prefix', 'bench:19');
    expect(keys.stdout.trimEnd().split('\n').sort()).toEqual(['bench:19', ...Array.from({ length: 10 }, (_, i) => `bench:19${i}`)].sort());

    // A second run into the same --dir needs --replace.
    const again = await larder('bench', '--entries', '200', '--peers', 'none', '--dir', dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a larder store; pass --replace/);
    const replaced = await larder('bench', '--entries', '100', '--peers', 'none', '--store', 'files', '--dir', dir, '--replace');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/^larder \(files\)\s+[\d,]+\s+1\.00×/m);
    expect((await larder('inspect', dir, '--json')).stdout).toMatch(/"kind": "files"/);
  });

  it('keeps a contender whose only timer is unref\'d alive until its result is in (node-persist)', async () => {
    // With 2,000 entries node-persist's queue drains on its unref'd timer alone: its process
    // ended (exit code 13, a top-level await unsettled) before sending a result, every time.
    const r = await larder('bench', '--entries', '2000', '--value-size', '64', '--peers', 'node-persist', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { results: Row[] };
    expect(out.results.map((c) => [c.name, c.checked, c.bad])).toEqual([
      ['larder (log)', 1001, 0],
      ['node-persist', 1001, 0],
    ]);
  }, 60_000);

  it('refuses an unknown peer and a foreign --dir', async () => {
    const unknown = await larder('bench', '--peers', 'lmdb,redis');
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringMatching(/^larder: unknown peer "redis"; known: lmdb, lru-cache/) });
    const foreign = await larder('bench', '--dir', '/etc', '--replace', '--peers', 'none');
    expect(foreign).toMatchObject({ code: 2, stderr: expect.stringMatching(/ERR_STORE_FOREIGN/) });
  });

  it('a peer whose package is not installed is skipped, not fatal', async () => {
    await expect(importPeer('larder-no-such-peer-package')).rejects.toBeInstanceOf(PeerMissingError);
  });
});
