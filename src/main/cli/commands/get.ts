/** `larder get <dir> <key> [--json]`: one value, as the engine reads it. */
import { inspect } from 'node:util';
import { openStore } from '../store-dir.js';

export interface Found {
  key: string;
  value: unknown;
  createdAt: number;
  /** 0 = never. */
  expiresAt: number;
  /** Encoded bytes of the value. */
  size: number;
}

/** The live entry for `key`, or undefined on a miss (absent, deleted, expired or damaged). */
export async function getEntry(dir: string, key: string): Promise<Found | undefined> {
  const { cache } = await openStore(dir, 'read');
  try {
    if (!cache.has(key)) return undefined;
    const value = cache.get(key);
    const meta = cache.store.readMeta?.(key);
    return { key, value, createdAt: meta?.createdAt ?? 0, expiresAt: meta?.expiresAt ?? 0, size: meta?.size ?? 0 };
  } finally {
    await cache.stop();
  }
}

/** Strings print as they are; anything else as Node would show it. */
export function printValue(value: unknown): string {
  return typeof value === 'string' ? value : inspect(value, { depth: null, colors: false, maxArrayLength: null, maxStringLength: null });
}

/** JSON of the entry. Values JSON cannot hold say what they were: Map → object, Set → array, bigint → string. */
export function entryJson(found: Found): string {
  return JSON.stringify(found, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Map) return Object.fromEntries(value);
    if (value instanceof Set) return [...value];
    return value;
  });
}
