import { appendFileSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { OutboxJournal, encodeKeysFrame, readOutboxSync } from '../../src/main/stores/tiered/outbox-journal.js';

const PUT = 1;
const DEL = 2;
const kinds = (...k: number[]) => Uint8Array.from(k);

async function reopen(dir: string) {
  const journal = new OutboxJournal(dir, 'fsync', 0o600);
  const backlog = await journal.open(0o700);
  return { journal, backlog };
}

it('frames after the mark are the backlog at the next open, with their keys and kinds, in order', async () => {
  const dir = tempDir();
  const { journal } = await reopen(dir);
  await journal.append(1, encodeKeysFrame(1, 1000, ['a', 'b'], kinds(PUT, PUT)));
  await journal.append(2, encodeKeysFrame(2, 2000, ['ключ', 'b'], kinds(PUT, DEL)));
  journal.mark(1, 2500);
  await journal.append(3, encodeKeysFrame(3, 3000, ['c'], kinds(PUT)));
  await journal.close();

  const { journal: again, backlog } = await reopen(dir);
  expect(backlog.mark).toBe(1);
  expect(backlog.lastSeq).toBe(3);
  expect(backlog.problems).toEqual([]);
  expect(backlog.frames.map((f) => [f.seq, f.at, f.keys, [...f.kinds]])).toEqual([
    [2, 2000, ['ключ', 'b'], [PUT, DEL]],
    [3, 3000, ['c'], [PUT]],
  ]);
  await again.close();
  // The same, read without opening it (larder inspect).
  expect(readOutboxSync(dir)?.frames.map((f) => f.seq)).toEqual([2, 3]);
  expect(readOutboxSync(tempDir())).toBeUndefined();
});

it('a torn tail (a crash mid-append) is cut at open; appends go on after the good frames', async () => {
  const dir = tempDir();
  const { journal } = await reopen(dir);
  await journal.append(1, encodeKeysFrame(1, 1, ['a'], kinds(PUT)));
  await journal.append(2, encodeKeysFrame(2, 2, ['b'], kinds(PUT)));
  await journal.close();
  const file = join(dir, 'outbox', readdirSync(join(dir, 'outbox'))[0] as string);
  const size = statSync(file).size;
  truncateSync(file, size - 3); // frame 2 torn
  appendFileSync(file, Buffer.from([1, 2, 3]));

  const { journal: again, backlog } = await reopen(dir);
  expect(backlog.frames.map((f) => f.keys)).toEqual([['a']]);
  expect(backlog.problems).toHaveLength(1);
  await again.append(3, encodeKeysFrame(3, 3, ['c'], kinds(PUT)));
  await again.close();
  const { journal: third, backlog: after } = await reopen(dir);
  expect(after.frames.map((f) => f.keys)).toEqual([['a'], ['c']]);
  expect(after.problems).toEqual([]);
  await third.close();
});

it('rolls to a new file past 4 MiB and removes files whose batches are all replicated', async () => {
  const dir = tempDir();
  const { journal } = await reopen(dir);
  const keys = Array.from({ length: 1000 }, (_, i) => `key-${i}-${'x'.repeat(100)}`);
  const k = new Uint8Array(keys.length).fill(PUT);
  for (let seq = 1; seq <= 60; seq++) await journal.append(seq, encodeKeysFrame(seq, seq, keys, k));
  expect(readdirSync(join(dir, 'outbox')).length).toBeGreaterThan(1);
  journal.mark(60, 61);
  await journal.append(61, encodeKeysFrame(61, 61, ['last'], kinds(PUT)));
  await journal.close();
  expect(readdirSync(join(dir, 'outbox'))).toHaveLength(1);
  const { journal: again, backlog } = await reopen(dir);
  expect(backlog.mark).toBe(60);
  expect(backlog.frames.map((f) => f.keys)).toEqual([['last']]);
  await again.close();
});

it('reset() empties the journal and numbers on from the given batch', async () => {
  const dir = tempDir();
  const { journal } = await reopen(dir);
  await journal.append(1, encodeKeysFrame(1, 1, ['a'], kinds(PUT)));
  await journal.reset(7);
  await journal.close();
  const { journal: again, backlog } = await reopen(dir);
  expect(backlog).toMatchObject({ mark: 7, lastSeq: 7, frames: [] });
  await again.close();
});
