/**
 * CRC-32 (zlib's polynomial) for every checksum larder writes or checks: `@node-rs/crc32` (SIMD,
 * carry-less multiply) where its prebuilt binary loads, else `node:zlib`'s — the same function.
 *
 * Measured (AMD EPYC VM, Node 20.20, one 1 KB buffer per call): zlib 0.27 µs, @node-rs/crc32 0.13.
 * Every cold read checks one such CRC, and that was a fifth of its time (bench/README.md, "cold
 * reads, overnight"). It is an optional dependency: a platform without a prebuilt binary, or an
 * install that skipped optional packages, gets zlib's.
 */
import { createRequire } from 'node:module';
import { crc32 as zlibCrc32 } from 'node:zlib';

/** The CRC-32 of `bytes`, continuing from `initial` (a previous result; 0 to start). */
export type Crc32 = (bytes: Uint8Array, initial?: number) => number;

function loadNative(): Crc32 | undefined {
  try {
    const native = (createRequire(import.meta.url)('@node-rs/crc32') as { crc32?: unknown }).crc32;
    return typeof native === 'function' ? (native as Crc32) : undefined;
  } catch {
    return undefined;
  }
}

/** The native implementation, when it loaded (tests compare it with zlib's). */
export const nativeCrc32: Crc32 | undefined = loadNative();

export { zlibCrc32 };

export const crc32: Crc32 = nativeCrc32 ?? zlibCrc32;
