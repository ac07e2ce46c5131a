/**
 * Write side of the `files` store: one file per key under a hashed, sharded name.
 * Each put is an atomic replace; each delete an unlink; then one fsync per touched shard
 * directory makes the renames durable. A failure is reported for the entries it affects
 * and the rest of the batch still lands.
 */
import { hashKey, shardedPath } from '../key-hash.js';
import { RecordKind, encodeRecord } from '../format/record.js';
import { toFailure, type FilesTarget, type WriteBatch, type WriteFailure, type WriteResult } from '../protocol.js';
import { writeFileAtomicSync } from '../fs/atomic-write.js';
import { fsLayer, fsyncDir, writeAllAt } from '../fs/fs-layer.js';

/** Shard directories this thread has already created; mkdir is the slowest call on the path. */
const knownShards = new Set<string>();

function ensureShard(shard: string, target: FilesTarget): void {
  if (knownShards.has(shard)) return;
  fsLayer.mkdirSync(shard, target.dirMode);
  knownShards.add(shard);
}

export function writeFilesBatch(batch: WriteBatch & { target: FilesTarget }): WriteResult {
  const target = batch.target;
  const failures: WriteFailure[] = [];
  const shardsTouched = new Map<string, number[]>();
  const fsync = target.durability === 'fsync';
  let bytes = 0;

  for (let i = 0; i < batch.keys.length; i++) {
    const key = batch.keys[i] as string;
    const { shard, file } = shardedPath(target.dir, hashKey(key));
    try {
      if (batch.kinds[i] === RecordKind.delete) {
        try {
          fsLayer.unlinkSync(file);
        } catch (error) {
          // Nothing to delete: nothing to make durable either (the shard may not even exist).
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
      } else {
        const value = batch.values.subarray(batch.valueOffsets[i], batch.valueOffsets[i + 1]);
        const record = encodeRecord(key, value, {
          kind: RecordKind.put,
          codec: batch.codecs[i] as number,
          createdAt: batch.createdAt[i] as number,
          expiresAt: batch.expiresAt[i] as number,
        });
        bytes += putFile(shard, file, record, target, fsync);
      }
      const indices = shardsTouched.get(shard);
      if (indices === undefined) shardsTouched.set(shard, [i]);
      else indices.push(i);
    } catch (error) {
      failures.push(toFailure(i, error));
    }
  }

  if (fsync) {
    for (const [shard, indices] of shardsTouched) {
      try {
        fsyncDir(shard);
      } catch (error) {
        for (const i of indices) failures.push(toFailure(i, error));
      }
    }
  }
  return { failures, bytes };
}

/**
 * Writes one record file. A shard directory this thread made can vanish (`clear()` removes
 * them all): then it is made again and the write tried once more, so a clear never shows up
 * as a failed write.
 */
function putFile(shard: string, file: string, record: Uint8Array, target: FilesTarget, fsync: boolean): number {
  const write = (): number =>
    target.durability === 'none' ? writeInPlace(file, record, target.fileMode) : writeFileAtomicSync(file, [record], { mode: target.fileMode, fsync });
  const known = knownShards.has(shard);
  ensureShard(shard, target);
  try {
    return write();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !known) throw error;
    knownShards.delete(shard);
    ensureShard(shard, target);
    return write();
  }
}

/**
 * durability 'none': overwrite the file where it is, no temp file, no rename, no fsync. A crash
 * mid-write can leave a torn record, which the checksum turns into a miss on read.
 */
function writeInPlace(file: string, record: Uint8Array, mode: number): number {
  const fd = fsLayer.openSync(file, 'w', mode);
  try {
    writeAllAt(fd, record, 0);
  } finally {
    fsLayer.closeSync(fd);
  }
  return record.length;
}
