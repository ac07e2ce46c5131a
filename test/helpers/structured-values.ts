/**
 * fast-check generators of values of every structured-clonable type, for the tests of what reads
 * and writes V8's serialization format (v8-split, v8-read): two-byte and one-byte strings, every
 * number edge, BigInts, Dates, RegExps, boxed primitives, Buffers and every typed array,
 * ArrayBuffers, errors with causes, nested objects, dense and sparse arrays, Maps and Sets — and
 * batches of them with shared and cyclic references linked in.
 */
import fc from 'fast-check';

/** Any UTF-16 code units: two-byte strings, lone surrogates, Latin-1 (one-byte) text. */
export const anyString = fc.oneof(
  fc.string(),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }).map((units) => String.fromCharCode(...units)),
  fc.array(fc.integer({ min: 0x80, max: 0xff }), { maxLength: 12 }).map((units) => String.fromCharCode(...units)),
  fc.constantFrom('\ud800', '\udfff', 'a\ud83d', '😀', 'é', ''),
);

export const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53),
);

const TYPED = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const;

/** Buffers, every typed array and DataView, at odd offsets into a larger buffer too. */
const view = fc
  .tuple(fc.integer({ min: 0, max: TYPED.length + 1 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 255 }))
  .map(([kind, offsetUnits, count, seed]) => {
    if (kind === TYPED.length) return Buffer.from(Array.from({ length: count * 3 }, (_, i) => (seed + i * 31) & 255));
    const typed = TYPED[kind];
    const unit = typed?.BYTES_PER_ELEMENT ?? 1;
    const Type = (typed ?? DataView) as unknown as new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;
    const bytes = new Uint8Array(unit * (offsetUnits + count + 1)).map((_, i) => (seed + i * 17) & 255);
    return new Type(bytes.buffer, unit * offsetUnits, count);
  });

const arrayBuffer = fc.tuple(fc.uint8Array({ maxLength: 10 }), fc.boolean()).map(([bytes, resizable]) => {
  // Resizable ArrayBuffers (V8's '~' tag) are in Node 20 but not in the ES2023 lib typings.
  const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer;
  const buffer = resizable ? new Resizable(bytes.length, { maxByteLength: bytes.length + 8 }) : new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
});

const ERRORS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError] as const;

const regexp = fc
  .tuple(fc.constantFrom('a+b', '^x$', '[\\u0100-\\uffff]+', 'é|ü', '\\d{2,}', '(?<n>z)', '☃'), fc.subarray(['d', 'g', 'i', 'm', 's', 'u', 'y']))
  .map(([source, flags]) => new RegExp(source, flags.join('')));

const boxed = fc.oneof(
  fc.boolean().map((b) => Object(b) as object),
  number.map((n) => Object(n) as object),
  fc.bigInt().map((n) => Object(n) as object),
  anyString.map((s) => Object(s) as object),
);

export const leaf = fc.oneof(
  anyString,
  number,
  fc.bigInt(),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: true }),
  regexp,
  boxed,
  view,
  arrayBuffer,
);

export const key = fc.oneof(anyString, fc.nat({ max: 50 }).map(String), fc.constantFrom('0', '4294967295', '-1', 'length'));

/** Values built of `leaves` in objects (with `__proto__` among the keys), arrays, sparse arrays, Maps and Sets; errors too unless `plain`. */
function valuesOf(leaves: fc.Arbitrary<unknown>, plain: boolean): fc.Arbitrary<unknown> {
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaves,
      fc.array(tie('value'), { maxLength: 5 }),
      fc.sparseArray(tie('value'), { maxLength: 8, maxNumElements: 3 }),
      fc.array(fc.tuple(fc.oneof(key, fc.constant('__proto__')), tie('value')), { maxLength: 5 }).map((entries) => Object.fromEntries(entries)),
      fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 4 }).map((entries) => new Map(entries)),
      fc.array(tie('value'), { maxLength: 4 }).map((items) => new Set(items)),
      ...(plain
        ? []
        : [
            fc.tuple(fc.integer({ min: 0, max: ERRORS.length - 1 }), anyString, fc.option(tie('value'))).map(([kind, message, cause]) => {
              const Type = ERRORS[kind] ?? Error;
              return cause === null ? new Type(message) : new Type(message, { cause });
            }),
          ]),
    ),
  })).value;
}

/** Values of every structured-clonable type. */
export const value = valuesOf(leaf, false);

/** Plain data only: strings, numbers, booleans, null, undefined, Dates in objects, arrays, Maps and Sets. */
export const plainValue = valuesOf(fc.oneof(anyString, number, fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date()), true);

/** Plain objects, arrays, Maps and Sets reachable from `roots`, in a fixed order. */
function containers(roots: unknown[]): object[] {
  const seen = new Set<object>();
  const out: object[] = [];
  const visit = (x: unknown): void => {
    if (typeof x !== 'object' || x === null || seen.has(x)) return;
    seen.add(x);
    if (Array.isArray(x)) {
      out.push(x);
      x.forEach(visit);
    } else if (x instanceof Map) {
      out.push(x);
      for (const [k, v] of x) (visit(k), visit(v));
    } else if (x instanceof Set) {
      out.push(x);
      x.forEach(visit);
    } else if (Object.getPrototypeOf(x) === Object.prototype) {
      out.push(x);
      Object.values(x).forEach(visit);
    }
  };
  roots.forEach(visit);
  return out;
}

/** Links object `to` into container `from`: shared references within and across elements, and cycles. */
function link(from: object, to: object, name: string): void {
  if (Array.isArray(from)) from.push(to);
  else if (from instanceof Map) from.set(name, to);
  else if (from instanceof Set) from.add(to);
  else (from as Record<string, unknown>)[name] = to;
}

/** Elements of `values`, then extra references: an element repeated, objects shared or cyclic. */
export function linkedValues(values: fc.Arbitrary<unknown>) {
  return fc
    .tuple(
      fc.array(values, { minLength: 1, maxLength: 8 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('self', 'x', '7')), { maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 2 }),
    )
    .map(([elements, links, repeats]) => {
      const all = containers(elements);
      if (all.length > 0) for (const [a, b, name] of links) link(all[a % all.length] as object, all[b % all.length] as object, name);
      for (const r of repeats) elements.push(elements[r % elements.length]);
      return { elements, linked: (links.length > 0 && all.length > 0) || repeats.length > 0 };
    });
}

/** Batch elements of every type, linked. */
export const batchValues = linkedValues(value);
