/**
 * Decodes one `v8.serialize` output in plain JS where it can, and with `v8.deserialize` where it
 * cannot — with the same result either way. `v8.deserialize` builds a Deserializer object per
 * call: ~4 µs for a 1 KB object of a few fields here, more than lmdb-js's whole read of one,
 * so it was the floor of a cold read. This reader takes ~2 µs for the same value
 * (bench/v8-read.bench.ts).
 *
 * It reads what plain data is made of: primitives, strings, plain objects, dense and sparse
 * arrays (holes and extra properties kept), Dates, Maps, Sets, and back-references among them
 * (shared and cyclic values). Anything else — boxed primitives, BigInts, RegExps, errors,
 * ArrayBuffers, Node's Buffers and typed arrays, a newer format version, a truncated or
 * malformed buffer — sends the whole value to `v8.deserialize`, which then decodes it or throws
 * as it always did. Objects are numbered for back-references in the order the serializer gave
 * them ids, which is the order their begin tags appear.
 *
 * Properties are assigned, as JSON.parse does, except `__proto__`, which is defined (an own
 * property, as V8 makes it). Assignment differs from V8's definition only if a program has put a
 * setter for that very key on Object.prototype or Array.prototype, or replaced Map's `set` or
 * Set's `add` (V8 calls the originals). A value nested deeper than this thread's stack allows is
 * left to `v8.deserialize` too.
 */
import { deserialize } from 'node:v8';

// The tags this reader knows, from src/objects/value-serializer.cc (format versions 13–15), and
// below the cursor helpers (nextTag, peekTag, varint), kept here as in v8-split.ts rather than
// shared: run from source (tsx), an imported binding costs a getter call at each use, and with the
// tags shared the writer thread's scan ran three times slower (17 µs of CPU per entry, measured).
const PADDING = 0x00;
const VERSION = 0xff;
const VERIFY_OBJECT_COUNT = 0x3f; // '?'
const THE_HOLE = 0x2d; // '-'
const UNDEFINED = 0x5f; // '_'
const NULL = 0x30; // '0'
const TRUE = 0x54; // 'T'
const FALSE = 0x46; // 'F'
const INT32 = 0x49; // 'I'
const UINT32 = 0x55; // 'U'
const DOUBLE = 0x4e; // 'N'
const UTF8_STRING = 0x53; // 'S'
const ONE_BYTE_STRING = 0x22; // '"'
const TWO_BYTE_STRING = 0x63; // 'c'
const OBJECT_REFERENCE = 0x5e; // '^'
const BEGIN_OBJECT = 0x6f; // 'o'
const END_OBJECT = 0x7b; // '{'
const BEGIN_SPARSE_ARRAY = 0x61; // 'a'
const END_SPARSE_ARRAY = 0x40; // '@'
const BEGIN_DENSE_ARRAY = 0x41; // 'A'
const END_DENSE_ARRAY = 0x24; // '$'
const DATE = 0x44; // 'D'
const BEGIN_MAP = 0x3b; // ';'
const END_MAP = 0x3a; // ':'
const BEGIN_SET = 0x27; // "'"
const END_SET = 0x2c; // ','
const MIN_VERSION = 13;
const MAX_VERSION = 15;

/** Thrown inside the reader for anything it leaves to `v8.deserialize`; never escapes. */
const FALL_BACK = new Error('left to v8.deserialize');

// Reader state, module-wide: a read never re-enters (a value holds no code to run).
let buf: Buffer = Buffer.alloc(0);
let pos = 0;
let end = 0;
const objects: object[] = [];

/** What `tryReadV8` answers for a value it leaves to `v8.deserialize` (no value decodes to a symbol). */
export const LEFT_TO_V8: unique symbol = Symbol('left to v8.deserialize');

/**
 * The value `bytes` (one `v8.serialize` output) hold: what `v8.deserialize` gives, or its error.
 * Nothing returned shares memory with `bytes`: `v8.deserialize` makes Buffers and typed arrays
 * views of its input, so it is handed a copy (only values this reader leaves to it pay for that).
 */
export function readV8(bytes: Uint8Array): unknown {
  const result = tryReadV8(bytes);
  return result === LEFT_TO_V8 ? deserialize(Buffer.from(bytes)) : result;
}

/** The value, or LEFT_TO_V8 when it holds something this reader leaves to `v8.deserialize`. */
export function tryReadV8(bytes: Uint8Array): unknown {
  buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = 0;
  end = buf.length;
  try {
    if (end < 2 || buf[0] !== VERSION) return LEFT_TO_V8;
    pos = 1;
    const version = varint();
    if (version < MIN_VERSION || version > MAX_VERSION) return LEFT_TO_V8;
    return value();
  } catch (error) {
    // RangeError: the stack ran out on a deeply nested value (the only one this code can raise).
    if (error !== FALL_BACK && !(error instanceof RangeError)) throw error;
    return LEFT_TO_V8;
  } finally {
    buf = EMPTY;
    objects.length = 0;
  }
}

const EMPTY = Buffer.alloc(0);

function value(): unknown {
  const tag = nextTag();
  switch (tag) {
    case ONE_BYTE_STRING:
      return string('latin1');
    case TWO_BYTE_STRING:
      return string('utf16le');
    case UTF8_STRING:
      return string('utf8');
    case INT32: {
      const zigzag = varint();
      return (zigzag >>> 1) ^ -(zigzag & 1);
    }
    case UINT32:
      return varint();
    case DOUBLE:
      return double();
    case UNDEFINED:
      return undefined;
    case NULL:
      return null;
    case TRUE:
      return true;
    case FALSE:
      return false;
    case BEGIN_OBJECT:
      return object();
    case BEGIN_DENSE_ARRAY:
      return denseArray();
    case BEGIN_SPARSE_ARRAY:
      return sparseArray();
    case DATE: {
      const date = new Date(double());
      objects.push(date);
      return date;
    }
    case BEGIN_MAP:
      return map();
    case BEGIN_SET:
      return set();
    case OBJECT_REFERENCE: {
      const id = varint();
      if (id >= objects.length) throw FALL_BACK;
      return objects[id];
    }
    case VERIFY_OBJECT_COUNT:
      varint();
      return value();
    default:
      throw FALL_BACK;
  }
}

function object(): object {
  const result: Record<string, unknown> = {};
  objects.push(result);
  count(properties(result, END_OBJECT));
  return result;
}

function denseArray(): unknown[] {
  const length = varint();
  if (length > end - pos) throw FALL_BACK; // each element takes a byte at least
  const result = new Array<unknown>(length);
  objects.push(result);
  for (let i = 0; i < length; i++) {
    if (peekTag() === THE_HOLE) nextTag();
    else result[i] = value();
  }
  count(properties(result as unknown as Record<string, unknown>, END_DENSE_ARRAY));
  count(length);
  return result;
}

function sparseArray(): unknown[] {
  const length = varint();
  const result: unknown[] = [];
  objects.push(result);
  result.length = length;
  count(properties(result as unknown as Record<string, unknown>, END_SPARSE_ARRAY));
  count(length);
  return result;
}

function map(): Map<unknown, unknown> {
  const result = new Map<unknown, unknown>();
  objects.push(result);
  let read = 0;
  while (peekTag() !== END_MAP) {
    const key = value();
    result.set(key, value());
    read += 2;
  }
  nextTag();
  count(read);
  return result;
}

function set(): Set<unknown> {
  const result = new Set<unknown>();
  objects.push(result);
  let read = 0;
  for (; peekTag() !== END_SET; read++) result.add(value());
  nextTag();
  count(read);
  return result;
}

/** Key/value pairs up to `endTag` (consumed); how many. Keys are strings or numbers (array indices and the like). */
function properties(target: Record<string, unknown>, endTag: number): number {
  for (let read = 0; ; read++) {
    const tag = peekTag();
    if (tag === endTag) {
      nextTag();
      return read;
    }
    const key = propertyKey();
    // V8 refuses a key the object already has (a repeated key, an element's index, an array's
    // length): only a damaged buffer holds one.
    if (Object.hasOwn(target, key)) throw FALL_BACK;
    const v = value();
    if (key === '__proto__') Object.defineProperty(target, key, { value: v, writable: true, enumerable: true, configurable: true });
    else target[key] = v;
  }
}

/** The count that follows an end tag, which V8 checks against what it read (a mismatch throws there). */
function count(read: number): void {
  if (varint() !== read) throw FALL_BACK;
}

/**
 * Property names repeat from value to value: one read before is reused when its bytes match
 * (a hashed slot per name), so the object gets a name V8 has already internalized.
 */
const KEY_SLOTS = 1024;
const keyCache: Array<string | undefined> = new Array<string | undefined>(KEY_SLOTS).fill(undefined);

function propertyKey(): string {
  if (peekTag() === ONE_BYTE_STRING) {
    nextTag();
    const length = stringLength();
    return length <= SHORT ? cachedKey(length) : buf.toString('latin1', pos, (pos += length));
  }
  const key = value();
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return String(key);
  throw FALL_BACK;
}

function string(encoding: 'latin1' | 'utf16le' | 'utf8'): string {
  const length = stringLength();
  if (encoding === 'utf16le' && length % 2 !== 0) throw FALL_BACK;
  if (encoding === 'latin1' && length <= SHORT) return shortLatin1(length);
  return buf.toString(encoding, pos, (pos += length));
}

/** A string's byte length, which must fit in what is left (`toString` would silently cut it). */
function stringLength(): number {
  const length = varint();
  if (length > end - pos) throw FALL_BACK;
  return length;
}

function cachedKey(length: number): string {
  let hash = length;
  for (let i = pos; i < pos + length; i++) hash = (Math.imul(hash, 31) + (buf[i] as number)) | 0;
  const slot = hash & (KEY_SLOTS - 1);
  const cached = keyCache[slot];
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (cached.charCodeAt(i) !== buf[pos + i]) {
        same = false;
        break;
      }
    }
    if (same) {
      pos += length;
      return cached;
    }
  }
  const key = shortLatin1(length);
  keyCache[slot] = key;
  return key;
}

/**
 * Short one-byte strings (property names, most of all) by hand: `Buffer#toString`'s own cost per
 * call is several times a short string's.
 */
const SHORT = 16;
function shortLatin1(length: number): string {
  let result = '';
  for (let i = 0; i < length; i++) result += String.fromCharCode(buf[pos++] as number);
  return result;
}

function double(): number {
  if (end - pos < 8) throw FALL_BACK;
  const result = buf.readDoubleLE(pos);
  pos += 8;
  return result;
}

/** The next tag, consumed, padding skipped; -1 at the end. */
function nextTag(): number {
  while (pos < end) {
    const tag = buf[pos++] as number;
    if (tag !== PADDING) return tag;
  }
  return -1;
}

/** The next tag, not consumed, padding skipped; at the end the value is incomplete (left to v8.deserialize). */
function peekTag(): number {
  let at = pos;
  while (at < end) {
    const tag = buf[at++] as number;
    if (tag !== PADDING) return tag;
  }
  throw FALL_BACK;
}

/** A uint32 LEB128 varint. */
function varint(): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) throw FALL_BACK;
    const byte = buf[pos++] as number;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (result > 0xffffffff) throw FALL_BACK;
      return result;
    }
    scale *= 128;
  }
  throw FALL_BACK;
}
