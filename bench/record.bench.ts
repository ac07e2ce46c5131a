/**
 * Framing and decoding records (src/shared/format/record.ts), the writer thread's and every cold
 * read's per-record work: 1,000 records of a ~1 KB v8-serialized object under a short key,
 * framed into one buffer and decoded back, `--rounds` times; µs per record, per round.
 *
 *   node --import tsx bench/record.bench.ts [--rounds 300]
 */
import { parseArgs } from 'node:util';
import { serialize } from 'node:v8';
import { decodeRecord, writeRecord } from '../src/shared/format/record.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '300' } } });
const rounds = Number(args.rounds);
const n = 1000;
const values = Array.from({ length: n }, (_, i) => serialize({ id: i, name: `item ${i}`, tags: ['alpha', `t${i % 97}`, 'omega'], body: `${i}:${'y'.repeat(900)}` }));
const keys = Array.from({ length: n }, (_, i) => `key:${i}`);
const out = Buffer.allocUnsafeSlow(2 << 20);
const meta = { kind: 1 as const, codec: 1, createdAt: Date.now() + 0.5, expiresAt: 0 };
for (let r = 0; r < 5; r++) {
  let t = performance.now();
  let end = 0;
  for (let k = 0; k < rounds; k++) {
    end = 0;
    for (let i = 0; i < n; i++) end = writeRecord(out, end, keys[i] as string, values[i] as Uint8Array, meta);
  }
  const frame = ((performance.now() - t) * 1000) / (rounds * n);
  t = performance.now();
  for (let k = 0; k < rounds; k++) {
    for (let at = 0; at < end; ) {
      const decoded = decodeRecord(out, at);
      if (decoded.status !== 'ok') throw new Error(`record at ${at}: ${decoded.status}`);
      at += decoded.record.size;
    }
  }
  const decode = ((performance.now() - t) * 1000) / (rounds * n);
  console.log(`frame ${frame.toFixed(3)} µs/record, decode ${decode.toFixed(3)} µs/record`);
}
