/**
 * Turns the bytes of one record into a stored entry, for every disk store's read side:
 * checks the frame (magic, lengths, checksum, version, codec), the key, and expiry. A record
 * that fails any check is a miss; a damaged one is also reported (`ERR_CORRUPT_RECORD`).
 */
import { codecById, type Codec } from '../../shared/codecs.js';
import { RecordFrame, RecordKind, checkRecord, frameHasKey, frameKey } from '../../shared/format/record.js';
import { CorruptRecordError, type LarderError } from '../core/errors.js';
import type { Timers } from '../core/timers.js';
import type { StoredEntry, StoredMeta } from './engine-store.js';

/** What a read needs besides the bytes: a store passes its `StoreContext`. */
export interface ReadContext {
  codec: Codec;
  /** The clock expiry is judged by; asked only for a record that expires. */
  timers: Pick<Timers, 'now'>;
  report(error: LarderError): void;
}

function codecFor(id: number, preferred: Codec): Codec | undefined {
  return id === preferred.id ? preferred : codecById(id);
}

/**
 * Where a record is, for error messages: a string, or a function that makes one only when a
 * record turns out bad (the `log` store's path@offset cost ~0.4 µs per read to build).
 */
export type RecordLocation = string | (() => string);

const describe = (location: RecordLocation): string => (typeof location === 'string' ? location : location());

/**
 * The frame every read checks into. Reads are synchronous, but a codec's `decode` may run user
 * code that reads again: everything a read needs from the frame is taken before it decodes.
 */
const frame = new RecordFrame();

/**
 * Checks the record for `key` at `offset` into `frame` (frame, checksum, codec, key; not expiry):
 * the codec of its value, or undefined for a delete or a bad record (reported). The value is left
 * undecoded.
 */
function checkFor(buf: Buffer, offset: number, key: string, location: RecordLocation, ctx: ReadContext): Codec | undefined {
  const status = checkRecord(buf, offset, frame);
  let problem: string | undefined;
  let codec: Codec | undefined;
  if (status !== 'ok') problem = status === 'truncated' ? `truncated (${frame.needed} bytes missing)` : frame.reason;
  else if (frame.kind === RecordKind.put && (codec = codecFor(frame.codec, ctx.codec)) === undefined) problem = `codec id ${frame.codec}`;
  else if (!frameHasKey(buf, frame, key)) problem = `holds key ${JSON.stringify(frameKey(buf, frame).slice(0, 80))}`;
  if (problem === undefined) return codec; // undefined for a delete
  ctx.report(new CorruptRecordError(key, describe(location), problem));
  return undefined;
}

const expired = (expiresAt: number, ctx: ReadContext): boolean => expiresAt !== 0 && expiresAt <= ctx.timers.now();

/** A record's metadata, expired or not, without decoding its value (`has`, `prune`). */
export function readStoredMeta(buf: Buffer, offset: number, key: string, location: RecordLocation, ctx: ReadContext): StoredMeta | undefined {
  return checkFor(buf, offset, key, location, ctx) !== undefined ? { createdAt: frame.createdAt, expiresAt: frame.expiresAt, size: frame.value.length } : undefined;
}

/**
 * The entry for `key` from the record at `offset`. `reused`: `buf` is a buffer the store reuses,
 * so a value is decoded from a copy of its own unless its codec's results keep nothing of the
 * bytes (`Codec.decodeCopies`).
 */
export function readStoredEntry(buf: Buffer, offset: number, key: string, location: RecordLocation, ctx: ReadContext, reused = false): StoredEntry | undefined {
  const codec = checkFor(buf, offset, key, location, ctx);
  if (codec === undefined) return undefined;
  const { createdAt, expiresAt, value: bytes } = frame;
  if (expired(expiresAt, ctx)) return undefined;
  let value: unknown;
  try {
    value = codec.decode(reused && codec.decodeCopies !== true ? Buffer.from(bytes) : bytes);
  } catch (error) {
    ctx.report(new CorruptRecordError(key, describe(location), `value does not decode: ${(error as Error).message}`));
    return undefined;
  }
  return { value, createdAt, expiresAt, size: bytes.length };
}
