/**
 * The native CRC-32 (`@node-rs/crc32`) must be zlib's function exactly: every record, hint file and
 * outbox entry written with one is checked with the other on a machine without the binary.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, nativeCrc32, zlibCrc32 } from '../../src/shared/format/crc32.js';

/** Bytes at a random place inside a larger ArrayBuffer: plain views, as the log writer hands them over. */
const views = fc
  .tuple(fc.uint8Array({ maxLength: 5000 }), fc.nat(64), fc.nat(64))
  .map(([bytes, before, after]) => {
    const memory = new Uint8Array(before + bytes.length + after).fill(0xa5);
    memory.set(bytes, before);
    return new Uint8Array(memory.buffer, before, bytes.length);
  });

describe('crc32', () => {
  it('loads the native implementation where a prebuilt binary exists (Linux x64: CI must not fall back silently)', () => {
    if (process.platform === 'linux' && process.arch === 'x64') expect(nativeCrc32).toBeTypeOf('function');
    expect(crc32).toBe(nativeCrc32 ?? zlibCrc32);
  });

  it('gives what zlib gives, for any bytes and any running value', () => {
    const native = nativeCrc32;
    if (native === undefined) return void console.log('crc32: no native binary on this platform; zlib is used and nothing to compare');
    fc.assert(
      fc.property(views, fc.integer({ min: 0, max: 0xffffffff }), (bytes, initial) => {
        // Nothing more to checksum leaves the running value as it is. (zlib answers 0 instead for an
        // empty view of an empty ArrayBuffer, a quirk record.ts steps around: it skips empty values.)
        const expected = bytes.length === 0 ? initial : zlibCrc32(bytes, initial);
        expect(native(bytes)).toBe(zlibCrc32(bytes));
        expect(native(bytes, initial)).toBe(expected);
        expect(native(Buffer.from(bytes), initial)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('carries a running value across pieces as one pass over the whole would', () => {
    fc.assert(
      fc.property(views, fc.nat(5000), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        expect(crc32(bytes.subarray(at), crc32(bytes.subarray(0, at)))).toBe(zlibCrc32(bytes));
      }),
    );
  });
});
