/**
 * Splits one `v8.serialize(array)` into its top-level elements without decoding them, so that a
 * writer can store each element as the header of that buffer followed by the element's own bytes
 * (what `v8.serialize(element)` would have given, up to object numbering and padding, neither of
 * which a reader depends on once no back-reference is involved).
 *
 * The scan walks V8's wire format (src/objects/value-serializer.cc, format versions 13–15) and
 * Node's host-object layout for ArrayBufferViews (lib/v8.js `_writeHostObject`). It only ever
 * vouches for what it can prove:
 * - an element containing an object back-reference (`^` id) is not standalone: ids number the
 *   objects of the WHOLE buffer, and a slice renumbers its own from 0;
 * - a tag it does not know (a newer V8 or Node) means it cannot find where that element ends, so
 *   that element and every later one are not standalone;
 * - a buffer that is not a dense array of exactly its elements (no extra properties, trailing
 *   bytes, another header version) is not split at all.
 * A caller falls back to `v8.serialize(element)` for each element not vouched for.
 */
import { serialize } from 'node:v8';

/** `ranges[2i]`, `ranges[2i + 1]`: element i's bytes `[start, end)`, or both -1 when not standalone. */
export interface V8Split {
  /** Bytes of the buffer's own header (0xFF, version varint): prefix them to every range. */
  headerLength: number;
  ranges: Int32Array;
}

// Tags, as value-serializer.cc names them (checked against it, not guessed).
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
const BIGINT = 0x5a; // 'Z'
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
const TRUE_OBJECT = 0x79; // 'y'
const FALSE_OBJECT = 0x78; // 'x'
const NUMBER_OBJECT = 0x6e; // 'n'
const BIGINT_OBJECT = 0x7a; // 'z'
const STRING_OBJECT = 0x73; // 's'
const REGEXP = 0x52; // 'R'
const BEGIN_MAP = 0x3b; // ';'
const END_MAP = 0x3a; // ':'
const BEGIN_SET = 0x27; // "'"
const END_SET = 0x2c; // ','
const ARRAY_BUFFER = 0x42; // 'B'
const RESIZABLE_ARRAY_BUFFER = 0x7e; // '~'
const ARRAY_BUFFER_VIEW = 0x56; // 'V'
const HOST_OBJECT = 0x5c; // '\\'
const ERROR = 0x72; // 'r'
// Error sub-tags (read as one-byte varints, never preceded by padding).
const ERROR_EVAL = 0x45; // 'E'
const ERROR_RANGE = 0x52; // 'R'
const ERROR_REFERENCE = 0x46; // 'F'
const ERROR_SYNTAX = 0x53; // 'S'
const ERROR_TYPE = 0x54; // 'T'
const ERROR_URI = 0x55; // 'U'
const ERROR_MESSAGE = 0x6d; // 'm'
const ERROR_CAUSE = 0x63; // 'c'
const ERROR_STACK = 0x73; // 's'
const ERROR_END = 0x2e; // '.'

const MIN_VERSION = 13; // explicit host-object tag
const MAX_VERSION = 15;
/** Node's host-object type indices for ArrayBufferViews (Int8Array … BigUint64Array, DataView, Buffer). */
const MAX_HOST_TYPE = 12;

// Scanner state, module-wide: a scan allocates nothing per element and never re-enters.
let buf: Uint8Array = new Uint8Array(0);
let pos = 0;
let end = 0;
let sawReference = false;
let hostLayoutKnown: boolean | undefined;

/**
 * Where each element of `v8.serialize(array)` lies in `buffer`, or undefined when `buffer` is not
 * a dense array this scan can read (the caller then decodes it whole, as before).
 */
export function splitV8Array(buffer: Uint8Array): V8Split | undefined {
  hostLayoutKnown ??= checkHostLayout();
  buf = buffer;
  end = buffer.length;
  pos = 0;
  try {
    return scanArray();
  } finally {
    buf = EMPTY;
  }
}

const EMPTY = new Uint8Array(0);

function scanArray(): V8Split | undefined {
  if (end < 2 || buf[0] !== VERSION) return undefined;
  pos = 1;
  const version = varint();
  if (version < MIN_VERSION || version > MAX_VERSION) return undefined;
  const headerLength = pos;
  if (nextTag() !== BEGIN_DENSE_ARRAY) return undefined;
  const length = varint();
  // Each element takes at least one byte: a larger length is not an array we wrote.
  if (length < 0 || length > end - pos) return undefined;
  const ranges = new Int32Array(2 * length).fill(-1);
  let i = 0;
  for (; i < length; i++) {
    const start = pos;
    if (peekTag() === THE_HOLE) {
      nextTag();
      continue; // a hole: left not standalone (its value is undefined either way)
    }
    sawReference = false;
    let known: boolean;
    try {
      known = value();
    } catch {
      known = false; // nesting deeper than this thread's stack: give up on the rest, safely
    }
    if (!known) break;
    if (!sawReference) {
      ranges[2 * i] = start;
      ranges[2 * i + 1] = pos;
    }
  }
  if (i < length) {
    // From here on the element boundaries are unknown: every later element is not standalone.
    ranges.fill(-1, 2 * i);
    return { headerLength, ranges };
  }
  // The array must end right here, with no properties of its own and the length it began with.
  if (nextTag() !== END_DENSE_ARRAY || varint() !== 0 || varint() !== length || pos !== end) return undefined;
  return { headerLength, ranges };
}

/** Skips one value; false when it holds something this scan does not know (then `pos` is meaningless). */
function value(): boolean {
  const tag = nextTag();
  switch (tag) {
    case VERIFY_OBJECT_COUNT:
      return varint() >= 0 && value();
    case UNDEFINED:
    case NULL:
    case TRUE:
    case FALSE:
    case TRUE_OBJECT:
    case FALSE_OBJECT:
      return true;
    case INT32:
    case UINT32:
      return varint() >= 0;
    case DOUBLE:
    case DATE:
    case NUMBER_OBJECT:
      return skip(8);
    case BIGINT:
    case BIGINT_OBJECT:
      return bigint();
    case UTF8_STRING:
    case ONE_BYTE_STRING:
    case TWO_BYTE_STRING:
      return skip(varint());
    case STRING_OBJECT:
      return string();
    case REGEXP:
      return string() && varint() >= 0;
    case OBJECT_REFERENCE:
      sawReference = true;
      return varint() >= 0;
    case BEGIN_OBJECT:
      return pairs(END_OBJECT) && varint() >= 0;
    case BEGIN_DENSE_ARRAY: {
      const length = varint();
      if (length < 0) return false;
      for (let i = 0; i < length; i++) {
        if (peekTag() === THE_HOLE) nextTag();
        else if (!value()) return false;
      }
      return pairs(END_DENSE_ARRAY) && varint() >= 0 && varint() >= 0;
    }
    case BEGIN_SPARSE_ARRAY:
      return varint() >= 0 && pairs(END_SPARSE_ARRAY) && varint() >= 0 && varint() >= 0;
    case BEGIN_MAP:
      return pairs(END_MAP) && varint() >= 0;
    case BEGIN_SET:
      while (peekTag() !== END_SET) if (!value()) return false;
      nextTag();
      return varint() >= 0;
    case ARRAY_BUFFER:
      return skip(varint()) && notView();
    case RESIZABLE_ARRAY_BUFFER: {
      const length = varint();
      return varint() >= 0 && skip(length) && notView();
    }
    case HOST_OBJECT: {
      if (hostLayoutKnown !== true) return false;
      const type = varint();
      return type >= 0 && type <= MAX_HOST_TYPE && skip(varint());
    }
    case ERROR:
      return error();
    default:
      // Unknown to this scan (or the end of the buffer): wasm, shared objects, transfers, a newer tag.
      return false;
  }
}

/** Key/value pairs (or a Map's entries) up to `endTag`, which is consumed. */
function pairs(endTag: number): boolean {
  for (;;) {
    const tag = peekTag();
    if (tag === endTag) {
      nextTag();
      return true;
    }
    if (tag < 0 || !value() || !value()) return false;
  }
}

/** A value that must be a string (RegExp source, String object, error message and stack). */
function string(): boolean {
  const tag = nextTag();
  if (tag !== UTF8_STRING && tag !== ONE_BYTE_STRING && tag !== TWO_BYTE_STRING) return false;
  return skip(varint());
}

function bigint(): boolean {
  const bitfield = varint();
  // Bit 0 is the sign, bits 1–30 the digits' length in bytes.
  return bitfield >= 0 && skip((bitfield >>> 1) & 0x3fffffff);
}

function error(): boolean {
  for (;;) {
    if (pos >= end) return false;
    const sub = buf[pos++] as number;
    switch (sub) {
      case ERROR_EVAL:
      case ERROR_RANGE:
      case ERROR_REFERENCE:
      case ERROR_SYNTAX:
      case ERROR_TYPE:
      case ERROR_URI:
        break;
      case ERROR_MESSAGE:
      case ERROR_STACK:
        if (!string()) return false;
        break;
      case ERROR_CAUSE:
        if (!value()) return false;
        break;
      case ERROR_END:
        return true;
      default:
        return false;
    }
  }
}

/**
 * V8 reads an ArrayBufferView right after the buffer it views. Node writes views as host objects,
 * so one here means a layout this scan does not know.
 */
function notView(): boolean {
  return peekTag() !== ARRAY_BUFFER_VIEW;
}

/** The next tag, consumed, padding skipped; -1 at the end. */
function nextTag(): number {
  while (pos < end) {
    const tag = buf[pos++] as number;
    if (tag !== PADDING) return tag;
  }
  return -1;
}

/** The next tag, not consumed, padding skipped; -1 at the end. */
function peekTag(): number {
  let at = pos;
  while (at < end) {
    const tag = buf[at++] as number;
    if (tag !== PADDING) return tag;
  }
  return -1;
}

/** A uint32 LEB128 varint; -1 when truncated or longer than a uint32's five bytes. */
function varint(): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) return -1;
    const byte = buf[pos++] as number;
    result += (byte & 0x7f) * scale;
    if (byte < 0x80) return result > 0xffffffff ? -1 : result;
    scale *= 128;
  }
  return -1;
}

function skip(bytes: number): boolean {
  if (bytes < 0 || bytes > end - pos) return false;
  pos += bytes;
  return true;
}

/**
 * Node's ArrayBufferView layout is Node's, not V8's: confirm once, in this very process, that it
 * is type index, byte length, raw bytes (lib/v8.js `_writeHostObject`). Otherwise host objects
 * are treated as unknown.
 */
function checkHostLayout(): boolean {
  const sample = serialize([Buffer.from([7, 8, 9]), new Uint8Array([5])]);
  const at = sample.indexOf(BEGIN_DENSE_ARRAY);
  const expected = [BEGIN_DENSE_ARRAY, 2, HOST_OBJECT, 10, 3, 7, 8, 9, HOST_OBJECT, 1, 1, 5, END_DENSE_ARRAY, 0, 2];
  return at > 0 && sample.length === at + expected.length && expected.every((byte, i) => sample[at + i] === byte);
}
