/**
 * The `redis` store's write side: one encoded batch becomes one pipeline — `SET key record [PX ttl]`
 * per put (the value framed and checksummed like a disk record), `UNLINK key` per delete, then one
 * `PUBLISH` naming the batch's keys so other processes drop their memory copies — built as one
 * buffer of RESP and sent over this thread's own connection (src/worker/redis/resp-pipe.ts). Failures
 * come back per entry as plain data with a stable code (ECONNREFUSED, ETIMEDOUT, OOM, READONLY…),
 * for the engine to keep the entries queued and retry. A cluster's batches are split by node
 * (src/worker/redis/cluster-writer.ts).
 */
import type { BatchColumns, RedisTarget, WriteBatch, WriteFailure, WriteResult } from '../../shared/protocol.js';
import { runClusterTask } from './cluster-writer.js';
import { encodeBatch, failAll, openPipe, sendWithin } from './redis-batch.js';
import { RespError, type RespPipe } from './resp-pipe.js';

/** The worker task: the batch goes out over this thread's connection to `target.url`, or to the cluster's nodes. */
export async function runRedisTask(task: WriteBatch & { target: RedisTarget }): Promise<WriteResult> {
  if (task.target.cluster !== undefined) return runClusterTask(task, task.target);
  let pipe: RespPipe;
  try {
    pipe = await openPipe(task.target.url, task.target.connectTimeout);
  } catch (error) {
    return failAll(task.keys.length, error);
  }
  return writeRedisBatch(task, task.target, pipe);
}

export async function writeRedisBatch(batch: BatchColumns, target: RedisTarget, pipe: RespPipe): Promise<WriteResult> {
  const n = batch.keys.length;
  const { bytes, recordBytes } = encodeBatch(batch, target);
  try {
    const replies = await sendWithin(pipe, bytes, n + 1, target.commandTimeout);
    return { failures: refused(replies, n), bytes: recordBytes };
  } catch (error) {
    // On a timeout, what was already sent may still be applied by a server that was only slow;
    // the engine retries the batch with each key's latest version (docs/redis.md lists this limit).
    return failAll(n, error);
  }
}

/** The entries Redis refused (OOM, READONLY…); a failed PUBLISH (reply n) loses nothing written. */
function refused(replies: ReadonlyArray<unknown>, n: number): WriteFailure[] {
  const failures: WriteFailure[] = [];
  for (let index = 0; index < n; index++) {
    const reply = replies[index];
    if (reply instanceof RespError) failures.push({ index, code: reply.code, message: reply.message });
  }
  return failures;
}
