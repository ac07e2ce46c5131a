/**
 * Codecs turn values into bytes and back. Every record carries its codec's id, so a store
 * written with one codec and read with another fails clearly instead of decoding garbage.
 *
 * Where encoding runs (src/main/engine/batch-builder.ts): with the v8 codec, strings become UTF-8 on the
 * caller's thread and other values are serialized once per batch there and encoded one by one in
 * the worker; any other codec encodes each value on the caller's thread. Either way a value that
 * cannot be encoded is reported with its key before anything is written.
 */
import { serialize } from 'node:v8';
import { readV8 } from './format/v8-read.js';
import { Packr, type Options as PackrOptions } from 'msgpackr';

export interface Codec {
  /** Written into every record; 1–15 are larder's, 16–255 are free for `registerCodec`. */
  readonly id: number;
  readonly name: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
  /**
   * True when what `decode` returns shares no memory with the bytes it was given (it copies
   * whatever it keeps), so a store may decode straight from a buffer it reuses. Leave it out
   * when a decoded value may be a view of the bytes (a Buffer, a typed array): stores then
   * give `decode` bytes of their own.
   */
  readonly decodeCopies?: boolean;
}

export interface JsonCodecOptions {
  /** Passed to `JSON.stringify` as its replacer. */
  replacer?: (this: unknown, key: string, value: unknown) => unknown;
  /** Passed to `JSON.parse` as its reviver. */
  reviver?: (this: unknown, key: string, value: unknown) => unknown;
  /**
   * Refuse values JSON would silently turn into something else: Map and Set (→ `{}`), typed
   * arrays and ArrayBuffers, `undefined`, functions and symbols (dropped, or `null` in arrays),
   * NaN and ±Infinity (→ `null`), BigInt. Objects with `toJSON` (Date, Buffer) are written as
   * `toJSON` says, and read back as that (a string, `{ type: 'Buffer', data }`).
   * Checked after `replacer`, so a replacer that drops a property by returning undefined needs
   * `strict: false`.
   * @default true
   */
  strict?: boolean;
}

/** Runs after the caller's replacer: a value JSON cannot carry faithfully is an error, not a silent change. */
function strictJsonValue(key: string, value: unknown): unknown {
  const refuse = (what: string): never => {
    throw new TypeError(`${what}${key === '' ? '' : ` at key ${JSON.stringify(key)}`} has no faithful JSON form (use the v8 or msgpack codec)`);
  };
  switch (typeof value) {
    case 'undefined':
    case 'function':
    case 'symbol':
    case 'bigint':
      return refuse(typeof value);
    case 'number':
      return Number.isFinite(value) ? value : refuse(String(value));
    case 'object':
      if (value instanceof Map || value instanceof Set) return refuse(value.constructor.name);
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return refuse('binary data');
      return value;
    default:
      return value;
  }
}

export const v8Codec: Codec = Object.freeze({
  id: 1,
  name: 'v8',
  encode: (value: unknown) => serialize(value),
  // Plain data by our own reader (v8-read.ts: 2.5× faster), anything else by v8.deserialize;
  // either way nothing decoded shares the bytes (readV8 hands v8.deserialize a copy).
  decode: (bytes: Uint8Array) => readV8(bytes),
  decodeCopies: true,
});

/**
 * Strings as UTF-8. With the v8 codec the engine writes every string that UTF-8 carries exactly
 * this way (no serialization on either thread); as a store's codec it takes strings only.
 */
export const utf8Codec: Codec = Object.freeze({
  id: 4,
  name: 'utf8',
  encode(value: unknown) {
    if (typeof value !== 'string') throw new TypeError(`the utf8 codec takes strings only, received ${typeof value}`);
    if (!value.isWellFormed()) throw new TypeError('the string has a lone surrogate, which UTF-8 cannot carry (use the v8 codec)');
    return Buffer.from(value, 'utf8');
  },
  // A Buffer (what every store reads into) is decoded as it is: `toString()` with no arguments goes
  // straight to UTF-8, 0.06 µs per 1 KB string faster than a new Buffer view and `toString('utf8')`.
  decode: (bytes: Uint8Array) => (bytes instanceof Buffer ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString(),
  decodeCopies: true,
});

export function createJsonCodec(options: JsonCodecOptions = {}): Codec {
  const { replacer, reviver, strict = true } = options;
  const write = !strict
    ? replacer
    : replacer === undefined
      ? strictJsonValue
      : function (this: unknown, key: string, value: unknown): unknown {
          return strictJsonValue(key, replacer.call(this, key, value));
        };
  return Object.freeze({
    id: 2,
    name: 'json',
    encode(value: unknown) {
      const text = JSON.stringify(value, write);
      // JSON.stringify answers undefined (not an error) for functions, symbols and undefined.
      if (text === undefined) throw new TypeError(`value of type ${typeof value} has no JSON form`);
      return Buffer.from(text, 'utf8');
    },
    // The reviver sees parsed values only: the bytes are a string by then.
    decode: (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), reviver),
    decodeCopies: true,
  });
}

/**
 * msgpackr options (`structuredClone`, `useRecords`, …). Defaults: `structuredClone: true`, and
 * `writeFunction` refuses functions (msgpackr would write them as undefined, losing them silently).
 */
export type MsgpackCodecOptions = PackrOptions;

const refuseFunction = (): never => {
  throw new TypeError('a function cannot be serialized by msgpack');
};

export function createMsgpackCodec(options: MsgpackCodecOptions = {}): Codec {
  const packr = new Packr({ structuredClone: true, writeFunction: refuseFunction, ...options });
  return Object.freeze({
    id: 3,
    name: 'msgpack',
    encode: (value: unknown) => packr.pack(value),
    // Binary data comes back as views of the bytes (msgpackr's default): no `decodeCopies`.
    decode: (bytes: Uint8Array) => packr.unpack(bytes),
  });
}

const byName = new Map<string, Codec>();
const byId = new Map<number, Codec>();

function validateCodec(codec: Codec): void {
  if (typeof codec !== 'object' || codec === null) throw new TypeError(`codec must be an object, received ${String(codec)}`);
  if (!Number.isInteger(codec.id) || codec.id < 1 || codec.id > 255) {
    throw new RangeError(`codec.id must be an integer from 1 to 255, received ${String(codec.id)}`);
  }
  if (typeof codec.name !== 'string' || codec.name === '') throw new TypeError(`codec.name must be a non-empty string, received ${String(codec.name)}`);
  if (typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new TypeError(`codec ${codec.name} must have encode and decode functions`);
  }
}

/** Makes a codec available by name and id to every store in this thread. */
export function registerCodec(codec: Codec): Codec {
  validateCodec(codec);
  const clash = byId.get(codec.id);
  if (clash !== undefined && clash.name !== codec.name) {
    throw new RangeError(`codec id ${codec.id} is already taken by ${clash.name}`);
  }
  byName.set(codec.name, codec);
  byId.set(codec.id, codec);
  return codec;
}

registerCodec(v8Codec);
registerCodec(createJsonCodec());
registerCodec(createMsgpackCodec());
registerCodec(utf8Codec);

/**
 * A codec by name or id, or a codec object as given (a store's own configured instance,
 * for example JSON with a reviver; it is not made global).
 */
export function resolveCodec(codec: string | number | Codec): Codec {
  if (typeof codec === 'object' && codec !== null) {
    validateCodec(codec);
    return codec;
  }
  const found = typeof codec === 'number' ? byId.get(codec) : byName.get(codec);
  if (found === undefined) {
    throw new RangeError(`codec must be one of ${[...byName.keys()].join(', ')} or a registered codec, received ${String(codec)}`);
  }
  return found;
}

export function codecById(id: number): Codec | undefined {
  return byId.get(id);
}
