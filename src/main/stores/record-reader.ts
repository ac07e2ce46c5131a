/**
 * Turns the bytes of one record into a stored entry, for every disk store's read side:
 * checks the frame (magic, lengths, checksum, version, codec), the key, and expiry. A record
 * that fails any check is a miss; a damaged one is also reported (`ERR_CORRUPT_RECORD`).
 */
import { codecById, type Codec } from '../../shared/codecs.js';
import { RecordKind, decodeRecord, type DecodedRecord } from '../../shared/format/record.js';
import { CorruptRecordError, type LarderError } from '../core/errors.js';
import type { StoredEntry, StoredMeta } from './engine-store.js';

export interface ReadContext {
  codec: Codec;
  now: number;
  report(error: LarderError): void;
  /**
   * The bytes are a buffer the store reuses: a value is then decoded from a copy of its own,
   * unless its codec's results keep nothing of the bytes (`Codec.decodeCopies`).
   */
  reused?: boolean;
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
 * The checked record for `key` at `offset` (frame, checksum, codec, key; not expiry), or
 * undefined for a delete or a bad record (reported). The value is left undecoded.
 */
function readCheckedRecord(buf: Buffer, offset: number, key: string, location: RecordLocation, ctx: ReadContext): DecodedRecord | undefined {
  const decoded = decodeRecord(buf, offset, (id) => codecFor(id, ctx.codec) !== undefined, key);
  if (decoded.status !== 'ok') {
    const reason = decoded.status === 'truncated' ? `truncated (${decoded.needed} bytes missing)` : decoded.reason;
    ctx.report(new CorruptRecordError(key, describe(location), reason));
    return undefined;
  }
  const record = decoded.record;
  if (record.key !== key) {
    ctx.report(new CorruptRecordError(key, describe(location), `holds key ${JSON.stringify(record.key.slice(0, 80))}`));
    return undefined;
  }
  return record.kind === RecordKind.delete ? undefined : record;
}

/** A record's metadata, expired or not, without decoding its value (`has`, `prune`). */
export function readStoredMeta(buf: Buffer, offset: number, key: string, location: RecordLocation, ctx: ReadContext): StoredMeta | undefined {
  const record = readCheckedRecord(buf, offset, key, location, ctx);
  return record === undefined ? undefined : { createdAt: record.createdAt, expiresAt: record.expiresAt, size: record.value.length };
}

export function readStoredEntry(buf: Buffer, offset: number, key: string, location: RecordLocation, ctx: ReadContext): StoredEntry | undefined {
  const record = readCheckedRecord(buf, offset, key, location, ctx);
  if (record === undefined) return undefined;
  if (record.expiresAt !== 0 && record.expiresAt <= ctx.now) return undefined;
  let value: unknown;
  try {
    const codec = codecFor(record.codec, ctx.codec) as Codec;
    value = codec.decode(ctx.reused === true && codec.decodeCopies !== true ? Buffer.from(record.value) : record.value);
  } catch (error) {
    ctx.report(new CorruptRecordError(key, describe(location), `value does not decode: ${(error as Error).message}`));
    return undefined;
  }
  return { value, createdAt: record.createdAt, expiresAt: record.expiresAt, size: record.value.length };
}
