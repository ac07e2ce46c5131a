/**
 * How a batch of 1,000 values of ~1 KB can cross to a writer thread, per value, in one run:
 * on the caller's thread one `v8.serialize` per value, one of the whole array, a structured
 * clone, or a UTF-8 write into one buffer (what the engine does for strings); on the writer's,
 * deserializing the array and serializing each value again (what the engine does for other
 * values). Fresh cons strings each iteration, as a producer builds them (`${i}:${payload}`),
 * and already-flat strings, as read from a file or a socket.
 *
 *   node --import tsx bench/encode.bench.ts
 */
import { deserialize, serialize } from 'node:v8';
import { Bench } from 'tinybench';

const N = 1000;
const payload = 'x'.repeat(1024);
let round = 0;
const fresh = (): string[] => Array.from({ length: N }, (_, i) => `${i + round++}:${payload}`);
const flat = Array.from({ length: N }, (_, i) => Buffer.from(`${i}:${payload}`).toString());
const packed = serialize(flat);
const out = Buffer.allocUnsafeSlow(4 * N * 1024);
let sink = 0;

const utf8 = (values: string[]): void => {
  let at = 0;
  for (const value of values) at += out.write(value, at, 'utf8');
  sink += at;
};

const bench = new Bench({ time: 700, warmup: true, throws: true });
bench
  .add('caller: v8.serialize per value (fresh strings)', () => {
    for (const value of fresh()) sink += serialize(value).length;
  })
  .add('caller: v8.serialize of the array (fresh strings)', () => {
    sink += serialize(fresh()).length;
  })
  .add('caller: structuredClone of the array (fresh strings)', () => {
    sink += structuredClone(fresh()).length;
  })
  .add('caller: UTF-8 into one buffer (fresh strings)', () => utf8(fresh()))
  .add('caller: UTF-8 into one buffer (flat strings)', () => utf8(flat))
  .add('making the fresh strings alone (subtract from the rows above)', () => {
    sink += fresh().length;
  })
  .add('writer: deserialize the array, serialize each value', () => {
    for (const value of deserialize(packed) as unknown[]) sink += serialize(value).length;
  });

await bench.run();
console.table(
  bench.tasks.map((task) => {
    const mean = (task.result as { latency?: { mean: number } } | undefined)?.latency?.mean ?? Number.NaN;
    return { task: task.name, 'µs per value': Number(((mean * 1000) / N).toFixed(3)) };
  }),
);
void sink;
