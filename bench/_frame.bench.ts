import { serialize } from 'node:v8';
import { writeRecord, decodeRecord } from '../src/shared/format/record.js';
const n = 1000;
const values = Array.from({ length: n }, (_, i) => serialize({ id: i, name: `item ${i}`, tags: ['alpha', `t${i % 97}`, 'omega'], body: `${i}:${'y'.repeat(900)}` }));
const keys = Array.from({ length: n }, (_, i) => `key:${i}`);
const out = Buffer.allocUnsafeSlow(2 << 20);
const meta = { kind: 1 as const, codec: 1, createdAt: Date.now() + 0.5, expiresAt: 0 };
for (let r = 0; r < 5; r++) {
  let t = performance.now();
  let at = 0;
  for (let k = 0; k < 300; k++) { at = 0; for (let i = 0; i < n; i++) at = writeRecord(out, at, keys[i] as string, values[i] as Uint8Array, meta); }
  const frame = ((performance.now() - t) * 1000) / (300 * n);
  t = performance.now();
  for (let k = 0; k < 300; k++) for (let p = 0; p < at; ) { const d = decodeRecord(out, p); if (d.status !== 'ok') throw new Error(); p += d.record.size; }
  const dec = ((performance.now() - t) * 1000) / (300 * n);
  console.log('writeRecord µs', frame.toFixed(3), 'decodeRecord µs', dec.toFixed(3));
}
