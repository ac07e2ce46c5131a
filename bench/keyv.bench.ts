/**
 * larder behind Keyv, side by side in one run: N values of about B bytes written durably, then
 * the store reopened and every key read back, for
 *   (a) keyv + KeyvLarder, Keyv's default JSON serialization (larder stores the JSON strings),
 *   (b) keyv + KeyvLarder with raw values (Keyv's serializer off: larder's v8 codec stores the
 *       `{ value, expires }` objects, encoded by its worker),
 *   (c) keyv + keyv-file (the whole store rewritten as one JSON file, debounced),
 *   (d) keyv + @keyv/sqlite (sqlite3 with its defaults: each `set` its own transaction, rollback
 *       journal, synchronous=FULL, so a resolved `set` is on disk),
 *   (e) larder's own API (`Cacher` on the log store: `set`, `sync()`, `get`).
 * Every contender is fed by the same producer (`writeAll`: yields the event loop every 1024
 * writes), and read by the same loop (every key once, awaiting each read, yielding every 1024). The keyv + KeyvLarder rows await each `set` promise one chunk later, as a Keyv user
 * awaiting writes would; keyv-file's `set` promises resolve only with its next save, so they are
 * collected and settled at the end, as the `larder bench` keyv-file peer does (awaiting them
 * would measure its 100 ms write delay). The write phase ends when the data is durable: larder
 * rows with `sync()` (every record checksummed, written and fsynced), keyv-file with a `set`
 * made after its last save finished (the file rewritten; keyv-file never fsyncs), @keyv/sqlite
 * when every `set` promise resolved (its writes are issued together and settled at the end, like
 * keyv-file's; sqlite3 runs them one by one on its own thread). Reported per
 * phase: entries/s, main-thread µs per entry (event-loop utilisation × wall time / entries),
 * event-loop delay p99 and max.
 *
 *   node --import tsx bench/keyv.bench.ts [--entries 100000] [--value-size 1024] [--settle 10] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Keyv } from 'keyv';
import { KeyvFile } from 'keyv-file';
import KeyvSqlite from '@keyv/sqlite';
import { Cacher } from '../src/main/index.js';
import { KeyvLarder } from '../src/main/adapters/index.js';
import { measure, type Measurement } from '../src/main/cli/commands/bench/meter.js';
import { makeWorkload, Outstanding, writeAll, type BenchValue, type Workload } from '../src/main/cli/commands/bench/workload.js';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    'value-size': { type: 'string', default: '1024' },
    /** Idle seconds before each contender: the disk absorbs a burst, then slows (see durable.bench.ts). */
    settle: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const w = makeWorkload(Number(args.entries), Number(args['value-size']));
const settleMs = Number(args.settle) * 1000;
const noProgress = (): void => {};
const READ_CHUNK = 1024;

/** One contender: write everything durably, close; reopen, read everything back, close. */
interface Contender {
  name: string;
  write(dir: string): Promise<() => Promise<void>>;
  reopen(dir: string): Promise<{ get(key: string): unknown; close(): Promise<void> }>;
}

function keyvLarder(raw: boolean): Contender {
  const open = (dir: string): { keyv: Keyv; store: KeyvLarder } => {
    const store = new KeyvLarder({ dir });
    const keyv = new Keyv({ store });
    if (raw) {
      keyv.serialize = undefined;
      keyv.deserialize = undefined;
    }
    return { keyv, store };
  };
  return {
    name: `keyv + KeyvLarder (${raw ? 'raw values, v8 codec' : 'JSON, Keyv default'})`,
    async write(dir) {
      const { keyv, store } = open(dir);
      await writeAll(w, noProgress, (key, value) => keyv.set(key, value));
      await store.sync({ timeout: 600_000 });
      return () => keyv.disconnect();
    },
    async reopen(dir) {
      const { keyv } = open(dir);
      // Keyv opens nothing until the first call; a miss starts the cacher (opens the log store).
      await keyv.get('nothing');
      return { get: (key) => keyv.get(key), close: () => keyv.disconnect() };
    },
  };
}

const keyvFile: Contender = {
  name: 'keyv + keyv-file (JSON file, no fsync)',
  async write(dir) {
    const keyv = new Keyv({ store: new KeyvFile({ filename: join(dir, 'store.json') }) });
    const sets = new Outstanding();
    await writeAll(w, noProgress, (key, value) => {
      sets.add(keyv.set(key, value));
    });
    await sets.settle();
    // A set made while a save is writing joins that save, whose snapshot may predate it.
    const last = w.entries - 1;
    await keyv.set(w.key(last), w.value(last));
    return () => keyv.disconnect();
  },
  async reopen(dir) {
    const keyv = new Keyv({ store: new KeyvFile({ filename: join(dir, 'store.json') }) });
    return { get: (key) => keyv.get(key), close: () => keyv.disconnect() };
  },
};

const keyvSqlite: Contender = {
  name: 'keyv + @keyv/sqlite (a transaction per set, fsynced)',
  async write(dir) {
    const keyv = new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${join(dir, 'store.sqlite')}` }) });
    const sets = new Outstanding();
    await writeAll(w, noProgress, (key, value) => {
      sets.add(keyv.set(key, value));
    });
    await sets.settle();
    return () => keyv.disconnect();
  },
  async reopen(dir) {
    const keyv = new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${join(dir, 'store.sqlite')}` }) });
    return { get: (key) => keyv.get(key), close: () => keyv.disconnect() };
  },
};

const nativeLarder: Contender = {
  name: 'larder Cacher (log store, native API)',
  async write(dir) {
    const cache = await Cacher.open({ dir });
    await writeAll(w, noProgress, (key, value) => (cache.set(key, value) ? undefined : cache.drained()));
    await cache.sync({ timeout: 600_000 });
    return () => cache.stop();
  },
  async reopen(dir) {
    const cache = await Cacher.open({ dir });
    return { get: (key) => cache.get(key), close: () => cache.stop() };
  },
};

interface Row {
  name: string;
  write: Measurement;
  reopenMs: number;
  read: Measurement;
  wrong: number;
}

async function run(contender: Contender): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'larder-keyv-bench-'));
  try {
    let close: () => Promise<void> = async () => {};
    const write = await measure(w.entries, async () => {
      close = await contender.write(dir);
    });
    await close();
    const t0 = performance.now();
    const reader = await contender.reopen(dir);
    const reopenMs = performance.now() - t0;
    let wrong = 0;
    const read = await measure(w.entries, async () => {
      for (let i = 0; i < w.entries; i++) {
        const value = (await reader.get(w.key(i))) as BenchValue | undefined;
        if (value?.id !== i || value.payload !== w.value(i).payload) wrong++;
        // As the producer does: a chain of resolved promises never lets the event loop turn.
        if ((i + 1) % READ_CHUNK === 0) await new Promise(setImmediate);
      }
    });
    await reader.close();
    return { name: contender.name, write, reopenMs, read, wrong };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const contenders = [keyvLarder(false), keyvLarder(true), keyvFile, keyvSqlite, nativeLarder];
const rows: Row[] = [];
for (const contender of contenders) {
  if (settleMs > 0) await sleep(settleMs);
  process.stderr.write(`${contender.name}…\n`);
  rows.push(await run(contender));
}

if (args.json) {
  console.log(JSON.stringify({ workload: describe(w), rows }, null, 2));
} else {
  console.log(report(rows));
}
if (rows.some((r) => r.wrong > 0)) process.exitCode = 1;

function describe(work: Workload): string {
  return `${work.entries.toLocaleString('en-US')} entries × ~${work.valueSize} B ({ id, payload } objects)`;
}

function report(all: Row[]): string {
  const f = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const lines = [
    `${describe(w)}; ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores); Node ${process.version}`,
    '',
    '| contender | write entries/s | write main µs/entry | write ELD p99 / max ms | reopen ms | get entries/s | get main µs/entry | get ELD p99 / max ms | wrong |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...all.map(
      (r) =>
        `| ${r.name} | ${f(r.write.entriesPerSec)} | ${f(r.write.mainUsPerEntry, 1)} | ${f(r.write.eldP99Ms, 1)} / ${f(r.write.eldMaxMs, 1)} | ${f(r.reopenMs)} | ${f(r.read.entriesPerSec)} | ${f(r.read.mainUsPerEntry, 1)} | ${f(r.read.eldP99Ms, 1)} / ${f(r.read.eldMaxMs, 1)} | ${r.wrong} |`,
    ),
    '',
    'Write: until durable (larder: sync() resolved, fsynced; keyv-file: the JSON file rewritten, not fsynced; @keyv/sqlite: every set resolved, each its own fsynced transaction).',
    'Get: after reopening the store, every key once, awaited one by one (the native API reads synchronously), yielding every 1024 reads.',
  ];
  return lines.join('\n');
}
