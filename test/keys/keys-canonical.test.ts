import { describe, expect, it } from 'vitest';
import { HashKeyMaker, isKeyMaker } from '../../src/main/keys/key-maker.js';
import { canonicalKey, defaultKeyMaker, keyState, StreamingKeyMaker, writeCanonical } from '../../src/main/index.js';

describe('canonicalKey', () => {
  it('tells apart values of different kinds that print alike', () => {
    const values = [1, '1', 1n, [1], { 0: 1 }, new Set([1]), new Map([[0, 1]]), true, 'true', null, 'null', undefined, 0, -0, '', []];
    const texts = values.map((v) => canonicalKey(v));
    expect(new Set(texts).size).toBe(values.length);
  });

  it('ignores insertion order of object keys, Map entries and Set elements, at any depth', () => {
    const a = { m: new Map<unknown, unknown>([['x', new Set([1, 2])], [{ id: 1 }, 'o']]), z: { b: 1, a: 2 } };
    const b = { z: { a: 2, b: 1 }, m: new Map<unknown, unknown>([[{ id: 1 }, 'o'], ['x', new Set([2, 1])]]) };
    expect(canonicalKey(a)).toBe(canonicalKey(b));
    expect(canonicalKey({ a: 1, b: 2 })).not.toBe(canonicalKey({ a: 2, b: 1 }));
  });

  it('orders Map keys with equal text by their values, so insertion order still does not matter', () => {
    const one = new Map<unknown, unknown>([[{ k: 1 }, 'b'], [{ k: 1 }, 'a']]);
    const two = new Map<unknown, unknown>([[{ k: 1 }, 'a'], [{ k: 1 }, 'b']]);
    expect(canonicalKey(one)).toBe(canonicalKey(two));
  });

  it('keys class instances by their own state and class name', () => {
    class A {
      v: number;
      constructor(v: number) {
        this.v = v;
      }
    }
    class B {
      v = 1;
    }
    expect(canonicalKey(new A(1))).toBe(canonicalKey(new A(1)));
    expect(canonicalKey(new A(1))).not.toBe(canonicalKey(new A(2)));
    expect(canonicalKey(new A(1))).not.toBe(canonicalKey(new B()));
    expect(canonicalKey(new A(1))).not.toBe(canonicalKey({ v: 1 }));
  });

  it('uses [keyState]() for state a class keeps in private fields', () => {
    class Secret {
      #token: string;
      constructor(token: string) {
        this.#token = token;
      }
      [keyState]() {
        return this.#token;
      }
    }
    expect(canonicalKey(new Secret('a'))).toBe(canonicalKey(new Secret('a')));
    expect(canonicalKey(new Secret('a'))).not.toBe(canonicalKey(new Secret('b')));
  });

  it('treats Buffer and Uint8Array with the same bytes as equal, other typed arrays by type', () => {
    expect(canonicalKey(Buffer.from([1, 2]))).toBe(canonicalKey(new Uint8Array([1, 2])));
    expect(canonicalKey(new Int8Array([1, 2]))).not.toBe(canonicalKey(new Uint8Array([1, 2])));
    expect(canonicalKey(new Float32Array([0.5]))).toBe('aFloat32Array[d0.5]');
  });

  it('detects a cycle with a TypeError naming where it closes', () => {
    const a: Record<string, unknown> = { x: { y: [1] } };
    ((a.x as Record<string, unknown>).y as unknown[]).push(a);
    expect(() => canonicalKey(a)).toThrow(TypeError);
    expect(() => canonicalKey(a)).toThrow(/cycle at \$\.x\.y\[1\]/);
    const m = new Map<unknown, unknown>();
    m.set('self', m);
    expect(() => canonicalKey(m)).toThrow(/cycle/);
    const s = new Set<unknown>();
    s.add([s]);
    expect(() => canonicalKey(s)).toThrow(/cycle/);
  });

  it('accepts the same object twice when it is not its own ancestor', () => {
    const shared = [1];
    expect(canonicalKey([shared, shared])).toBe('[[d1],[d1]]');
  });

  it('refuses values with no stable key, naming the path', () => {
    expect(() => canonicalKey({ f: () => 1 })).toThrow(/function at \$\.f/);
    expect(() => canonicalKey([Symbol('local')])).toThrow(/unregistered symbol .* at \$\[0\]/);
    expect(() => canonicalKey(Promise.resolve(1))).toThrow(/Promise/);
    expect(() => canonicalKey(new WeakMap())).toThrow(/WeakMap/);
    expect(canonicalKey(Symbol.for('ok'))).toBe('y"ok"');
  });

  it('streams: writeCanonical pieces join to canonicalKey', () => {
    const value = { list: Array.from({ length: 50 }, (_, i) => ({ i, s: `v${i}` })), bytes: Buffer.alloc(100_000, 7) };
    const pieces: string[] = [];
    writeCanonical(value, (p) => pieces.push(p));
    expect(pieces.length).toBeGreaterThan(100);
    expect(pieces.join('')).toBe(canonicalKey(value));
  });
});

describe('key makers', () => {
  it('make fixed-length hex keys, identical between the plain and streaming makers', () => {
    const big = { rows: Array.from({ length: 2000 }, (_, i) => [i, `row ${i}`, { even: i % 2 === 0 }]), blob: Buffer.alloc(200_000, 1) };
    const plain = new HashKeyMaker().makeKey(big);
    expect(plain).toMatch(/^[0-9a-f]{64}$/);
    expect(new StreamingKeyMaker().makeKey(big)).toBe(plain);
    expect(new StreamingKeyMaker({ chunkSize: 1 }).makeKey(big)).toBe(plain);
    expect(defaultKeyMaker.makeKey('x')).toBe(new HashKeyMaker().makeKey('x'));
  });

  it('share one name, so a bucket may switch between them', () => {
    expect(new StreamingKeyMaker().name).toBe(new HashKeyMaker().name);
    expect(isKeyMaker(new StreamingKeyMaker())).toBe(true);
    expect(isKeyMaker({ makeKey: () => '' })).toBe(false);
  });

  it('validate chunkSize', () => {
    expect(() => new StreamingKeyMaker({ chunkSize: 0 })).toThrow(/chunkSize must be a positive integer, received 0/);
    expect(() => new StreamingKeyMaker({ chunkSize: 1.5 })).toThrow(RangeError);
  });
});
