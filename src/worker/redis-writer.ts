/**
 * The `redis` store's write side: one encoded batch becomes one pipeline — `SET key record PX ttl`
 * per put (the value framed and checksummed like a disk record), `UNLINK key` per delete, then one
 * `PUBLISH` naming the batch's keys so other processes drop their memory copies. Failures come
 * back per entry as plain data with a stable code (ECONNREFUSED, ETIMEDOUT, OOM, READONLY…), for
 * the engine to keep the entries queued and retry.
 */
import { MultiErrorReply } from 'redis';
import { RecordKind, encodeRecord } from '../shared/record.js';
import type { BatchColumns, RedisTarget, WriteBatch, WriteFailure, WriteResult } from '../shared/protocol.js';
import { RedisLink } from '../shared/redis-link.js';
import { encodeInvalidation } from '../shared/redis-invalidation.js';

/** This thread's connections, one per server URL, made on first use. */
const links = new Map<string, RedisLink>();

/** The worker task: the batch goes out over this thread's connection to `target.url`. */
export function runRedisTask(task: WriteBatch & { target: RedisTarget }): Promise<WriteResult> {
  const { url, connectTimeout } = task.target;
  let link = links.get(url);
  if (link === undefined || link.closed) {
    link = new RedisLink({ url, connectTimeout });
    links.set(url, link);
  }
  return writeRedisBatch(task, task.target, link);
}

export async function writeRedisBatch(batch: BatchColumns, target: RedisTarget, link: RedisLink): Promise<WriteResult> {
  const n = batch.keys.length;
  if (!(await link.waitReady(target.connectTimeout))) return failAll(n, link, new Error('not connected to Redis'));
  const { keys, kinds, codecs, createdAt, expiresAt, valueOffsets, values } = batch;
  const pipeline = link.client.multi();
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    const expires = expiresAt[i] as number;
    const ttl = expires === 0 ? 0 : Math.ceil(expires - target.now);
    // An entry already expired when sent is removed, like a delete: a TTL must be positive.
    if (kinds[i] === RecordKind.delete || (expires !== 0 && ttl <= 0)) {
      pipeline.unlink(target.dataPrefix + key);
      continue;
    }
    const value = values.subarray(valueOffsets[i] as number, valueOffsets[i + 1] as number);
    const record = encodeRecord(key, value, { kind: RecordKind.put, codec: codecs[i] as number, createdAt: createdAt[i] as number, expiresAt: expires });
    bytes += record.length;
    if (ttl === 0) pipeline.set(target.dataPrefix + key, record);
    else pipeline.set(target.dataPrefix + key, record, { expiration: { type: 'PX', value: ttl } });
  }
  pipeline.publish(target.channel, encodeInvalidation(target.sender, keys));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, target.commandTimeout, 'timeout')));
  try {
    const outcome = await Promise.race([pipeline.execAsPipeline(), timedOut]);
    if (outcome !== 'timeout') return { failures: [], bytes };
    // Dropping the connection rejects whatever it still owes, so no write of this batch can land
    // after the engine has given up on it and sent a newer version over another connection.
    link.destroy();
    const error = Object.assign(new Error(`Redis did not answer within ${target.commandTimeout} ms`), { code: 'ETIMEDOUT' });
    return failAll(n, link, error);
  } catch (error) {
    if (error instanceof MultiErrorReply) return { failures: perEntry(error, n, link), bytes };
    return failAll(n, link, error);
  } finally {
    clearTimeout(timer);
  }
}

/** The entries Redis refused (OOM, READONLY…); a failed PUBLISH (index n) loses nothing written. */
function perEntry(error: MultiErrorReply, n: number, link: RedisLink): WriteFailure[] {
  const failures: WriteFailure[] = [];
  for (const index of error.errorIndexes) {
    if (index >= n) continue;
    const reply = error.replies[index];
    failures.push({ index, code: link.failureCode(reply), message: reply instanceof Error ? reply.message : String(reply) });
  }
  return failures;
}

function failAll(n: number, link: RedisLink, error: unknown): WriteResult {
  const code = link.failureCode(error);
  const message = link.describe(error);
  const failures: WriteFailure[] = new Array(n);
  for (let i = 0; i < n; i++) failures[i] = { index: i, code, message };
  return { failures, bytes: 0 };
}
