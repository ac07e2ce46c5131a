/**
 * WriteQueue (src/main/engine/write-queue.ts) on its own: a FIFO of entries that shifts by
 * moving a head index and compacts its array once more than 1024 entries were shifted and the
 * consumed prefix is more than half of it. The compaction must not be visible: order, size,
 * iteration and drain stay those of a plain array.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Entry, EntryState } from '../../src/main/engine/entry.js';
import { WriteQueue } from '../../src/main/engine/write-queue.js';

let made = 0;
function entry(key = `k${made}`): Entry {
  made++;
  return new Entry(key, made, EntryState.queued, made, 0, 0);
}

function entries(n: number): Entry[] {
  return Array.from({ length: n }, () => entry());
}

const keys = (list: Iterable<Entry | undefined>): Array<string | undefined> => [...list].map((e) => e?.key);

describe('WriteQueue', () => {
  it('starts empty: size 0, shift undefined, drain and iteration empty', () => {
    const q = new WriteQueue();
    expect(q.size).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect([...q]).toEqual([]);
    expect(q.drain()).toEqual([]);
  });

  it('shifts entries in the order they were pushed', () => {
    const q = new WriteQueue();
    const [a, b, c] = entries(3);
    q.push(a as Entry);
    q.push(b as Entry);
    q.push(c as Entry);
    expect(q.size).toBe(3);
    expect(q.shift()).toBe(a);
    expect(q.size).toBe(2);
    expect(q.shift()).toBe(b);
    expect(q.shift()).toBe(c);
    expect(q.size).toBe(0);
  });

  it('answers undefined on shift when empty, as often as asked, and stays usable', () => {
    const q = new WriteQueue();
    const [a, b] = entries(2);
    q.push(a as Entry);
    expect(q.shift()).toBe(a);
    expect(q.shift()).toBeUndefined();
    expect(q.shift()).toBeUndefined();
    expect(q.size).toBe(0);
    q.push(b as Entry);
    expect(q.size).toBe(1);
    expect(q.shift()).toBe(b);
  });

  it('iterates what is left, in order, without consuming it', () => {
    const q = new WriteQueue();
    const all = entries(5);
    for (const e of all) q.push(e);
    q.shift();
    q.shift();
    expect([...q]).toEqual(all.slice(2));
    expect([...q]).toEqual(all.slice(2));
    expect(q.size).toBe(3);
  });

  it('drains everything left in order, and is empty and usable afterwards', () => {
    const q = new WriteQueue();
    const all = entries(4);
    for (const e of all) q.push(e);
    q.shift();
    const drained = q.drain();
    expect(drained).toEqual(all.slice(1));
    expect(q.size).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect([...q]).toEqual([]);

    // The drained array is the caller's: changing it does not reach the queue.
    const next = entry();
    q.push(next);
    drained.length = 0;
    expect([...q]).toEqual([next]);
  });

  it('keeps order and size across the compaction after more than 1024 shifts', () => {
    const q = new WriteQueue();
    const all = entries(2_000);
    for (const e of all) q.push(e);
    // The 1025th shift compacts: 1025 shifted, and 1025 * 2 > 2000.
    for (let i = 0; i < 1_025; i++) expect(q.shift()).toBe(all[i]);
    expect(q.size).toBe(975);
    expect([...q]).toEqual(all.slice(1_025));

    const more = entries(10);
    for (const e of more) q.push(e);
    expect(q.size).toBe(985);
    const rest = [...all.slice(1_025), ...more];
    for (const e of rest) expect(q.shift()).toBe(e);
    expect(q.shift()).toBeUndefined();
    expect(q.size).toBe(0);
  });

  it('keeps order and size when pushes and shifts interleave through many compactions', () => {
    const q = new WriteQueue();
    const model: Entry[] = [];
    // A queue that stays about 300 long while 20 000 entries pass through it.
    for (let i = 0; i < 300; i++) {
      const e = entry();
      q.push(e);
      model.push(e);
    }
    for (let i = 0; i < 20_000; i++) {
      const e = entry();
      q.push(e);
      model.push(e);
      if (i % 7 !== 0) {
        expect(q.shift()).toBe(model.shift());
        expect(q.size).toBe(model.length);
      }
    }
    expect(keys(q)).toEqual(keys(model));
    expect(keys(q.drain())).toEqual(keys(model));
  });

  it('behaves like a plain array under random push / shift / drain (fast-check)', () => {
    type Op = { op: 'push'; n: number } | { op: 'shift'; n: number } | { op: 'drain' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ op: fc.constant('push' as const), n: fc.integer({ min: 1, max: 2_500 }) }) },
      { weight: 5, arbitrary: fc.record({ op: fc.constant('shift' as const), n: fc.integer({ min: 1, max: 2_500 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('drain' as const) }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const q = new WriteQueue();
        const model: Entry[] = [];
        for (const step of ops) {
          if (step.op === 'push') {
            for (let i = 0; i < step.n; i++) {
              const e = entry();
              q.push(e);
              model.push(e);
            }
          } else if (step.op === 'shift') {
            for (let i = 0; i < step.n; i++) if (q.shift() !== model.shift()) return false;
          } else if (keys(q.drain()).join() !== keys(model.splice(0)).join()) return false;
          if (q.size !== model.length) return false;
          if (keys(q).join() !== keys(model).join()) return false;
        }
        return true;
      }),
      { numRuns: 100 },
    );
  });
});
