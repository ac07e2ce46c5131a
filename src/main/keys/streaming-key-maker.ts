/**
 * The same keys as `HashKeyMaker`, made without building the whole canonical text: pieces are
 * fed to the hash as they are produced, so a key of many megabytes (a large array, a big
 * Buffer) never exists as one string. Measured as fast as `HashKeyMaker` on small keys and
 * 3–6× faster on a 200k-row key (no huge string to flatten and re-encode), so it is the default.
 */
import { createHash, type Hash } from 'node:crypto';
import { writeCanonical } from './canonical-key.js';
import { CANONICAL_SHA256, type KeyMaker } from './key-maker.js';

/** Pieces are gathered up to about this many UTF-16 units per hash update: one call per piece is slow. */
const DEFAULT_CHUNK = 64 * 1024;

export interface StreamingKeyMakerOptions {
  /** Characters gathered before each hash update. @default 65536 */
  chunkSize?: number;
}

export class StreamingKeyMaker implements KeyMaker {
  readonly name: string = CANONICAL_SHA256;
  readonly #chunkSize: number;

  constructor(options: StreamingKeyMakerOptions = {}) {
    const { chunkSize = DEFAULT_CHUNK } = options;
    if (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(`chunkSize must be a positive integer, received ${String(chunkSize)}`);
    }
    this.#chunkSize = chunkSize;
  }

  makeKey(value: unknown): string {
    const hash: Hash = createHash('sha256');
    const limit = this.#chunkSize;
    let pending = '';
    writeCanonical(value, (piece) => {
      pending += piece;
      if (pending.length >= limit) {
        hash.update(pending, 'utf8');
        pending = '';
      }
    });
    hash.update(pending, 'utf8');
    return hash.digest('hex');
  }
}

/** The key maker buckets use unless told otherwise. */
export const defaultKeyMaker: KeyMaker = Object.freeze(new StreamingKeyMaker());
