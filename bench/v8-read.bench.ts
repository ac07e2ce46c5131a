/**
 * Decoding one v8-serialized value, the object half of every cold read: `v8.deserialize` against
 * the v8 codec's own reader (src/shared/format/v8-read.ts), on the issue-17 workload's objects
 * `{ id, name, tags: [3 strings], body: ~900 chars }` and on the same with a Date and a nested
 * object; µs per value, `--rounds` rounds of 1,000 values, five times.
 *
 *   node --import tsx bench/v8-read.bench.ts [--rounds 200]
 */
import { parseArgs } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { readV8 } from '../src/shared/format/v8-read.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '200' } } });
const rounds = Number(args.rounds);
const n = 1000;
const workloads = {
  'issue-17 object': (i: number) => ({ id: i, name: `item ${i}`, tags: ['alpha', `t${i % 97}`, 'omega'], body: `${i}:${'y'.repeat(900)}` }),
  'with Date and nested object': (i: number) => ({ id: i, at: new Date(i), owner: { name: `user ${i}`, roles: ['a', 'b'] }, body: `${i}:${'z'.repeat(800)}` }),
};

for (const [name, make] of Object.entries(workloads)) {
  const values = Array.from({ length: n }, (_, i) => serialize(make(i)));
  for (let r = 0; r < 5; r++) {
    const time = (decode: (bytes: Uint8Array) => unknown): number => {
      const t = performance.now();
      for (let k = 0; k < rounds; k++) for (const bytes of values) if (decode(bytes) === undefined) throw new Error('decoded nothing');
      return ((performance.now() - t) * 1000) / (rounds * n);
    };
    const v8 = time(deserialize);
    const ours = time(readV8);
    console.log(`${name}: v8.deserialize ${v8.toFixed(3)} µs, readV8 ${ours.toFixed(3)} µs (${(v8 / ours).toFixed(2)}×)`);
  }
}
