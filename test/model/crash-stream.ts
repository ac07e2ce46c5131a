/**
 * The crash test's operation stream: deterministic from a seed, so the parent that kills the
 * child can replay it and know every value the child may have written after its last resolved
 * `sync()`. Values come from (key, ver) alone (`crashValue`), so a read can be told apart as the
 * right one, an older one, another key's, or torn.
 */
import { lcg } from './engine-ops.js';

export interface CrashOp {
  /** Position in the stream, from 0. */
  i: number;
  key: number;
  /** Unique over the whole test: the child's base plus `i`. */
  ver: number;
  del: boolean;
}

/** The child awaits `sync()` after every this many operations, and reports it. */
export const SYNC_EVERY = 97;
/** …and yields to the event loop after every this many (batches fill and land meanwhile). */
export const YIELD_EVERY = 31;

export function* crashStream(seed: number, baseVer: number, keys: number): Generator<CrashOp> {
  const random = lcg(seed);
  for (let i = 0; ; i++) {
    const key = Math.floor(random() * keys);
    const del = random() < 0.07;
    yield { i, key, ver: baseVer + i, del };
  }
}

/** The value written by version `ver` of `key`: objects of varied size, one in 16 a large one, some strings. */
export function crashValue(key: number, ver: number): unknown {
  if (ver % 5 === 0) return `k${key}:v${ver}:${'t'.repeat(ver % 700)}`;
  return { k: key, ver, body: (ver % 16 === 0 ? 'L' : 'b').repeat(ver % 16 === 0 ? 40_000 : 200 + (ver % 900)) };
}

/** The (key, ver) a read value says it is, or undefined if it is not a value `crashValue` makes. */
export function identify(value: unknown): { key: number; ver: number } | undefined {
  if (typeof value === 'string') {
    const m = /^k(\d+):v(\d+):/.exec(value);
    return m === null ? undefined : { key: Number(m[1]), ver: Number(m[2]) };
  }
  if (typeof value === 'object' && value !== null && 'k' in value && 'ver' in value) {
    const { k, ver } = value as { k: unknown; ver: unknown };
    return typeof k === 'number' && typeof ver === 'number' ? { key: k, ver } : undefined;
  }
  return undefined;
}
