/**
 * A stable canonical text for any value, so that equal values built in any order (object keys,
 * Map and Set insertion) give the same cache key in every process and every Node version.
 *
 * The text uses only what ECMAScript pins down exactly: `Number.prototype.toString`, BigInt
 * decimal, `JSON.stringify` of strings (which escapes lone surrogates, so two different broken
 * strings never collapse into the same UTF-8), and code-unit string order for sorting.
 * Each kind of value has its own tag, so `1`, `"1"`, `1n` and `[1]` never collide.
 *
 *   u undefined   n null   t/f booleans   d<number>   i<bigint>   "string"   y"registered symbol"
 *   [a,b]  arrays        {"k":v,…} plain objects, keys sorted
 *   D<ms> dates          R"source"/flags regexps        E"name""message" errors
 *   M{k=>v,…} maps, entries sorted by key text            S[a,…] sets, elements sorted
 *   x"hex" bytes (Buffer, Uint8Array)    a<TypeName>[…] other typed arrays    A"hex" ArrayBuffer
 *   V"hex" DataView      o<primitive> boxed primitives
 *   c"ClassName"<state>  class instances: their `[keyState]()` result, else their own
 *                        enumerable properties as an object
 */
import { types } from 'node:util';

/**
 * A method a class can define to say which of its state identifies it (like Python's
 * `__getstate__`): its result is used instead of the instance's own enumerable properties.
 * Needed for state kept in `#private` fields, which no outside code can read.
 */
export const keyState: unique symbol = Symbol.for('larder.keyState');

/** Receives the canonical text in pieces, each a whole token (never a split character). */
export type CanonicalSink = (chunk: string) => void;

/** Bytes are written in pieces of this many, so a huge Buffer never becomes one huge string. */
const BYTES_PER_CHUNK = 32 * 1024;

class Canonicalizer {
  /** Objects on the current path from the root: meeting one again is a cycle. */
  readonly #ancestors = new Set<object>();
  readonly #path: string[] = ['$'];

  write(value: unknown, sink: CanonicalSink): void {
    switch (typeof value) {
      case 'undefined':
        return sink('u');
      case 'boolean':
        return sink(value ? 't' : 'f');
      case 'number':
        return sink(Object.is(value, -0) ? 'd-0' : `d${value}`);
      case 'bigint':
        return sink(`i${value}`);
      case 'string':
        return sink(JSON.stringify(value));
      case 'symbol': {
        const name = Symbol.keyFor(value);
        if (name === undefined) this.#refuse('an unregistered symbol (only Symbol.for() symbols are stable)');
        return sink(`y${JSON.stringify(name)}`);
      }
      case 'function':
        return this.#refuse('a function');
      default:
        if (value === null) return sink('n');
        return this.#writeObject(value as object, sink);
    }
  }

  /** The canonical text of a nested value (Map keys, Set elements must be sorted by it). */
  text(value: unknown): string {
    let out = '';
    this.write(value, (chunk) => {
      out += chunk;
    });
    return out;
  }

  #writeObject(value: object, sink: CanonicalSink): void {
    if (this.#ancestors.has(value)) {
      throw new TypeError(`canonicalKey: cycle at ${this.#path.join('')}: the value contains itself, so it has no finite key`);
    }
    this.#ancestors.add(value);
    try {
      this.#writeObjectBody(value, sink);
    } finally {
      this.#ancestors.delete(value);
    }
  }

  #writeObjectBody(value: object, sink: CanonicalSink): void {
    if (Array.isArray(value)) return this.#writeList(value, sink, '[');
    if (types.isDate(value)) return sink(`D${value.getTime()}`);
    if (types.isRegExp(value)) return sink(`R${JSON.stringify(value.source)}/${value.flags}`);
    if (types.isMap(value)) return this.#writeMap(value as Map<unknown, unknown>, sink);
    if (types.isSet(value)) return this.#writeSet(value as Set<unknown>, sink);
    if (types.isUint8Array(value)) return writeHex('x', value, sink);
    if (types.isTypedArray(value)) return this.#writeList(value as unknown as ArrayLike<unknown>, sink, `a${typedArrayName(value)}[`);
    if (types.isAnyArrayBuffer(value)) return writeHex('A', new Uint8Array(value), sink);
    if (types.isDataView(value)) return writeHex('V', new Uint8Array(value.buffer, value.byteOffset, value.byteLength), sink);
    if (types.isBoxedPrimitive(value)) {
      sink('o');
      return this.write((value as { valueOf(): unknown }).valueOf(), sink);
    }
    if (types.isNativeError(value)) return sink(`E${JSON.stringify((value as Error).name)}${JSON.stringify((value as Error).message)}`);
    if (types.isPromise(value) || types.isWeakMap(value) || types.isWeakSet(value) || value instanceof WeakRef) {
      // Their contents cannot be read synchronously (or at all): every instance would key alike.
      this.#refuse(`a ${Object.prototype.toString.call(value).slice(8, -1)}`);
    }
    const getState = (value as { [keyState]?: unknown })[keyState];
    const proto: unknown = Object.getPrototypeOf(value);
    // Object.prototype of any realm has a null prototype itself; anything else is a class.
    const plain = proto === null || Object.getPrototypeOf(proto) === null;
    if (plain && typeof getState !== 'function') return this.#writeFields(value, sink);
    sink(`c${JSON.stringify(className(value))}`);
    if (typeof getState === 'function') {
      this.#path.push('[keyState]()');
      try {
        return this.write(getState.call(value), sink);
      } finally {
        this.#path.pop();
      }
    }
    return this.#writeFields(value, sink);
  }

  #writeList(list: ArrayLike<unknown>, sink: CanonicalSink, open: string): void {
    sink(open);
    for (let i = 0; i < list.length; i++) {
      if (i > 0) sink(',');
      this.#path.push(`[${i}]`);
      this.write(list[i], sink);
      this.#path.pop();
    }
    sink(']');
  }

  #writeFields(value: object, sink: CanonicalSink): void {
    const names = Object.keys(value).sort();
    sink('{');
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      if (i > 0) sink(',');
      sink(`${JSON.stringify(name)}:`);
      this.#path.push(`.${name}`);
      this.write((value as Record<string, unknown>)[name], sink);
      this.#path.pop();
    }
    sink('}');
  }

  #writeMap(map: Map<unknown, unknown>, sink: CanonicalSink): void {
    const entries: Array<[string, unknown]> = [];
    let i = 0;
    for (const [k, v] of map) {
      this.#path.push(`.<key ${i++}>`);
      entries.push([this.text(k), v]);
      this.#path.pop();
    }
    // Two distinct keys can have equal text (two objects with the same state); their values
    // then decide the order, so the result still does not depend on insertion order.
    const rows = entries.map(([k, v]) => {
      this.#path.push(`.get(${abbreviate(k)})`);
      const row = `${k}=>${this.text(v)}`;
      this.#path.pop();
      return row;
    });
    this.#writeSorted('M{', rows, '}', sink);
  }

  #writeSet(set: Set<unknown>, sink: CanonicalSink): void {
    const rows: string[] = [];
    let i = 0;
    for (const element of set) {
      this.#path.push(`.<element ${i++}>`);
      rows.push(this.text(element));
      this.#path.pop();
    }
    this.#writeSorted('S[', rows, ']', sink);
  }

  #writeSorted(open: string, rows: string[], close: string, sink: CanonicalSink): void {
    rows.sort(compareCodeUnits);
    sink(open);
    for (let i = 0; i < rows.length; i++) {
      if (i > 0) sink(',');
      sink(rows[i] as string);
    }
    sink(close);
  }

  #refuse(what: string): never {
    throw new TypeError(`canonicalKey: cannot make a stable key from ${what} at ${this.#path.join('')}`);
  }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function writeHex(tag: string, bytes: Uint8Array, sink: CanonicalSink): void {
  sink(`${tag}"`);
  for (let start = 0; start < bytes.length; start += BYTES_PER_CHUNK) {
    const piece = bytes.subarray(start, Math.min(bytes.length, start + BYTES_PER_CHUNK));
    sink(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('hex'));
  }
  sink('"');
}

function typedArrayName(value: object): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

function className(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'Object';
}

function abbreviate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Streams the canonical text of `value` into `sink`, piece by piece: what `StreamingKeyMaker`
 * hashes without ever holding the whole text.
 * @throws TypeError on a cycle, a function, an unregistered symbol, a Promise or a weak collection.
 */
export function writeCanonical(value: unknown, sink: CanonicalSink): void {
  new Canonicalizer().write(value, sink);
}

/**
 * The canonical text of `value`: equal for deeply equal values whatever the order their object
 * keys, Map entries or Set elements were added in, and different for different values.
 * @throws TypeError on a cycle, a function, an unregistered symbol, a Promise or a weak collection.
 */
export function canonicalKey(value: unknown): string {
  return new Canonicalizer().text(value);
}
