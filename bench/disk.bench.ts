/**
 * What the disk under a directory does with fsynced appends: 1 MB written and fsynced at a time,
 * 256 MB in all, MB/s reported per 16 MB. On the machine the README's figures come from it runs
 * at ~1 GB/s for the first ~150 MB, then at ~210 MB/s: a burst allowance, then the sustained rate.
 * Durable-write benchmarks of ~100 MB land on one side of that line or the other.
 * Also prints the CPU time (user + system) the appends cost per KB: the kernel's share of any
 * durable write, a floor under bench/durable.bench.ts's "cpu µs/entry" column.
 *
 *   node --import tsx bench/disk.bench.ts [--dir /tmp] [--mb 256]
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { dir: { type: 'string', default: tmpdir() }, mb: { type: 'string', default: '256' } } });
const dir = mkdtempSync(join(args.dir, 'larder-disk-'));
const chunk = Buffer.alloc(1 << 20, 0x78);
const total = Number(args.mb);
const fd = openSync(join(dir, 'appends'), 'w');
const rates: number[] = [];
const cpu0 = process.cpuUsage();
try {
  let t0 = performance.now();
  for (let mb = 1; mb <= total; mb++) {
    writeSync(fd, chunk, 0, chunk.length, (mb - 1) * chunk.length);
    fsyncSync(fd);
    if (mb % 16 === 0) {
      const now = performance.now();
      rates.push(Math.round(16 / ((now - t0) / 1000)));
      t0 = now;
    }
  }
} finally {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
}
const cpu = process.cpuUsage(cpu0);
console.log(`fsynced 1 MB appends, MB/s per 16 MB: ${rates.join(' ')}`);
console.log(`CPU per KB appended and fsynced: user ${(cpu.user / (total * 1024)).toFixed(2)} µs, system ${(cpu.system / (total * 1024)).toFixed(2)} µs`);
