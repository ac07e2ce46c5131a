/**
 * Keys become file names through a hash, never directly: no key (`..`, `/`, NUL, 10 MB of
 * text) can name a path outside the store, and every name has the same length.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Hex SHA-256 of the key's UTF-8 bytes. Stable across processes and Node versions. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** `<dir>/<first two hex digits>/<rest>.rec`: 256 shards keep directories small. */
export function shardedPath(dir: string, hash: string): { shard: string; file: string } {
  const shard = join(dir, hash.slice(0, 2));
  return { shard, file: join(shard, `${hash.slice(2)}.rec`) };
}
