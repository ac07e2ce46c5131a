import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixture, runChild } from '../helpers/engine.js';
import { keyCases } from '../fixtures/keys-cases.js';
import { canonicalKey, HashKeyMaker, StreamingKeyMaker } from '../../src/main/index.js';

interface Expected {
  keyMaker: string;
  cases: Record<string, { canonical: string; key: string }>;
}

const expected = JSON.parse(readFileSync(fixture('keys-expected.json'), 'utf8')) as Expected;

describe('keys match the committed fixture', () => {
  it('covers every case, and no case is missing from the fixture', () => {
    expect(Object.keys(expected.cases).sort()).toEqual(keyCases.map((c) => c.name).sort());
  });

  it.each(keyCases.map((c) => [c.name, c] as const))('%s: canonical text and key, plain and streaming', (name, c) => {
    const pinned = expected.cases[name];
    const value = c.build();
    expect(canonicalKey(value)).toBe(pinned?.canonical);
    expect(new HashKeyMaker().makeKey(value)).toBe(pinned?.key);
    // A tiny chunk size makes the streaming maker update the hash at almost every token.
    expect(new StreamingKeyMaker({ chunkSize: 3 }).makeKey(value)).toBe(pinned?.key);
    expect(new StreamingKeyMaker().makeKey(value)).toBe(pinned?.key);
  });

  it('equal values built in another order give the same key', () => {
    const maker = new HashKeyMaker();
    const reorderable = keyCases.filter((c) => c.reordered !== undefined);
    expect(reorderable.length).toBeGreaterThan(8);
    for (const c of reorderable) expect(maker.makeKey(c.reordered?.()), c.name).toBe(expected.cases[c.name]?.key);
  });

  it('different values give different keys', () => {
    const keys = Object.values(expected.cases).map((c) => c.key);
    // The fixture's deliberately-equal pairs (null-prototype vs plain object, etc.) are
    // expressed as `reordered`, not as separate cases, so every case must be distinct.
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('a separate Node process makes exactly the same keys', async () => {
    const child = runChild('keys-child.ts', []);
    const { code } = await child.exited;
    expect(code).toBe(0);
    const printed = JSON.parse(child.lines.join('\n')) as Expected;
    expect(printed.keyMaker).toBe(expected.keyMaker);
    expect(printed.cases).toEqual(expected.cases);
  });
});
