import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEADER_SIZE, RecordKind, decodeRecord, encodeRecord, writeRecord, recordSize } from '../../src/shared/format/record.js';

const meta = { kind: RecordKind.put, codec: 1, createdAt: 1_700_000_000_123, expiresAt: 0 } as const;

describe('record framing', () => {
  it('round-trips key, value and metadata', () => {
    const value = Buffer.from('hello world');
    const buf = encodeRecord('ключ', value, meta);
    expect(buf.length).toBe(recordSize(Buffer.byteLength('ключ'), value.length));
    const decoded = decodeRecord(buf);
    expect(decoded.status).toBe('ok');
    if (decoded.status !== 'ok') return;
    expect(decoded.record).toMatchObject({ key: 'ключ', kind: RecordKind.put, codec: 1, createdAt: meta.createdAt, expiresAt: 0, size: buf.length });
    expect(Buffer.from(decoded.record.value).toString()).toBe('hello world');
  });

  it('frames many records back to back', () => {
    const records = ['a', 'bb', 'ccc'].map((k) => ({ key: Buffer.from(k), value: Buffer.from(k.repeat(10)) }));
    const total = records.reduce((n, r) => n + recordSize(r.key.length, r.value.length), 0);
    const buf = Buffer.alloc(total);
    let offset = 0;
    for (const r of records) offset = writeRecord(buf, offset, r.key, r.value, meta);
    expect(offset).toBe(total);
    const keys: string[] = [];
    for (let at = 0; at < buf.length; ) {
      const d = decodeRecord(buf, at);
      if (d.status !== 'ok') throw new Error(d.status);
      keys.push(d.record.key);
      at += d.record.size;
    }
    expect(keys).toEqual(['a', 'bb', 'ccc']);
  });

  it('stores the CRC-32 of header, key and value (any key length: table and zlib paths), and decodes what it framed', () => {
    // The format's checksum is plain CRC-32 over bytes 0..31 and everything after the checksum field,
    // however it is computed: by table for the header and short keys, by zlib for the rest.
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 120 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.constantFrom(RecordKind.put, RecordKind.delete),
        fc.double({ noNaN: true }),
        fc.nat({ max: 200 }),
        (key, value, kind, createdAt, at) => {
          const buf = Buffer.alloc(at + recordSize(Buffer.byteLength(key), value.length));
          const end = writeRecord(buf, at, key, value, { kind, codec: 7, createdAt, expiresAt: 0 });
          expect(end).toBe(buf.length);
          const record = buf.subarray(at);
          expect(record.readUInt32LE(32)).toBe(crc32(Buffer.concat([record.subarray(0, 32), record.subarray(36)])));
          const decoded = decodeRecord(buf, at);
          expect(decoded.status).toBe('ok');
          if (decoded.status !== 'ok') return;
          expect(decoded.record.key).toBe(key);
          expect(Buffer.from(decoded.record.value).equals(Buffer.from(value))).toBe(true);
          expect(decoded.record.kind).toBe(kind);
          expect(Object.is(decoded.record.createdAt, createdAt)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('answers the key a reader expected only when the record spells it, and the key it holds otherwise', () => {
    // A read passes the key it looked up; any other key (one character off, another length,
    // non-ASCII, a lone surrogate UTF-8 cannot carry) must come back as the record's own.
    const nearby = (key: string) =>
      fc.oneof(
        fc.constant(key),
        fc.constant(key.slice(0, -1)),
        fc.constant(`${key}x`),
        fc.nat({ max: Math.max(0, key.length - 1) }).chain((i) => fc.constantFrom('a', 'é', '\ud800', '😀').map((c) => key.slice(0, i) + c + key.slice(i + 1))),
        fc.string({ unit: 'binary', maxLength: 80 }),
      );
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 })).chain((key) => fc.tuple(fc.constant(key), nearby(key))),
        ([key, expected]) => {
          const buf = encodeRecord(key, Buffer.from('v'), meta);
          const decoded = decodeRecord(buf, 0, undefined, expected);
          if (decoded.status !== 'ok') throw new Error(decoded.status);
          const held = buf.toString('utf8', HEADER_SIZE, HEADER_SIZE + buf.readUInt32LE(24));
          expect(decoded.record.key).toBe(held);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('checksums a delete whose empty value views an empty ArrayBuffer (zlib.crc32 answers 0 for those)', () => {
    const empty = new Uint8Array(new ArrayBuffer(0));
    const buf = Buffer.alloc(recordSize(3, 0));
    writeRecord(buf, 0, 'key', empty, { ...meta, kind: RecordKind.delete });
    expect(buf.readUInt32LE(32)).toBe(crc32(Buffer.concat([buf.subarray(0, 32), buf.subarray(36)])));
    expect(decodeRecord(buf).status).toBe('ok');
  });

  it('detects every single-bit flip anywhere in the record', () => {
    const buf = encodeRecord('key', Buffer.from('value bytes'), meta);
    for (let byte = 0; byte < buf.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = Buffer.from(buf);
        copy[byte] = (copy[byte] as number) ^ (1 << bit);
        expect(decodeRecord(copy).status, `byte ${byte} bit ${bit}`).not.toBe('ok');
      }
    }
  });

  it('reports a torn tail as truncated, with how much is missing', () => {
    const buf = encodeRecord('key', Buffer.alloc(100, 7), meta);
    expect(decodeRecord(buf.subarray(0, 10))).toEqual({ status: 'truncated', needed: HEADER_SIZE - 10 });
    expect(decodeRecord(buf.subarray(0, buf.length - 1))).toEqual({ status: 'truncated', needed: 1 });
  });

  it('treats an unknown codec as unsupported, not corrupt', () => {
    const buf = encodeRecord('key', Buffer.from('x'), { ...meta, codec: 200 });
    const decoded = decodeRecord(buf, 0, (id) => id === 1);
    expect(decoded).toMatchObject({ status: 'unsupported', reason: 'codec id 200', size: buf.length });
  });
});
