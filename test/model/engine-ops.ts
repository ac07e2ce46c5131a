/**
 * Random operation sequences for the engine, and the values they write. Kept apart from the
 * runner so the model test, the crash test's child and the soak script draw the same operations.
 */
import fc from 'fast-check';

export type ValueKind = 'object' | 'string' | 'undefined' | 'large' | 'rich' | 'surrogate' | 'number';

export type Op =
  | { op: 'set'; key: number; kind: ValueKind; ttl: number }
  | { op: 'burst'; from: number; count: number; kind: ValueKind; every: number }
  | { op: 'workload'; seed: number; count: number; deleteOneIn: number; yieldEvery: number; kind: ValueKind }
  | { op: 'delete'; key: number }
  | { op: 'deleteMany'; from: number; count: number; every: number }
  | { op: 'get'; key: number }
  | { op: 'has'; key: number }
  | { op: 'load'; key: number }
  | { op: 'save'; key: number; kind: ValueKind }
  | { op: 'sync' }
  | { op: 'discard' }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'unload'; key: number }
  | { op: 'clear' }
  | { op: 'advance'; ms: number }
  | { op: 'compact' }
  | { op: 'reopen' }
  | { op: 'tick'; ms: number }
  | { op: 'checkAll' };

export interface OpSpace {
  keys: number;
  /** TTLs and clock moves: off where expiry is not the injected clock's (Redis expires by its own). */
  expiry: boolean;
}

const kinds: ValueKind[] = ['object', 'object', 'object', 'string', 'undefined', 'large', 'rich', 'surrogate', 'number'];

export function opArbitrary({ keys, expiry }: OpSpace): fc.Arbitrary<Op> {
  const key = fc.nat({ max: keys - 1 });
  const kind = fc.constantFrom(...kinds);
  const ttl = expiry ? fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }) }) : fc.constant(0);
  return fc.oneof(
    { weight: 12, arbitrary: fc.record({ op: fc.constant('set' as const), key, kind, ttl }) },
    // Many writes in one go: batches fill over several turns while the next operations run.
    { weight: 4, arbitrary: fc.record({ op: fc.constant('burst' as const), from: key, count: fc.integer({ min: 2, max: 600 }), kind, every: fc.integer({ min: 1, max: 7 }) }) },
    // A service-like stream: random sets with some deletes, yielding to the event loop now and then.
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant('workload' as const),
        seed: fc.nat(),
        count: fc.integer({ min: 50, max: 1500 }),
        deleteOneIn: fc.integer({ min: 3, max: 25 }),
        yieldEvery: fc.integer({ min: 20, max: 400 }),
        kind,
      }),
    },
    { weight: 6, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteMany' as const), from: key, count: fc.integer({ min: 2, max: 100 }), every: fc.integer({ min: 1, max: 7 }) }) },
    { weight: 8, arbitrary: fc.record({ op: fc.constant('get' as const), key }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('has' as const), key }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('load' as const), key }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('save' as const), key, kind }) },
    { weight: 2, arbitrary: fc.constant({ op: 'sync' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'discard' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'pause' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'resume' as const }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('unload' as const), key }) },
    { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
    ...(expiry ? [{ weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 2000 }) }) }] : []),
    { weight: 1, arbitrary: fc.constant({ op: 'compact' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'reopen' as const }) },
    { weight: 6, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 1, arbitrary: fc.constant({ op: 'checkAll' as const }) },
  );
}

const LARGE = 'L'.repeat(96 * 1024);

/**
 * A value that says which key and which write it is (`ver` is unique over a run), so a value
 * written under another key or an older one can never be taken for the right one.
 */
export function makeValue(kind: ValueKind, key: number, ver: number): unknown {
  switch (kind) {
    case 'object':
      return { k: key, ver, body: `b${ver}`.repeat(1 + (ver % 50)), tags: ['a', String(ver), 'c'] };
    case 'string':
      return `k${key}:v${ver}:${'s'.repeat(ver % 300)}`;
    case 'undefined':
      return undefined;
    case 'large':
      return ver % 2 === 0 ? { k: key, ver, body: LARGE } : `k${key}:v${ver}:${LARGE}`;
    case 'rich':
      return new Map<string, unknown>([
        ['k', key],
        ['ver', ver],
        ['at', new Date(1_700_000_000_000 + ver)],
        ['big', BigInt(ver) * 1_000_000_007n],
        ['set', new Set([key, ver])],
        ['nested', [{ ver }, [key, null, -0]]],
        ['bytes', new Uint8Array([key & 0xff, ver & 0xff])],
      ]);
    case 'surrogate':
      // A lone surrogate: not well-formed UTF-16, so it goes the v8 way instead of UTF-8.
      return `\uD800k${key}:v${ver}`;
    case 'number':
      return key * 1_000_000 + ver + 0.5;
  }
}

/** A small deterministic generator for a workload's keys (the sequence stays replayable). */
export function lcg(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x1_0000_0000;
  };
}
