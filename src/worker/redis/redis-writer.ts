/**
 * The `redis` store's write side: one encoded batch becomes one pipeline — `SET key record [PX ttl]`
 * per put (the value framed and checksummed like a disk record), `UNLINK key` per delete, then one
 * `PUBLISH` naming the batch's keys so other processes drop their memory copies — built as one
 * buffer of RESP and sent over this thread's own connection (src/worker/redis/resp-pipe.ts). Failures
 * come back per entry as plain data with a stable code (ECONNREFUSED, ETIMEDOUT, OOM, READONLY…),
 * for the engine to keep the entries queued and retry.
 */
import { HEADER_SIZE, RecordKind, recordBound, writeRecord } from '../../shared/format/record.js';
import type { BatchColumns, RedisTarget, WriteBatch, WriteFailure, WriteResult } from '../../shared/protocol.js';
import { encodeInvalidation } from '../../shared/redis-invalidation.js';
import { RespError, RespPipe } from './resp-pipe.js';

/** This thread's connections, one per server URL, made on first use and again after one fails. */
const pipes = new Map<string, Promise<RespPipe>>();

function pipeTo(url: string, connectTimeout: number): Promise<RespPipe> {
  let pipe = pipes.get(url);
  if (pipe === undefined) {
    pipe = RespPipe.connect(url, connectTimeout);
    pipes.set(url, pipe);
    // A failed connection is forgotten, so the engine's retry connects afresh.
    pipe.catch(() => {
      if (pipes.get(url) === pipe) pipes.delete(url);
    });
  }
  return pipe;
}

/** The worker task: the batch goes out over this thread's connection to `target.url`. */
export async function runRedisTask(task: WriteBatch & { target: RedisTarget }): Promise<WriteResult> {
  const { url, connectTimeout } = task.target;
  const n = task.keys.length;
  let pipe: RespPipe;
  try {
    pipe = await pipeTo(url, connectTimeout);
    if (pipe.closed) {
      pipes.delete(url);
      pipe = await pipeTo(url, connectTimeout);
    }
  } catch (error) {
    return failAll(n, error);
  }
  return writeRedisBatch(task, task.target, pipe);
}

export async function writeRedisBatch(batch: BatchColumns, target: RedisTarget, pipe: RespPipe): Promise<WriteResult> {
  const n = batch.keys.length;
  const { bytes, recordBytes } = encodeBatch(batch, target);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, target.commandTimeout, 'timeout')));
  try {
    const replies = await Promise.race([pipe.send(bytes, n + 1), timedOut]);
    if (replies !== 'timeout') return { failures: refused(replies, n), bytes: recordBytes };
    // The connection is dropped: its replies could no longer be matched to batches. What it
    // already sent may still be applied by a server that was only slow; the engine retries the
    // batch with each key's latest version (README "Scaling out" lists this limit).
    const error = Object.assign(new Error(`Redis did not answer within ${target.commandTimeout} ms`), { code: 'ETIMEDOUT' });
    pipe.destroy(error);
    return failAll(n, error);
  } catch (error) {
    return failAll(n, error);
  } finally {
    clearTimeout(timer);
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

function failAll(n: number, error: unknown): WriteResult {
  const code = failureCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const failures: WriteFailure[] = new Array(n);
  for (let i = 0; i < n; i++) failures[i] = { index: i, code, message };
  return { failures, bytes: 0 };
}

/** The OS's code (ECONNREFUSED…), ETIMEDOUT, or the first word of a Redis error reply (WRONGPASS…). */
function failureCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ECONNRESET';
}

/** The batch's commands as RESP, end to end in one buffer, and the bytes of records among them. */
function encodeBatch(batch: BatchColumns, target: RedisTarget): { bytes: Buffer; recordBytes: number } {
  const { keys, kinds, codecs, createdAt, expiresAt, valueOffsets, values } = batch;
  const n = keys.length;
  const prefix = target.dataPrefix;
  const prefixBytes = Buffer.byteLength(prefix);
  const message = encodeInvalidation(target.sender, keys);
  // Room for every command at its longest: headers, the key twice (name and record), the record.
  let bound = 64 + 3 * (target.channel.length + message.length);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    bound += 96 + prefixBytes + 3 * key.length + recordBound(key, (valueOffsets[i + 1] as number) - (valueOffsets[i] as number));
  }
  const out = Buffer.allocUnsafeSlow(bound);
  let at = 0;
  const ascii = (text: string): void => {
    at += out.write(text, at, 'latin1');
  };
  let recordBytes = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    const keyBytes = Buffer.byteLength(key);
    const expires = expiresAt[i] as number;
    const ttl = expires === 0 ? 0 : Math.ceil(expires - target.now);
    // An entry already expired when sent is removed, like a delete: a TTL must be positive.
    if (kinds[i] === RecordKind.delete || (expires !== 0 && ttl <= 0)) {
      ascii(`*2\r\n$6\r\nUNLINK\r\n$${prefixBytes + keyBytes}\r\n`);
      at += out.write(prefix, at, 'utf8');
      at += out.write(key, at, 'utf8');
      ascii('\r\n');
      continue;
    }
    const value = values.subarray(valueOffsets[i] as number, valueOffsets[i + 1] as number);
    const recordLength = HEADER_SIZE + keyBytes + value.length;
    ascii(`${ttl === 0 ? '*3' : '*5'}\r\n$3\r\nSET\r\n$${prefixBytes + keyBytes}\r\n`);
    at += out.write(prefix, at, 'utf8');
    at += out.write(key, at, 'utf8');
    ascii(`\r\n$${recordLength}\r\n`);
    at = writeRecord(out, at, key, value, { kind: RecordKind.put, codec: codecs[i] as number, createdAt: createdAt[i] as number, expiresAt: expires });
    recordBytes += recordLength;
    ascii(ttl === 0 ? '\r\n' : `\r\n$2\r\nPX\r\n$${String(ttl).length}\r\n${ttl}\r\n`);
  }
  ascii(`*3\r\n$7\r\nPUBLISH\r\n$${Buffer.byteLength(target.channel)}\r\n`);
  at += out.write(target.channel, at, 'utf8');
  ascii(`\r\n$${Buffer.byteLength(message)}\r\n`);
  at += out.write(message, at, 'utf8');
  ascii('\r\n');
  return { bytes: out.subarray(0, at), recordBytes };
}
