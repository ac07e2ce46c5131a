/**
 * Bucket logging through `util.debuglog('larder')`: silent unless `NODE_DEBUG=larder`, and
 * free when silent (callers test `debug.enabled` before building a message).
 */
import { debuglog } from 'node:util';
import { canonicalKey } from '../keys/canonical-key.js';

export const debug = debuglog('larder');

const SHORT = 60;

/** How a key appears in the log: its canonical text, abbreviated unless `full`, and its stored key. */
export function describeKey(value: unknown, storedKey: string, full: boolean): string {
  let text: string;
  try {
    text = canonicalKey(value);
  } catch {
    text = '<custom key>';
  }
  if (!full && text.length > SHORT) text = `${text.slice(0, SHORT - 3)}...`;
  return `${text} (${full ? storedKey : storedKey.slice(0, 12)})`;
}
