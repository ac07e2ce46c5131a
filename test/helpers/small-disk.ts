/**
 * Small real filesystems for the full-disk tests: a tmpfs of a few MiB fills up for real, so
 * writes fail with a real ENOSPC, part-way through when a write is larger than what is left.
 * Mounting needs root (CI runs as root); suites skip with the reason printed otherwise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export const canMount = process.getuid?.() === 0;

/** Prints why a suite that needs a small disk is skipped; returns whether it can run. */
export function requireMount(suite: string): boolean {
  if (!canMount) console.log(`${suite}: skipped, mounting a tmpfs needs root (CI runs as root)`);
  return canMount;
}

const mounted: string[] = [];

afterAll(async () => {
  // Runs after every afterEach: the cachers the engine helper stops no longer hold files on the mounts.
  for (const dir of mounted.splice(0)) {
    for (let attempt = 0; ; attempt++) {
      try {
        execFileSync('umount', [dir]);
        break;
      } catch (error) {
        if (attempt === 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    rmdirSync(dir);
  }
});

/** A fresh tmpfs of `kib` KiB, unmounted after the suite. */
export function smallDisk(kib: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'larder-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

/** Bytes a write can still take on the filesystem of `dir`. */
export function freeBytes(dir: string): number {
  const fs = statfsSync(dir);
  return fs.bavail * fs.bsize;
}
