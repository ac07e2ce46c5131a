/**
 * A cache opened after another in the same process, against the first cache continuing: the main
 * job's workload (`larder bench`: 20,000 `{ id, payload }` values of ~1 KB, a producer yielding
 * every 1,024 writes), measured after a 10,000-entry warm-up, in a fresh process per run,
 * alternating the two. While a second cache deoptimised what V8 had compiled for the first
 * (src/main/core/arrays.ts) it was 4–20 % slower here (median 13 %, four runs of 3–6 rounds); after, −1–12 %.
 *
 *   node --import tsx bench/second-cache.bench.ts [--runs 4] [--entries 20000]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { larderPeer } from '../src/main/cli/commands/bench/larder-peer.js';
import { measure } from '../src/main/cli/commands/bench/meter.js';
import { makeWorkload } from '../src/main/cli/commands/bench/workload.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '4' },
    entries: { type: 'string', default: '20000' },
    /** Internal: run one measurement in this process and print it as JSON. */
    child: { type: 'string' },
  },
});
const entries = Number(args.entries);
const WARM_UP = 10_000;

interface Run {
  mode: string;
  entriesPerSec: number;
  cpuUsPerEntry: number;
}

/**
 * One measurement: `same` continues the warm-up cache; `second` stops it and opens another. The
 * caches are `larder bench`'s own (its larder peer: `set`, awaiting `drained()` when asked, then `sync()`).
 */
async function child(mode: string): Promise<Run> {
  const dirs = [mkdtempSync(join(tmpdir(), 'larder-second-')), mkdtempSync(join(tmpdir(), 'larder-second-'))] as const;
  const peer = larderPeer('log');
  try {
    let session = await peer.open(dirs[0]);
    const warm = makeWorkload(WARM_UP, 1024);
    await session.write({ ...warm, key: (i) => `warm:${i}` }, () => {});
    if (mode === 'second') {
      await session.close();
      session = await peer.open(dirs[1]);
    }
    const writing = session;
    const m = await measure(entries, () => writing.write(makeWorkload(entries, 1024), () => {}));
    await writing.close();
    return { mode, entriesPerSec: m.entriesPerSec, cpuUsPerEntry: m.cpuUsPerEntry };
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

function inChild(mode: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const self = fileURLToPath(import.meta.url);
    execFile(process.execPath, [...process.execArgv, self, '--child', mode, '--entries', String(entries)], (error, stdout) =>
      error === null ? resolve(JSON.parse(stdout) as Run) : reject(error),
    );
  });
}

if (args.child !== undefined) {
  console.log(JSON.stringify(await child(args.child)));
  process.exit(0);
}
const runs: Run[] = [];
for (let i = 0; i < Number(args.runs); i++) for (const mode of ['same', 'second']) runs.push(await inChild(mode));
const rows = ['same', 'second'].map((mode) => {
  const mine = runs.filter((r) => r.mode === mode);
  const rates = mine.map((r) => r.entriesPerSec).sort((a, b) => a - b);
  const cpu = mine.map((r) => r.cpuUsPerEntry).sort((a, b) => a - b);
  return {
    cache: mode === 'same' ? 'the warm-up cache, continuing' : 'a second cache, opened after it',
    'entries/s (median)': Math.round(rates[Math.floor(rates.length / 2)] as number),
    'entries/s (range)': `${Math.round(rates[0] as number)}–${Math.round(rates[rates.length - 1] as number)}`,
    'cpu µs/entry (median)': Number((cpu[Math.floor(cpu.length / 2)] as number).toFixed(1)),
  };
});
console.table(rows);
