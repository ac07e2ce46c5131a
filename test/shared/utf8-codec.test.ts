/**
 * The utf8 codec decodes a Buffer as it is and any other Uint8Array through a Buffer view of
 * its bytes (src/shared/codecs.ts): both must give exactly what UTF-8 decoding gives, a leading
 * byte-order mark and malformed bytes included, from wherever the bytes lie in their memory.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Codec } from '../../src/shared/codecs.js';

describe('utf8 codec', () => {
  it('decodes any bytes, as a Buffer or a plain view at an offset, as UTF-8 decoding does', () => {
    const bytes = fc.oneof(
      fc.string({ unit: 'grapheme' }).map((text) => Buffer.from(text, 'utf8')),
      fc.uint8Array({ maxLength: 300 }).map((raw) => Buffer.from(raw)),
      fc.string().map((text) => Buffer.from(`\uFEFF${text}`, 'utf8')),
    );
    fc.assert(
      fc.property(bytes, fc.nat(16), (buf, before) => {
        const expected = new TextDecoder('utf-8', { ignoreBOM: true }).decode(buf);
        const memory = new Uint8Array(before + buf.length);
        memory.set(buf, before);
        expect(utf8Codec.decode(buf)).toBe(expected);
        expect(utf8Codec.decode(new Uint8Array(memory.buffer, before, buf.length))).toBe(expected);
        expect(utf8Codec.decode(Buffer.from(memory.buffer, before, buf.length))).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips every well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(utf8Codec.decode(utf8Codec.encode(text))).toBe(text);
      }),
    );
  });
});
