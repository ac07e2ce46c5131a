/**
 * Key makers turn any value a caller uses as a key into the string the engine stores under.
 * Both built-in ones hash the value's canonical text (SHA-256, hex), so every key has the same
 * short length whatever it was made from, and equal values give equal keys in every process.
 */
import { createHash } from 'node:crypto';
import { canonicalKey } from './canonical-key.js';

export interface KeyMaker {
  /**
   * Recorded with a bucket's directory: a bucket reopened with a key maker of another name
   * would never find its old keys, so that fails at start instead of missing silently.
   * Two key makers may share a name only if they make identical keys.
   */
  readonly name: string;
  /** The stored key for `value`; throws TypeError for values it cannot key. */
  makeKey(value: unknown): string;
}

/** The name both built-in key makers record: they make identical keys. */
export const CANONICAL_SHA256 = 'canonical-sha256';

/**
 * Hex SHA-256 of the canonical text, built as one string first. Same keys as
 * `StreamingKeyMaker` (the default), which is as fast on small keys and faster on big ones;
 * this one is the plain reference the streaming maker is tested against.
 */
export class HashKeyMaker implements KeyMaker {
  readonly name: string = CANONICAL_SHA256;

  makeKey(value: unknown): string {
    return createHash('sha256').update(canonicalKey(value), 'utf8').digest('hex');
  }
}

export function isKeyMaker(value: unknown): value is KeyMaker {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as KeyMaker).makeKey === 'function' &&
    typeof (value as KeyMaker).name === 'string' &&
    (value as KeyMaker).name !== ''
  );
}
